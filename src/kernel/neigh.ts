/**
 * The neighbour table (`ip neigh`, net/core/neighbour.c + net/ipv4/arp.c):
 * IP -> link-layer address per device, with NUD states, ageing on the
 * simulated clock, and resolution that can hand a miss to a user-space
 * agent (`app_solicit`, the "L3 MISS" old flanneld answered from etcd).
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
import { formatIPv4, formatIPv6, formatMac, parseIP, parseMac } from '../net/ip.js';
import type { SimClock, TimerId } from '../store/clock.js';
import { DEFAULT_NEIGH_PARAMS, STATES, VALID } from './neigh-types.js';
import type { ArpResolver, NeighAgent, NeighEntry, NeighParams, NeighProbe, NeighResult, NeighSetOptions, NudState } from './neigh-types.js';

interface Slot {
  e: NeighEntry;
  family: 4 | 6;
  sortKey: string;
  timer?: TimerId;
}

/** The neighbour table of one network namespace. */
export class NeighTable {
  private slots = new Map<string, Slot>();
  private params = new Map<string, NeighParams>();
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
    return this.params.get(dev) ?? { ...DEFAULT_NEIGH_PARAMS };
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
    const nud = (opts.nud ?? 'permanent').toUpperCase() as NudState;
    if (!STATES.includes(nud)) throw new InputError('InvalidNud', opts.nud!, 'nud permanent, noarp, reachable, stale, delay, probe, incomplete or failed');
    const lladdr = opts.lladdr === undefined ? undefined : formatMac(parseMac(opts.lladdr));
    const old = this.slots.get(keyOf(dev, ip.text));
    const ll = lladdr ?? old?.e.lladdr;
    if (VALID.has(nud) && ll === undefined) throw new CnikitError('NoLladdr', `No link layer address given (${dst} dev ${dev} nud ${nud.toLowerCase()})`);
    return this.set(ip, dev, { lladdr: VALID.has(nud) ? ll : undefined, state: nud, router: opts.router ?? false });
  }

  /** `ip neigh del`. */
  del(dst: string, dev: string): void {
    const k = keyOf(dev, canonical(dst).text);
    const s = this.slots.get(k);
    if (!s) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${dst} dev ${dev})`);
    if (s.timer !== undefined) this.clock.clearTimer(s.timer);
    this.slots.delete(k);
  }

  /** Adds checked entries in bulk (the door has checked them: no duplicates, addresses given). */
  load(entries: readonly ({ dst: string; dev: string } & NeighSetOptions)[]): void {
    for (const e of entries) this.replace(e.dst, e.dev, e);
  }

  /** Removes every entry on `dev` (neigh_ifdown: the device went down or away; permanent ones too). */
  flushDev(dev: string): void {
    for (const [k, s] of this.slots) {
      if (s.e.dev !== dev) continue;
      if (s.timer !== undefined) this.clock.clearTimer(s.timer);
      this.slots.delete(k);
    }
  }

  /** The entry, without touching it. */
  get(dst: string, dev: string): NeighEntry | undefined {
    return this.slots.get(keyOf(dev, canonical(dst).text))?.e;
  }

  /** A reachability confirmation (ARP reply, TCP progress): REACHABLE again. */
  confirm(dst: string, dev: string): void {
    const s = this.slots.get(keyOf(dev, canonical(dst).text));
    if (!s || !s.e.lladdr || s.e.state === 'PERMANENT' || s.e.state === 'NOARP') return;
    this.set(canonical(dst), dev, { ...s.e, state: 'REACHABLE' });
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
    if (!s && p.noarp) s = this.slotOf(this.set(ip, dev, { lladdr: p.devAddr, state: 'NOARP', router: false }));
    if (s && VALID.has(s.e.state)) {
      const was = s.e.state;
      const e = was === 'STALE' ? this.set(ip, dev, { ...s.e, state: 'DELAY' }, now) : this.touch(s, now);
      return { kind: 'hit', entry: e, was };
    }
    this.set(ip, dev, { lladdr: undefined, state: 'INCOMPLETE', router: s?.e.router ?? false }, now);
    return this.solicit(ip, dev, 'INCOMPLETE');
  }

  /** All entries, sorted by device then address. */
  entries(): NeighEntry[] {
    return [...this.slots.values()].sort((a, b) => (a.e.dev < b.e.dev ? -1 : a.e.dev > b.e.dev ? 1 : a.sortKey < b.sortKey ? -1 : 1)).map((s) => s.e);
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
    const old = this.slots.get(keyOf(dev, ip.text))!.e;
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
          return { kind: 'resolved', entry: this.touch(this.slotOf(e), this.clock.now()), by: 'agent', probes };
        }
        continue;
      }
      const mac = this.resolver?.({ dst: ip.text, dev, unicast: kind === 'ucast' ? old.lladdr : undefined });
      probes.push({ kind, atMs, answered: mac !== undefined });
      if (mac !== undefined) {
        const e = this.set(ip, dev, { lladdr: formatMac(parseMac(mac)), state: 'REACHABLE', router: old.router });
        return { kind: 'resolved', entry: this.touch(this.slotOf(e), this.clock.now()), by: 'arp', probes };
      }
    }
    return { kind: 'failed', entry: this.set(ip, dev, { lladdr: undefined, state: 'FAILED', router: old.router }), probes };
  }

  private set(ip: Canon, dev: string, v: { lladdr?: string; state: NudState; router: boolean }, used?: number): NeighEntry {
    const k = keyOf(dev, ip.text);
    const now = this.clock.now();
    const old = this.slots.get(k);
    if (old?.timer !== undefined) this.clock.clearTimer(old.timer);
    const confirmed = v.state === 'REACHABLE' ? now : (old?.e.confirmed ?? now);
    const e: NeighEntry = { dst: ip.text, dev, ...(v.lladdr ? { lladdr: v.lladdr } : {}), state: v.state, router: v.router, confirmed, used: used ?? old?.e.used ?? now };
    const slot: Slot = { e, family: ip.family, sortKey: ip.sortKey };
    this.slots.set(k, slot);
    const p = this.paramsOf(dev);
    if (v.state === 'REACHABLE') slot.timer = this.clock.setTimer(p.baseReachableTimeMs, () => this.reachableExpired(k));
    else if (v.state === 'DELAY') slot.timer = this.clock.setTimer(p.delayFirstProbeTimeMs, () => this.delayExpired(k, ip));
    return e;
  }

  private touch(s: Slot, now: number): NeighEntry {
    s.e = { ...s.e, used: now };
    return s.e;
  }

  private slotOf(e: NeighEntry): Slot {
    return this.slots.get(keyOf(e.dev, e.dst))!;
  }

  // neigh_timer_handler, NUD_REACHABLE branch: used lately -> DELAY, else STALE.
  private reachableExpired(k: string): void {
    const s = this.slots.get(k)!;
    s.timer = undefined;
    const now = this.clock.now();
    const p = this.paramsOf(s.e.dev);
    const state: NudState = now - s.e.used <= p.delayFirstProbeTimeMs ? 'DELAY' : 'STALE';
    this.set(canonical(s.e.dst), s.e.dev, { ...s.e, state });
  }

  // NUD_DELAY branch: confirmed meanwhile -> REACHABLE, else PROBE and re-solicit.
  private delayExpired(k: string, ip: Canon): void {
    const s = this.slots.get(k)!;
    s.timer = undefined;
    const p = this.paramsOf(s.e.dev);
    if (this.clock.now() - s.e.confirmed <= p.delayFirstProbeTimeMs) {
      this.set(ip, s.e.dev, { ...s.e, state: 'REACHABLE' });
      return;
    }
    this.set(ip, s.e.dev, { ...s.e, state: 'PROBE' });
    this.solicit(ip, s.e.dev, 'PROBE');
  }
}

interface Canon {
  text: string;
  family: 4 | 6;
  sortKey: string;
}

function canonical(dst: string): Canon {
  const ip = parseIP(dst);
  if (ip.family === 4) return { text: formatIPv4(ip.addr), family: 4, sortKey: `4${ip.addr.toString(16).padStart(8, '0')}` };
  return { text: formatIPv6(ip.addr), family: 6, sortKey: `6${ip.addr.map((w) => w.toString(16).padStart(8, '0')).join('')}` };
}

function keyOf(dev: string, ip: string): string {
  return `${dev}|${ip}`;
}
