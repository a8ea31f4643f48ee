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
 * - Resolution runs on the clock when the packet can wait (`lookup` with
 *   `park`, as the walk of a timed send does): __neigh_event_send makes the
 *   entry INCOMPLETE with `probes = ucast_solicit`, probes at once and every
 *   `retrans_time` (arp_solicit's order: unicast, app, broadcast), queues up
 *   to `unres_qlen` packets (the oldest dropped beyond), sends them on with
 *   the answer and fails them (ICMP host unreachable, by the caller) when
 *   `neigh_max_probes` are spent. Without `park` (an untimed walk) the probes
 *   are tried at once and listed with their would-be times; the clock is
 *   not advanced. A wire (ARP) answer is instant in both.
 * - `reachable_time` is exactly `base_reachable_time` (Linux picks it at
 *   random in [base/2, 3*base/2] and re-picks every 300 s).
 * - The queue counts packets, not bytes (`unres_qlen_bytes`).
 * - Flushing a device (`flushDev`) removes its entries without notifying.
 * - No garbage collection (Linux only collects above gc_thresh1 = 128
 *   entries), no proxy entries, no `managed`/`extern_learn` flags.
 * - The wire is a callback (`ArpResolver`) until the kernel model provides one.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { formatMac, parseMac } from '../net/ip.js';
import type { SimClock, TimerId } from '../store/clock.js';
import { DEFAULT_NEIGH_PARAMS, STATES, VALID } from './neigh-types.js';
import type { ArpResolver, NeighAgent, NeighEntry, NeighLoadEntry, NeighMsg, NeighParams, NeighParked, NeighProbe, NeighResult, NeighSetOptions, NudState } from './neigh-types.js';
import { SharedMap, SharedPool } from './shared-map.js';
import { itemOf } from './batch-item.js';
import { batchChecked, canonical, keyOf, mac, sortKeyOf, type Canon } from './neigh-check.js';

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
  // Entries being resolved on the clock (INCOMPLETE, PROBE): neigh->probes and neigh->arp_queue.
  private res = new Map<string, { probes: number; queue: NeighParked[]; made: NeighProbe[]; start: number }>();
  /** RTNLGRP_NEIGH: every notification of this table (`ip monitor neigh`). */
  monitor: ((m: NeighMsg) => void) | undefined;

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
    const k = keyOf(dev, ip.text);
    const old = this.slots.get(k);
    const v = this.checked(dst, dev, opts, old);
    const e = this.update(ip, dev, v, k, old);
    this.slots.maybeFreeze();
    return e;
  }

  // neigh_update: the new state, a notification when state or address changed, and the queue sent on a valid address.
  private update(ip: Canon, dev: string, v: { lladdr?: string; state: NudState; router: boolean }, k = keyOf(dev, ip.text), old = this.slots.get(k)): NeighEntry {
    const e = this.set(ip, dev, v, undefined, k, old);
    const r = this.res.get(k);
    if (r && VALID.has(e.state)) {
      this.res.delete(k);
      // neigh_connect, then the queued packets leave (oldest first), before the notification (as measured:
      // an L2 miss the first packet raises is printed before the RTM_NEWNEIGH of the answer).
      for (const q of r.queue) q.resume(e.lladdr ?? '00:00:00:00:00:00');
    } else if (r && !VALID.has(e.state) && e.state !== 'INCOMPLETE') {
      // __neigh_update from INCOMPLETE/PROBE to an invalid state: neigh_invalidate reports the queue.
      this.res.delete(k);
      for (const q of r.queue) q.fail('failed');
    }
    // The queued packets sent on above may have used the entry since.
    const cur = r ? (this.slots.get(k) ?? e) : e;
    if (!old || old.state !== e.state || old.lladdr !== e.lladdr || old.router !== e.router) this.notify('new', cur);
    return cur;
  }

  private notify(type: NeighMsg['type'], e: NeighEntry): void {
    this.monitor?.({ type, dst: e.dst, dev: e.dev, ...(e.lladdr && VALID.has(e.state) ? { lladdr: e.lladdr } : {}), state: e.state, ...(e.router ? { router: true } : {}) });
  }

  // Validates one `ip neigh replace` (nud, lladdr); the entry's new fields.
  private checked(dst: string, dev: string, opts: NeighSetOptions, old: NeighEntry | undefined): { lladdr?: string; state: NudState; router: boolean } {
    const nud = (opts.nud ?? 'permanent').toUpperCase() as NudState;
    if (!STATES.includes(nud)) throw new InputError('InvalidNud', opts.nud!, 'nud permanent, noarp, reachable, stale, delay, probe, incomplete or failed');
    const lladdr = opts.lladdr === undefined ? undefined : mac(opts.lladdr);
    const ll = lladdr ?? old?.lladdr;
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
      return { ip, dev: b.dev, v: itemOf(i, () => this.checked(b.dst, b.dev, b, this.slots.get(k))) };
    });
    for (const x of vals) this.set(x.ip, x.dev, x.v);
    this.slots.freeze();
  }

  /** `ip neigh del`: `RTNETLINK answers: No such file or directory` when absent. */
  del(dst: string, dev: string): void {
    const k = keyOf(dev, canonical(dst).text);
    const old = this.slots.get(k);
    if (!old) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${dst} dev ${dev})`);
    const r = this.res.get(k);
    this.drop(k);
    // neigh_delete sets NUD_FAILED first: an entry being resolved reports its queue (neigh_invalidate).
    for (const q of r?.queue ?? []) q.fail('failed');
    this.notify('del', old);
    this.slots.maybeFreeze();
  }

  private drop(k: string): void {
    const t = this.timersMap?.get(k);
    if (t !== undefined) this.clock.clearTimer(t);
    this.timersMap?.delete(k);
    this.slots.delete(k);
    this.res.delete(k);
  }

  /**
   * Removes every entry of `dev`, permanent ones too, as Linux does when
   * the device goes down or away (neigh_ifdown); returns how many.
   */
  flushDev(dev: string): number {
    let n = 0;
    for (const [k, e] of [...this.slots.entries()]) {
      if (e.dev !== dev) continue;
      const r = this.res.get(k);
      this.drop(k);
      // neigh_flush_dev purges the queue silently.
      for (const q of r?.queue ?? []) q.fail('flushed');
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
    this.update(canonical(dst), dev, { ...e, state: 'REACHABLE' });
  }

  /**
   * Resolves `dst` on `dev` for a packet about to leave (`neigh_resolve_output`
   * -> `__neigh_event_send`): a usable entry is a hit (STALE turns DELAY). A
   * missing or FAILED one turns INCOMPLETE and is probed at once; with
   * `park` the packet waits in the entry's queue (`queued`) unless the first
   * probe was answered at once, and the probes go on on the clock; an
   * INCOMPLETE entry just queues it. Without `park` every probe is tried at
   * once (an untimed walk). With no probes to make (`app_solicit` and
   * `mcast_solicit` 0) the entry fails at once and the packet is dropped.
   */
  lookup(dst: string, dev: string, park?: NeighParked): NeighResult {
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
    const r = this.res.get(k);
    if (s && s.state === 'INCOMPLETE' && r) {
      // Being resolved on the clock: a packet that can wait joins the queue; one that cannot (an untimed walk) is dropped.
      if (!park) return { kind: 'failed', entry: s, probes: r.made };
      this.enqueue(r.queue, park, p.unresQlen);
      return { kind: 'queued', entry: s, probes: r.made };
    }
    if (!park) {
      this.set(ip, dev, { lladdr: undefined, state: 'INCOMPLETE', router: s?.router ?? false }, now);
      return this.solicit(ip, dev, 'INCOMPLETE');
    }
    if (p.mcastSolicit + p.appSolicit === 0) return { kind: 'failed', entry: this.set(ip, dev, { lladdr: undefined, state: 'FAILED', router: s?.router ?? false }, now), probes: [] };
    const e = this.set(ip, dev, { lladdr: undefined, state: 'INCOMPLETE', router: s?.router ?? false }, now);
    const st = { probes: p.ucastSolicit, queue: [] as NeighParked[], made: [] as NeighProbe[], start: now };
    this.res.set(k, st);
    this.timers.set(k, this.clock.setTimer(p.retransTimeMs, () => this.retrans(k, ip)));
    const got = this.probe(k, ip, e);
    if (got) return { kind: 'resolved', entry: this.touch(k, got.e, now), by: got.by, probes: st.made };
    this.enqueue(st.queue, park, p.unresQlen);
    return { kind: 'queued', entry: this.slots.get(k)!, probes: st.made };
  }

  // __neigh_event_send's queue: at most unres_qlen packets, the oldest dropped first.
  private enqueue(q: NeighParked[], park: NeighParked, max: number): void {
    while (q.length >= max && q.length > 0) q.shift()!.fail('overflow');
    if (max > 0) q.push(park);
    else park.fail('overflow');
  }

  /**
   * neigh_probe -> arp_solicit: one probe of an entry being resolved, chosen
   * by `neigh->probes` (below ucast_solicit: unicast to the known address;
   * then app_solicit notifications; then broadcast), counted after. Returns
   * the entry when the probe was answered at once.
   */
  private probe(k: string, ip: Canon, e: NeighEntry): { e: NeighEntry; by: 'agent' | 'arp' } | undefined {
    const st = this.res.get(k)!;
    const p = this.paramsOf(e.dev);
    const n = st.probes++;
    const kind: NeighProbe['kind'] = n < p.ucastSolicit ? 'ucast' : n < p.ucastSolicit + p.appSolicit ? 'app' : 'mcast';
    const atMs = this.clock.now() - st.start;
    if (kind === 'app') {
      // neigh_app_ns: RTM_GETNEIGH to user space, with the address the entry holds while re-probing.
      this.notify('miss', e);
      const ans = this.agent?.({ dst: ip.text, dev: e.dev, state: e.state === 'PROBE' ? 'PROBE' : 'INCOMPLETE' });
      st.made.push({ kind, atMs, answered: ans !== undefined });
      if (!ans) return undefined;
      const install = () => this.update(ip, e.dev, { lladdr: formatMac(parseMac(ans.lladdr)), state: ans.state ?? 'REACHABLE', router: e.router });
      if (ans.latencyMs) {
        this.clock.setTimer(ans.latencyMs, install);
        return undefined;
      }
      return { e: install(), by: 'agent' };
    }
    const mac = this.resolver?.({ dst: ip.text, dev: e.dev, unicast: kind === 'ucast' ? e.lladdr : undefined });
    st.made.push({ kind, atMs, answered: mac !== undefined });
    if (mac === undefined) return undefined;
    return { e: this.update(ip, e.dev, { lladdr: formatMac(parseMac(mac)), state: 'REACHABLE', router: e.router }), by: 'arp' };
  }

  // neigh_timer_handler for INCOMPLETE and PROBE: FAILED once neigh_max_probes are spent, else the next probe.
  private retrans(k: string, ip: Canon): void {
    this.timersMap?.delete(k);
    const e = this.slots.get(k);
    const st = this.res.get(k);
    if (!e || !st || (e.state !== 'INCOMPLETE' && e.state !== 'PROBE')) return;
    const p = this.paramsOf(e.dev);
    const max = p.ucastSolicit + p.appSolicit + (e.state === 'PROBE' ? p.mcastResolicit : p.mcastSolicit);
    if (st.probes >= max) {
      this.res.delete(k);
      const f = this.set(ip, e.dev, { lladdr: undefined, state: 'FAILED', router: e.router });
      this.notify('new', f);
      // neigh_invalidate: each queued packet reported (arp_error_report), oldest first.
      for (const q of st.queue) q.fail('failed');
      return;
    }
    this.timers.set(k, this.clock.setTimer(p.retransTimeMs, () => this.retrans(k, ip)));
    this.probe(k, ip, e);
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

  // An untimed resolution of an INCOMPLETE entry: arp_solicit's order (app probes, then broadcast) tried at once.
  private solicit(ip: Canon, dev: string, from: 'INCOMPLETE'): NeighResult {
    const p = this.paramsOf(dev);
    const old = this.slots.get(keyOf(dev, ip.text))!;
    const probes: NeighProbe[] = [];
    const plan: NeighProbe['kind'][] = [...Array<'app'>(p.appSolicit).fill('app'), ...Array<'mcast'>(p.mcastSolicit).fill('mcast')];
    for (const kind of plan) {
      const atMs = probes.length * p.retransTimeMs;
      if (kind === 'app') {
        this.notify('miss', old);
        const ans = this.agent?.({ dst: ip.text, dev, state: from });
        probes.push({ kind, atMs, answered: ans !== undefined });
        if (ans) {
          const e = this.replace(ip.text, dev, { lladdr: ans.lladdr, nud: ans.state ?? 'REACHABLE', router: old.router });
          return { kind: 'resolved', entry: this.touch(keyOf(dev, ip.text), e, this.clock.now()), by: 'agent', probes };
        }
        continue;
      }
      const mac = this.resolver?.({ dst: ip.text, dev });
      probes.push({ kind, atMs, answered: mac !== undefined });
      if (mac !== undefined) {
        const e = this.update(ip, dev, { lladdr: formatMac(parseMac(mac)), state: 'REACHABLE', router: old.router });
        return { kind: 'resolved', entry: this.touch(keyOf(dev, ip.text), e, this.clock.now()), by: 'arp', probes };
      }
    }
    const f = this.set(ip, dev, { lladdr: undefined, state: 'FAILED', router: old.router });
    if (probes.length) this.notify('new', f);
    return { kind: 'failed', entry: f, probes };
  }

  private set(ip: Canon, dev: string, v: { lladdr?: string; state: NudState; router: boolean }, used?: number, k = keyOf(dev, ip.text), old = this.slots.get(k)): NeighEntry {
    const now = this.clock.now();
    const t = this.timersMap?.get(k);
    if (t !== undefined) {
      this.clock.clearTimer(t);
      this.timers.delete(k);
    }
    const confirmed = v.state === 'REACHABLE' ? now : (old?.confirmed ?? now);
    const e: NeighEntry = v.lladdr
      ? { dst: ip.text, dev, lladdr: v.lladdr, state: v.state, router: v.router, confirmed, used: used ?? old?.used ?? now }
      : { dst: ip.text, dev, state: v.state, router: v.router, confirmed, used: used ?? old?.used ?? now };
    this.slots.set(k, e);
    if (v.state === 'REACHABLE') this.timers.set(k, this.clock.setTimer(this.paramsOf(dev).baseReachableTimeMs, () => this.reachableExpired(k)));
    else if (v.state === 'DELAY') this.timers.set(k, this.clock.setTimer(this.paramsOf(dev).delayFirstProbeTimeMs, () => this.delayExpired(k, ip)));
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
    const n = this.set(canonical(e.dst), e.dev, { ...e, state });
    if (state === 'STALE') this.notify('new', n);
  }

  // NUD_DELAY branch: confirmed meanwhile -> REACHABLE, else PROBE and re-solicit.
  private delayExpired(k: string, ip: Canon): void {
    const e = this.slots.get(k)!;
    this.timersMap?.delete(k);
    const p = this.paramsOf(e.dev);
    if (this.clock.now() - e.confirmed <= p.delayFirstProbeTimeMs) {
      this.notify('new', this.set(ip, e.dev, { ...e, state: 'REACHABLE' }));
      return;
    }
    // PROBE with neigh->probes = 0: unicast probes first, one now and one every retrans_time.
    const n = this.set(ip, e.dev, { ...e, state: 'PROBE' });
    this.notify('new', n);
    this.res.set(k, { probes: 0, queue: [], made: [], start: this.clock.now() });
    this.timers.set(k, this.clock.setTimer(p.retransTimeMs, () => this.retrans(k, ip)));
    this.probe(k, ip, n);
  }
}
