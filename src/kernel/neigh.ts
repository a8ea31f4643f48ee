/**
 * The neighbour table (`ip neigh`, net/core/neighbour.c + net/ipv4/arp.c):
 * IP -> link-layer address per device, with NUD states, ageing on the
 * simulated clock, and resolution that can hand a miss to a user-space
 * agent (`app_solicit`, the "L3 MISS" old flanneld answered from etcd).
 * Entries are stored in a snapshot shared with other namespaces plus a
 * private delta (shared-map.ts; docs/kernel.md "State size"); bulk `load`
 * and `flushDev` serve the programming door.
 *
 * Simplified (also in docs/kernel-tables.md):
 * - Resolution is synchronous: the probes a miss would send (app
 *   notifications, then broadcast ARP) are tried in Linux's order at once and
 *   listed in the result with their would-be times (`retrans_time` apart);
 *   the clock is not advanced and the packet is not queued (`unres_qlen`).
 * - `reachable_time` is exactly `base_reachable_time` (Linux picks it at
 *   random in [base/2, 3*base/2] and re-picks every 300 s).
 * - DELAY -> PROBE -> REACHABLE/FAILED happens at once when the DELAY
 *   timer fires (unicast probes, then app, then `mcast_resolicit`).
 * - No garbage collection (Linux only collects above gc_thresh1 = 128
 *   entries), no proxy entries, no `managed`/`extern_learn` flags.
 * - The wire is a callback (`ArpResolver`) until the kernel model provides one.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { formatMac, parseMac } from '../net/ip.js';
import type { SimClock, TimerId } from '../store/clock.js';
import { DEFAULT_NEIGH_PARAMS, STATES, VALID } from './neigh-types.js';
import type { ArpResolver, NeighAgent, NeighEntry, NeighLoadEntry, NeighParams, NeighProbe, NeighResult, NeighSetOptions, NudState } from './neigh-types.js';
import { SharedMap, SharedPool } from './shared-map.js';
import { batchChecked, canonical, itemOf, keyOf, mac, sortKeyOf, type Canon } from './neigh-check.js';

/**
 * Neighbour entries shared between namespaces (shared-map.ts): only
 * PERMANENT and NOARP ones (no timer changes them), equal when every field is.
 */
const pool = new SharedPool<string, NeighEntry>(
  (a, b) => a.dst === b.dst && a.dev === b.dev && a.lladdr === b.lladdr && a.state === b.state && a.router === b.router && a.confirmed === b.confirmed && a.used === b.used,
  (e) => e.state === 'PERMANENT' || e.state === 'NOARP',
);

/** The neighbour table of one network namespace. */
export class NeighTable {
  // Key `DEV|ADDR` -> entry; timers of REACHABLE and DELAY entries beside.
  private slots = new SharedMap<string, NeighEntry>(pool);
  // Made on first use: most namespaces (pods) never set a parameter, many never start a timer.
  private timersMap: Map<string, TimerId> | undefined;
  private paramsMap: Map<string, NeighParams> | undefined;
  private get timers(): Map<string, TimerId> {
    return (this.timersMap ??= new Map());
  }
  private get params(): Map<string, NeighParams> {
    return (this.paramsMap ??= new Map());
  }
  private agent: NeighAgent | undefined;
  private resolver: ArpResolver | undefined;

  constructor(private readonly clock: SimClock) {}

  /** Sets sysctls of `dev` (unset fields keep their value or Linux's default). */
  setParams(dev: string, p: Partial<NeighParams>): void {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'noarp' || k === 'devAddr') continue;
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new InputError('InvalidParam', String(v), `${k}: an integer >= 0`);
    }
    if (p.devAddr !== undefined) p = { ...p, devAddr: formatMac(parseMac(p.devAddr)) };
    this.params.set(dev, { ...this.paramsOf(dev), ...p });
  }

  /** The sysctls of `dev`. */
  paramsOf(dev: string): NeighParams {
    return this.paramsMap?.get(dev) ?? { ...DEFAULT_NEIGH_PARAMS };
  }

  /** Registers (or with undefined removes) the user-space agent. */
  setAgent(agent: NeighAgent | undefined): void {
    this.agent = agent;
  }

  /** Sets who answers ARP on the wire (the kernel model plugs the fabric in). */
  setResolver(resolver: ArpResolver | undefined): void {
    this.resolver = resolver;
  }

  /** `ip neigh add`: fails if the entry exists. */
  add(dst: string, dev: string, opts: NeighSetOptions = {}): NeighEntry {
    if (this.slots.has(keyOf(dev, canonical(dst).text))) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${dst} dev ${dev})`);
    return this.replace(dst, dev, opts);
  }

  /** `ip neigh replace`: creates or overwrites. */
  replace(dst: string, dev: string, opts: NeighSetOptions = {}): NeighEntry {
    const ip = canonical(dst);
    const v = this.checked(ip, dst, dev, opts);
    const e = this.set(ip, dev, v);
    this.slots.maybeFreeze();
    return e;
  }

  // Validates one `ip neigh replace` (nud, lladdr); the entry's new fields.
  private checked(ip: Canon, dst: string, dev: string, opts: NeighSetOptions): { lladdr?: string; state: NudState; router: boolean } {
    const nud = (opts.nud ?? 'permanent').toUpperCase() as NudState;
    if (!STATES.includes(nud)) throw new InputError('InvalidNud', opts.nud!, 'nud permanent, noarp, reachable, stale, delay, probe, incomplete or failed');
    const lladdr = opts.lladdr === undefined ? undefined : mac(opts.lladdr);
    const ll = lladdr ?? this.slots.get(keyOf(dev, ip.text))?.lladdr;
    if (VALID.has(nud) && ll === undefined) throw new CnikitError('NoLladdr', `No link layer address given (${dst} dev ${dev} nud ${nud.toLowerCase()})`);
    return { lladdr: VALID.has(nud) ? ll : undefined, state: nud, router: opts.router ?? false };
  }

  /**
   * Bulk `ip neigh replace` of `batch`, all or nothing: every entry is
   * checked first. Entries are compared with the entries other namespaces
   * share as they are written (see shared-map.ts), so a table that is
   * nearly another's costs only its differences.
   */
  load(batch: readonly NeighLoadEntry[], opts: { exclusive?: boolean } = {}): void {
    const now = this.clock.now();
    if (this.slots.empty && !this.timersMap?.size) {
      const cs = batchChecked(batch);
      const keys = cs.map((c) => c.key);
      const same = (i: number, e: NeighEntry) => {
        const c = cs[i];
        return e.dst === c.text && e.dev === c.dev && e.lladdr === c.ll && e.state === c.state && e.router === c.router && e.confirmed === now && e.used === now;
      };
      const make = (i: number): NeighEntry => {
        const c = cs[i];
        return { dst: c.text, dev: c.dev, ...(c.ll ? { lladdr: c.ll } : {}), state: c.state, router: c.router, confirmed: now, used: now };
      };
      // A repeated entry makes loadFresh decline (then checked below).
      if (!cs.some((c) => c.state === 'REACHABLE' || c.state === 'DELAY') && this.slots.loadFresh(keys, same, make)) return;
    }
    const seen = new Set<string>();
    const vals = batch.map((b, i) => {
      const ip = canonical(b.dst);
      const k = keyOf(b.dev, ip.text);
      if (opts.exclusive && (seen.has(k) || this.slots.has(k))) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${b.dst} dev ${b.dev}) (batch item ${i})`);
      seen.add(k);
      return { ip, dev: b.dev, v: itemOf(i, () => this.checked(ip, b.dst, b.dev, b)) };
    });
    for (const x of vals) this.set(x.ip, x.dev, x.v);
    this.slots.freeze();
  }

  /** `ip neigh del`: `RTNETLINK answers: No such file or directory` when absent. */
  del(dst: string, dev: string): void {
    const k = keyOf(dev, canonical(dst).text);
    if (!this.slots.has(k)) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${dst} dev ${dev})`);
    this.drop(k);
    this.slots.maybeFreeze();
  }

  private drop(k: string): void {
    const t = this.timersMap?.get(k);
    if (t !== undefined) this.clock.clearTimer(t);
    this.timersMap?.delete(k);
    this.slots.delete(k);
  }

  /**
   * Removes every entry of `dev`, permanent ones too, as Linux does when
   * the device goes down or away (neigh_ifdown); returns how many.
   */
  flushDev(dev: string): number {
    let n = 0;
    for (const [k, e] of [...this.slots.entries()]) {
      if (e.dev !== dev) continue;
      this.drop(k);
      n++;
    }
    this.slots.maybeFreeze();
    return n;
  }

  /** Number of entries. */
  get size(): number {
    return this.slots.size;
  }

  /** How the table is stored: private delta entries and shared snapshot entries. */
  storage(): { delta: number; base: number; baseRefs: number; freezes: number } {
    return this.slots.stats();
  }

  /** Lets go of the shared snapshot and every timer. */
  dispose(): void {
    for (const t of this.timersMap?.values() ?? []) this.clock.clearTimer(t);
    this.timersMap = undefined;
    this.slots.dispose();
  }

  /** The entry, without touching it. */
  get(dst: string, dev: string): NeighEntry | undefined {
    return this.slots.get(keyOf(dev, canonical(dst).text));
  }

  /** A reachability confirmation (ARP reply, TCP progress): REACHABLE again. */
  confirm(dst: string, dev: string): void {
    const e = this.slots.get(keyOf(dev, canonical(dst).text));
    if (!e || !e.lladdr || e.state === 'PERMANENT' || e.state === 'NOARP') return;
    this.set(canonical(dst), dev, { ...e, state: 'REACHABLE' });
  }

  /**
   * Resolves `dst` on `dev` for a packet about to leave (`neigh_resolve_output`):
   * a usable entry is a hit (STALE turns DELAY); a missing, INCOMPLETE or
   * FAILED one is resolved by probes: app (to the agent), then broadcast.
   */
  lookup(dst: string, dev: string): NeighResult {
    const ip = canonical(dst);
    const k = keyOf(dev, ip.text);
    const p = this.paramsOf(dev);
    let s = this.slots.get(k);
    const now = this.clock.now();
    if (!s && p.noarp) s = this.set(ip, dev, { lladdr: p.devAddr, state: 'NOARP', router: false });
    if (s && VALID.has(s.state)) {
      const was = s.state;
      const e = was === 'STALE' ? this.set(ip, dev, { ...s, state: 'DELAY' }, now) : this.touch(k, s, now);
      return { kind: 'hit', entry: e, was };
    }
    this.set(ip, dev, { lladdr: undefined, state: 'INCOMPLETE', router: s?.router ?? false }, now);
    return this.solicit(ip, dev, 'INCOMPLETE');
  }

  /** All entries, sorted by device then address. */
  entries(): NeighEntry[] {
    const all = [...this.slots.entries()].map(([, e]) => ({ e, sortKey: sortKeyOf(e.dst) }));
    return all.sort((a, b) => (a.e.dev < b.e.dev ? -1 : a.e.dev > b.e.dev ? 1 : a.sortKey < b.sortKey ? -1 : 1)).map((s) => s.e);
  }

  /**
   * `ip neigh show [dev DEV] [nud STATE|all]`, byte for byte as iproute2
   * prints it (including the trailing space). Without `nud`, NOARP entries
   * are hidden, as iproute2 does. Order: by device, then address (Linux
   * dumps in hash order).
   */
  show(opts: { dev?: string; nud?: string } = {}): string {
    const want = opts.nud === undefined ? undefined : opts.nud.toLowerCase() === 'all' ? 'all' : (opts.nud.toUpperCase() as NudState);
    if (want !== undefined && want !== 'all' && !STATES.includes(want)) throw new InputError('InvalidNud', opts.nud!, 'nud all or a NUD state');
    let out = '';
    for (const e of this.entries()) {
      if (opts.dev !== undefined && e.dev !== opts.dev) continue;
      if (want === undefined ? e.state === 'NOARP' : want !== 'all' && e.state !== want) continue;
      out += `${e.dst} ${opts.dev === undefined ? `dev ${e.dev} ` : ''}${e.lladdr ? `lladdr ${e.lladdr} ` : ''}${e.router ? 'router ' : ''}${e.state} \n`;
    }
    return out;
  }

  // Linux's arp_solicit order: unicast probes (PROBE only), app probes, broadcast probes.
  private solicit(ip: Canon, dev: string, from: 'INCOMPLETE' | 'PROBE'): NeighResult {
    const p = this.paramsOf(dev);
    const old = this.slots.get(keyOf(dev, ip.text))!;
    const probes: NeighProbe[] = [];
    const plan: NeighProbe['kind'][] = [
      ...Array<'ucast'>(from === 'PROBE' ? p.ucastSolicit : 0).fill('ucast'),
      ...Array<'app'>(p.appSolicit).fill('app'),
      ...Array<'mcast'>(from === 'PROBE' ? p.mcastResolicit : p.mcastSolicit).fill('mcast'),
    ];
    for (const kind of plan) {
      const atMs = probes.length * p.retransTimeMs;
      if (kind === 'app') {
        const ans = this.agent?.({ dst: ip.text, dev, state: from });
        probes.push({ kind, atMs, answered: ans !== undefined });
        if (ans) {
          const e = this.replace(ip.text, dev, { lladdr: ans.lladdr, nud: ans.state ?? 'REACHABLE', router: old.router });
          return { kind: 'resolved', entry: this.touch(keyOf(dev, ip.text), e, this.clock.now()), by: 'agent', probes };
        }
        continue;
      }
      const mac = this.resolver?.({ dst: ip.text, dev, unicast: kind === 'ucast' ? old.lladdr : undefined });
      probes.push({ kind, atMs, answered: mac !== undefined });
      if (mac !== undefined) {
        const e = this.set(ip, dev, { lladdr: formatMac(parseMac(mac)), state: 'REACHABLE', router: old.router });
        return { kind: 'resolved', entry: this.touch(keyOf(dev, ip.text), e, this.clock.now()), by: 'arp', probes };
      }
    }
    return { kind: 'failed', entry: this.set(ip, dev, { lladdr: undefined, state: 'FAILED', router: old.router }), probes };
  }

  private set(ip: Canon, dev: string, v: { lladdr?: string; state: NudState; router: boolean }, used?: number): NeighEntry {
    const k = keyOf(dev, ip.text);
    const now = this.clock.now();
    const old = this.slots.get(k);
    const t = this.timersMap?.get(k);
    if (t !== undefined) {
      this.clock.clearTimer(t);
      this.timers.delete(k);
    }
    const confirmed = v.state === 'REACHABLE' ? now : (old?.confirmed ?? now);
    const e: NeighEntry = { dst: ip.text, dev, ...(v.lladdr ? { lladdr: v.lladdr } : {}), state: v.state, router: v.router, confirmed, used: used ?? old?.used ?? now };
    this.slots.set(k, e);
    const p = this.paramsOf(dev);
    if (v.state === 'REACHABLE') this.timers.set(k, this.clock.setTimer(p.baseReachableTimeMs, () => this.reachableExpired(k)));
    else if (v.state === 'DELAY') this.timers.set(k, this.clock.setTimer(p.delayFirstProbeTimeMs, () => this.delayExpired(k, ip)));
    return e;
  }

  // A use of the entry (copy-on-write: a shared entry is copied into this table's delta).
  private touch(k: string, e: NeighEntry, now: number): NeighEntry {
    if (e.used === now) return e;
    const n = { ...e, used: now };
    this.slots.set(k, n);
    // Traffic to many destinations copies many shared entries: refreeze when they outgrow the snapshot.
    this.slots.maybeFreeze();
    return n;
  }

  // neigh_timer_handler, NUD_REACHABLE branch: used lately -> DELAY, else STALE.
  private reachableExpired(k: string): void {
    const e = this.slots.get(k)!;
    this.timersMap?.delete(k);
    const now = this.clock.now();
    const p = this.paramsOf(e.dev);
    const state: NudState = now - e.used <= p.delayFirstProbeTimeMs ? 'DELAY' : 'STALE';
    this.set(canonical(e.dst), e.dev, { ...e, state });
  }

  // NUD_DELAY branch: confirmed meanwhile -> REACHABLE, else PROBE and re-solicit.
  private delayExpired(k: string, ip: Canon): void {
    const e = this.slots.get(k)!;
    this.timersMap?.delete(k);
    const p = this.paramsOf(e.dev);
    if (this.clock.now() - e.confirmed <= p.delayFirstProbeTimeMs) {
      this.set(ip, e.dev, { ...e, state: 'REACHABLE' });
      return;
    }
    this.set(ip, e.dev, { ...e, state: 'PROBE' });
    this.solicit(ip, e.dev, 'PROBE');
  }
}
