/**
 * Forwarding databases (`bridge fdb`): the Linux bridge's MAC -> port table
 * (net/bridge/br_fdb.c) and a VXLAN device's MAC -> remote VTEP table
 * (drivers/net/vxlan), with learning, ageing on the simulated clock, the
 * VXLAN L2 MISS to a user-space agent, and `bridge fdb show` printing.
 *
 * Simplified (also in docs/kernel-tables.md):
 * - One VLAN (no `vlan`, no `vni` per entry, no `src_vni`, `via`, `port`
 *   overrides); no sticky/locked/extern_learn/offload flags; no multicast
 *   `self` entries of the bridge device itself.
 * - Ageing is exact: a learned entry is gone once `ageing_time` has passed
 *   since it was last seen (Linux's cleanup work deletes it up to one scan
 *   later and shows it `stale` meanwhile). Checked lazily on every access.
 * - An L2 miss drops the frame as Linux does (`vxlan_xmit` frees the skb
 *   after `vxlan_fdb_miss`); the agent's answer is installed synchronously,
 *   so the caller's retransmission finds it.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { formatIPv4, formatIPv6, formatMac, parseIP, parseMac } from '../net/ip.js';
import type { SimClock } from '../store/clock.js';
import { SharedMap, SharedPool } from './shared-map.js';

/** Entry state as `bridge fdb` spells it: permanent (local) = NUD_PERMANENT, static = NUD_NOARP, dynamic (learned) = NUD_REACHABLE. */
export type FdbState = 'permanent' | 'static' | 'dynamic';

/** Linux's default `ageing_time`: 300 s (bridge and vxlan `ageing`). */
export const DEFAULT_AGEING_MS = 300_000;

/** One `bridge fdb` line. */
export interface FdbEntry {
  readonly mac: string;
  /** The bridge port, or the vxlan device. */
  readonly dev: string;
  /** The bridge (master entries). */
  readonly master?: string;
  /** Remote VTEP (vxlan `self` entries). */
  readonly dst?: string;
  readonly state: FdbState;
  /** Last time seen (learned entries), simulated ms. */
  readonly updated: number;
}

const ZERO_MAC = '00:00:00:00:00:00';

const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
function mac(s: string): string {
  // Fast path: the kernel model passes canonical text on every frame.
  if (CANONICAL_MAC.test(s)) return s;
  return formatMac(parseMac(s));
}
function isMulticast(m: string): boolean {
  return (parseInt(m.slice(0, 2), 16) & 1) === 1;
}
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
function ip(s: string): string {
  if (CANONICAL_V4.test(s)) return s;
  const a = parseIP(s);
  return a.family === 4 ? formatIPv4(a.addr) : formatIPv6(a.addr);
}
function state(s: string | undefined, dflt: FdbState): FdbState {
  if (s === undefined) return dflt;
  // iproute2's aliases: local = permanent, temp = static, reachable = dynamic.
  const alias: Record<string, FdbState> = { permanent: 'permanent', local: 'permanent', static: 'static', temp: 'static', dynamic: 'dynamic', reachable: 'dynamic' };
  const v = alias[s.toLowerCase()];
  if (!v) throw new InputError('InvalidFdbState', s, 'permanent, static or dynamic');
  return v;
}
function line(e: FdbEntry, withDev: boolean): string {
  const st = e.state === 'dynamic' ? '' : e.state;
  return `${e.mac} ${withDev ? `dev ${e.dev} ` : ''}${e.dst ? `dst ${e.dst} ` : ''}${e.master ? `master ${e.master} ` : 'self '}${st}\n`;
}

/** Result of a bridge lookup: forward to a port, deliver up to the bridge itself, or flood. */
export type BridgeFdbResult = { readonly kind: 'forward'; readonly entry: FdbEntry } | { readonly kind: 'local'; readonly entry: FdbEntry } | { readonly kind: 'flood' };

/** A Linux bridge's FDB (`bridge fdb show br <name>`). */
export class BridgeFdb {
  private map = new Map<string, FdbEntry>();

  /**
   * @param name bridge device name (`cni0`)
   * @param ageingTimeMs `ageing_time` (default 300 s)
   */
  constructor(readonly name: string, private readonly clock: SimClock, readonly ageingTimeMs = DEFAULT_AGEING_MS) {}

  /** `bridge fdb add MAC dev PORT master [permanent|static|dynamic]` (default permanent, as iproute2). */
  add(macAddr: string, port: string, opts: { state?: string } = {}): FdbEntry {
    const m = mac(macAddr);
    if (this.live(m)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${m} dev ${port} master ${this.name})`);
    const e: FdbEntry = { mac: m, dev: port, master: this.name, state: state(opts.state, 'permanent'), updated: this.clock.now() };
    this.map.set(m, e);
    return e;
  }

  /**
   * Bulk `bridge fdb add ... master` of `batch`, all or nothing: every
   * entry is checked (MAC, state, no duplicate) before any is added.
   */
  load(batch: readonly { mac: string; port: string; state?: string }[]): void {
    const now = this.clock.now();
    const out = this.checkLoad(batch).map((b) => ({ mac: mac(b.mac), dev: b.port, master: this.name, state: state(b.state, 'permanent'), updated: now }));
    for (const e of out) this.map.set(e.mac, e);
  }

  /** What {@link load} refuses, without loading: a bad MAC or state, a MAC here or repeated (naming the batch item). */
  checkLoad<T extends { mac: string; port: string; state?: string }>(batch: readonly T[]): readonly T[] {
    const seen = new Set<string>();
    batch.forEach((b, i) => {
      const m = mac(b.mac);
      state(b.state, 'permanent');
      if (this.live(m) || seen.has(m)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${m} dev ${b.port} master ${this.name}) (batch item ${i})`);
      seen.add(m);
    });
    return batch;
  }

  /** `bridge fdb del MAC dev PORT master`. */
  del(macAddr: string, port: string): void {
    const m = mac(macAddr);
    const e = this.live(m);
    if (!e || e.dev !== port) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${m} dev ${port} master ${this.name})`);
    this.map.delete(m);
  }

  /**
   * A frame from `srcMac` arrived on `port` (`br_fdb_update`): learn or
   * refresh it. Local (permanent) entries never move; Linux warns
   * "received packet ... with own address as source address". A static
   * entry follows the station to the new port (Linux moves it unless it
   * is `sticky`) and stays static, so it still never ages.
   * @returns false when the source was a local address.
   */
  learn(srcMac: string, port: string): boolean {
    const m = mac(srcMac);
    if (isMulticast(m)) return true; // br_handle_frame_finish never learns group addresses
    const e = this.live(m);
    if (e?.state === 'permanent') return false;
    this.map.set(m, { mac: m, dev: port, master: this.name, state: e?.state ?? 'dynamic', updated: this.clock.now() });
    return true;
  }

  /** Where a frame to `dstMac` goes (`br_fdb_find` in `br_handle_frame_finish`). */
  lookup(dstMac: string): BridgeFdbResult {
    const m = mac(dstMac);
    if (isMulticast(m)) return { kind: 'flood' };
    const e = this.live(m);
    if (!e) return { kind: 'flood' };
    return e.state === 'permanent' ? { kind: 'local', entry: e } : { kind: 'forward', entry: e };
  }

  /**
   * Removes the entries of `port` (br_fdb_delete_by_port): all of them when
   * the port leaves the bridge, only learned ones when it goes down
   * (`dynamicOnly`). Returns how many went.
   */
  flushPort(port: string, opts: { dynamicOnly?: boolean } = {}): number {
    let n = 0;
    for (const [m, e] of this.map) {
      if (e.dev !== port || (opts.dynamicOnly && e.state !== 'dynamic')) continue;
      this.map.delete(m);
      n++;
    }
    return n;
  }

  /** Live entries, sorted by port then MAC. */
  entries(): FdbEntry[] {
    return [...this.map.keys()].map((m) => this.live(m)).filter((e): e is FdbEntry => e !== undefined).sort((a, b) => (a.dev === b.dev ? (a.mac < b.mac ? -1 : 1) : a.dev < b.dev ? -1 : 1));
  }

  /** `bridge fdb show br NAME [dev PORT]`, as iproute2 prints it (a learned entry ends in "master cni0 "). */
  show(opts: { dev?: string } = {}): string {
    return this.entries().filter((e) => opts.dev === undefined || e.dev === opts.dev).map((e) => line(e, opts.dev === undefined)).join('');
  }

  private live(m: string): FdbEntry | undefined {
    const e = this.map.get(m);
    if (e && e.state === 'dynamic' && this.clock.now() - e.updated >= this.ageingTimeMs) {
      this.map.delete(m);
      return undefined;
    }
    return e;
  }
}

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
