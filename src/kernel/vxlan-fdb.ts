/**
 * A VXLAN device's FDB (drivers/net/vxlan): MAC -> remote VTEPs, learning,
 * ageing, the L2 MISS to a user-space agent, bulk loads, and storage shared
 * between namespaces (shared-map.ts). See fdb.ts for what is simplified.
 */
import { CnikitError } from '../core/errors.js';
import type { SimClock } from '../store/clock.js';
import { DEFAULT_AGEING_MS, ZERO_MAC, ip, isMulticast, line, mac, state, type FdbEntry, type FdbState } from './fdb-entry.js';
import { SharedMap, SharedPool } from './shared-map.js';

/** Options of a {@link VxlanFdb}, as `ip link add ... type vxlan`. */
export interface VxlanFdbOptions {
  /** Learn remote MACs from received frames (`learning`, Linux default on; flannel sets off). */
  learning?: boolean;
  /** Report misses to user space (`l2miss`, default off; flannel ≤ v0.4 set it). */
  l2miss?: boolean;
  /** `ageing` of learned entries in ms. Default 300 s. */
  ageingMs?: number;
}

/** What the L2 MISS agent answers: the remote VTEP for the MAC. */
export type FdbAgent = (req: { mac: string; dev: string }) => { dst: string } | undefined;

/** Result of a vxlan lookup. `dsts` are the remote VTEPs the frame is sent to. */
export type VxlanFdbResult =
  | { readonly kind: 'hit'; readonly entries: readonly FdbEntry[]; readonly dsts: readonly string[] }
  | { readonly kind: 'default'; readonly entries: readonly FdbEntry[]; readonly dsts: readonly string[] }
  | { readonly kind: 'miss'; readonly dropped: true; readonly l2miss: boolean; readonly installed?: FdbEntry };

/** One entry of a bulk load (`VxlanFdb.load`): `bridge fdb append MAC dev DEV dst IP self [STATE]`. */
export interface VxlanFdbLoadEntry {
  mac: string;
  dst: string;
  /** Default permanent. */
  state?: string;
}

/** A load entry as checked (kept per input object: programming a cluster passes the same entries to many nodes). */
interface CheckedFdb {
  readonly in: VxlanFdbLoadEntry;
  readonly macIn: string;
  readonly dstIn: string;
  readonly stateIn?: string;
  readonly mac: string;
  readonly ip: string;
  readonly st: FdbState;
}
const checkedFdbs = new WeakMap<VxlanFdbLoadEntry, CheckedFdb>();
function checkedFdb(b: VxlanFdbLoadEntry): CheckedFdb {
  const c = checkedFdbs.get(b);
  if (c && c.macIn === b.mac && c.dstIn === b.dst && c.stateIn === b.state) return c;
  const n: CheckedFdb = { in: b, macIn: b.mac, dstIn: b.dst, stateIn: b.state, mac: mac(b.mac), ip: ip(b.dst), st: state(b.state, 'permanent') };
  checkedFdbs.set(b, n);
  return n;
}

/**
 * VXLAN FDB lists shared between namespaces (shared-map.ts): lists without
 * learned (dynamic) entries, which age; equal when every field is.
 */
const pool = new SharedPool<string, readonly FdbEntry[]>(
  (a, b) => a.length === b.length && a.every((e, i) => e.mac === b[i].mac && e.dev === b[i].dev && e.dst === b[i].dst && e.state === b[i].state && e.updated === b[i].updated),
  (l) => l.every((e) => e.state !== 'dynamic'),
);

/** A VXLAN device's FDB (`bridge fdb show dev flannel.1`). */
export class VxlanFdb {
  /** `[no]learning`; settable on a live device. */
  learning: boolean;
  /** Report misses to user space (`ip link set DEV type vxlan l2miss`; settable on a live device). */
  l2miss: boolean;
  readonly ageingMs: number;
  // MAC -> remotes (several for `append`, as the all-zeros flood list).
  private map = new SharedMap<string, readonly FdbEntry[]>(pool);
  private agent: FdbAgent | undefined;

  constructor(readonly dev: string, private readonly clock: SimClock, opts: VxlanFdbOptions = {}) {
    this.learning = opts.learning ?? true;
    this.l2miss = opts.l2miss ?? false;
    this.ageingMs = opts.ageingMs ?? DEFAULT_AGEING_MS;
  }

  /** Registers (or removes) the L2 MISS agent. */
  setAgent(agent: FdbAgent | undefined): void {
    this.agent = agent;
  }

  /** `bridge fdb add MAC dev DEV dst IP self [permanent|static|dynamic]`; fails if the MAC exists. */
  add(macAddr: string, dst: string, opts: { state?: string } = {}): FdbEntry {
    const m = mac(macAddr);
    if (this.live(m)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${m} dev ${this.dev})`);
    return this.put(m, dst, state(opts.state, 'permanent'), false);
  }

  /** `bridge fdb append`: one more remote for the MAC (the all-zeros flood list). */
  append(macAddr: string, dst: string, opts: { state?: string } = {}): FdbEntry {
    return this.put(mac(macAddr), dst, state(opts.state, 'permanent'), true);
  }

  /** `bridge fdb replace`: the MAC now has this one remote. */
  replace(macAddr: string, dst: string, opts: { state?: string } = {}): FdbEntry {
    return this.put(mac(macAddr), dst, state(opts.state, 'permanent'), false);
  }

  /**
   * Bulk `bridge fdb append` of `batch`, all or nothing: every entry is
   * checked first. Lists are compared with those other namespaces share as
   * they are written (see shared-map.ts), so an FDB that is nearly
   * another's costs only its differences.
   */
  load(batch: readonly VxlanFdbLoadEntry[], opts: { exclusive?: boolean } = {}): void {
    const now = this.clock.now();
    const cs = batch.map((b) => checkedFdb(b));
    if (this.map.empty) {
      const same = (i: number, l: readonly FdbEntry[]) => {
        const c = cs[i];
        const e = l[0];
        return l.length === 1 && e.mac === c.mac && e.dev === this.dev && e.dst === c.ip && e.state === c.st && e.updated === now;
      };
      const make = (i: number): FdbEntry[] => [{ mac: cs[i].mac, dev: this.dev, dst: cs[i].ip, state: cs[i].st, updated: now }];
      // A repeated MAC makes loadFresh decline (then checked below).
      if (this.map.loadFresh(cs.map((c) => c.mac), same, make)) return;
    }
    if (opts.exclusive) this.checkLoad(batch, opts);
    for (const c of cs) this.put(c.mac, c.ip, c.st, true, false);
    this.map.freeze();
  }

  /**
   * What {@link load} refuses, without loading: a bad MAC, address or
   * state and, with `exclusive` (`bridge fdb add`), a MAC here or repeated
   * (EEXIST, naming the batch item).
   */
  checkLoad(batch: readonly VxlanFdbLoadEntry[], opts: { exclusive?: boolean } = {}): void {
    const seen = new Set<string>();
    batch.forEach((b, i) => {
      const c = checkedFdb(b);
      if (!opts.exclusive) return;
      if (seen.has(c.mac) || this.live(c.mac)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${c.mac} dev ${this.dev}) (batch item ${i})`);
      seen.add(c.mac);
    });
  }

  /** `bridge fdb del MAC dev DEV [dst IP]`: one remote, or all of them; `RTNETLINK answers: No such file or directory` when absent. */
  del(macAddr: string, dst?: string): void {
    const m = mac(macAddr);
    const list = this.live(m);
    const d = dst === undefined ? undefined : ip(dst);
    const rest = d === undefined ? [] : (list ?? []).filter((e) => e.dst !== d);
    if (!list || rest.length === list.length) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${m} dev ${this.dev})`);
    if (rest.length === 0) this.map.delete(m);
    else this.map.set(m, rest);
    this.map.maybeFreeze();
  }

  /** Removes every entry when `dev` is this device or its underlay device is gone; returns how many went. */
  flushPort(dev: string): number {
    if (dev !== this.dev) return 0;
    let n = 0;
    for (const m of this.map.keys()) {
      n += this.map.get(m)!.length;
      this.map.delete(m);
    }
    this.map.maybeFreeze();
    return n;
  }

  /** Removes learned entries (vxlan_flush when the device goes down; permanent and static ones stay). */
  flush(): void {
    for (const [m, list] of [...this.map.entries()]) {
      const kept = list.filter((e) => e.state !== 'dynamic');
      if (kept.length === 0) this.map.delete(m);
      else if (kept.length !== list.length) this.map.set(m, kept);
    }
  }

  /**
   * A frame from `srcMac` came in from VTEP `srcIp` (`vxlan_snoop`): with
   * learning on, create or move a dynamic entry. Permanent and static
   * entries are never moved.
   */
  learn(srcMac: string, srcIp: string): void {
    if (!this.learning) return;
    const m = mac(srcMac);
    const list = this.live(m);
    if (list && list[0].state !== 'dynamic') return;
    this.map.set(m, [{ mac: m, dev: this.dev, dst: ip(srcIp), state: 'dynamic', updated: this.clock.now() }]);
  }

  /**
   * Where a frame to `dstMac` goes (`vxlan_xmit`): its entry, else the
   * all-zeros default entry, else a miss: the frame is dropped and, with
   * `l2miss` and a unicast MAC, the agent is asked; its answer is installed
   * as a dynamic entry (what flanneld's `NeighSet` did).
   */
  lookup(dstMac: string): VxlanFdbResult {
    const m = mac(dstMac);
    const hit = this.live(m);
    if (hit) return { kind: 'hit', entries: hit, dsts: hit.map((e) => e.dst!) };
    const dflt = this.live(ZERO_MAC);
    if (dflt) return { kind: 'default', entries: dflt, dsts: dflt.map((e) => e.dst!) };
    if (!this.l2miss || isMulticast(m)) return { kind: 'miss', dropped: true, l2miss: false };
    const ans = this.agent?.({ mac: m, dev: this.dev });
    if (!ans) return { kind: 'miss', dropped: true, l2miss: true };
    return { kind: 'miss', dropped: true, l2miss: true, installed: this.put(m, ans.dst, 'dynamic', false) };
  }

  /** Live entries, sorted by MAC (Linux dumps in hash order). */
  entries(): FdbEntry[] {
    return this.map.keys().sort().flatMap((m) => this.live(m) ?? []);
  }

  /** `bridge fdb show dev DEV` (`withDev` false, as iproute2 omits it then) or a plain `bridge fdb show` line set. */
  show(opts: { withDev?: boolean } = {}): string {
    return this.entries().map((e) => line(e, opts.withDev ?? true)).join('');
  }

  /** Number of MACs. */
  get size(): number {
    return this.map.size;
  }

  /** How the FDB is stored: private delta entries and shared snapshot entries. */
  storage(): { delta: number; base: number; baseRefs: number; freezes: number } {
    return this.map.stats();
  }

  /** Lets go of the shared snapshot. */
  dispose(): void {
    this.map.dispose();
  }

  private put(m: string, dst: string, st: FdbState, append: boolean, freeze = true): FdbEntry {
    const e: FdbEntry = { mac: m, dev: this.dev, dst: ip(dst), state: st, updated: this.clock.now() };
    const list = append ? (this.live(m) ?? []).filter((x) => x.dst !== e.dst) : [];
    this.map.set(m, [...list, e]);
    if (freeze) this.map.maybeFreeze();
    return e;
  }

  private live(m: string): readonly FdbEntry[] | undefined {
    const list = this.map.get(m);
    if (!list) return undefined;
    if (list.every((e) => e.state !== 'dynamic')) return list;
    const now = this.clock.now();
    const kept = list.filter((e) => e.state !== 'dynamic' || now - e.updated < this.ageingMs);
    if (kept.length === list.length) return list;
    if (kept.length === 0) this.map.delete(m);
    else this.map.set(m, kept);
    return kept.length ? kept : undefined;
  }
}
