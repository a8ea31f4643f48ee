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
function ip(s: string): string {
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

  /** `bridge fdb del MAC dev PORT master`. */
  del(macAddr: string, port: string): void {
    const m = mac(macAddr);
    const e = this.live(m);
    if (!e || e.dev !== port) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${m} dev ${port} master ${this.name})`);
    this.map.delete(m);
  }

  /** Adds checked entries in bulk (the door has checked that none exists). */
  load(entries: readonly { mac: string; port: string; state?: string }[]): void {
    for (const e of entries) this.add(e.mac, e.port, e);
  }

  /**
   * Removes the entries of `port` (br_fdb_delete_by_port): all of them when
   * the port leaves the bridge, only learned ones when it goes down.
   */
  flushPort(port: string, opts: { dynamicOnly?: boolean } = {}): void {
    for (const [m, e] of this.map) if (e.dev === port && (!opts.dynamicOnly || e.state === 'dynamic')) this.map.delete(m);
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

/** A VXLAN device's FDB (`bridge fdb show dev flannel.1`). */
export class VxlanFdb {
  /** `[no]learning`; settable on a live device. */
  learning: boolean;
  /** `[no]l2miss`; settable on a live device. */
  l2miss: boolean;
  readonly ageingMs: number;
  // MAC -> remotes (several for `append`, as the all-zeros flood list).
  private map = new Map<string, FdbEntry[]>();
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

  /** `bridge fdb del MAC dev DEV [dst IP]`: one remote, or all of them. */
  del(macAddr: string, dst?: string): void {
    const m = mac(macAddr);
    const list = this.live(m);
    const d = dst === undefined ? undefined : ip(dst);
    const rest = d === undefined ? [] : (list ?? []).filter((e) => e.dst !== d);
    if (!list || rest.length === list.length) throw new CnikitError('NotFound', `RTNETLINK answers: No such file or directory (${m} dev ${this.dev})`);
    if (rest.length === 0) this.map.delete(m);
    else this.map.set(m, rest);
  }

  /** Adds checked entries in bulk (the door has checked that none exists). */
  load(entries: readonly { mac: string; dst: string; state?: string }[]): void {
    for (const e of entries) this.append(e.mac, e.dst, e);
  }

  /** Removes learned entries (vxlan_flush when the device goes down; permanent and static ones stay). */
  flush(): void {
    for (const [m, list] of this.map) {
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
    return [...this.map.keys()].sort().flatMap((m) => this.live(m) ?? []);
  }

  /** `bridge fdb show dev DEV` (`withDev` false, as iproute2 omits it then) or a plain `bridge fdb show` line set. */
  show(opts: { withDev?: boolean } = {}): string {
    return this.entries().map((e) => line(e, opts.withDev ?? true)).join('');
  }

  private put(m: string, dst: string, st: FdbState, append: boolean): FdbEntry {
    const e: FdbEntry = { mac: m, dev: this.dev, dst: ip(dst), state: st, updated: this.clock.now() };
    const list = append ? (this.live(m) ?? []).filter((x) => x.dst !== e.dst) : [];
    this.map.set(m, [...list, e]);
    return e;
  }

  private live(m: string): FdbEntry[] | undefined {
    const list = this.map.get(m);
    if (!list) return undefined;
    const now = this.clock.now();
    const kept = list.filter((e) => e.state !== 'dynamic' || now - e.updated < this.ageingMs);
    if (kept.length === list.length) return list;
    if (kept.length === 0) this.map.delete(m);
    else this.map.set(m, kept);
    return kept.length ? kept : undefined;
  }
}
