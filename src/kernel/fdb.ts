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
import { CnikitError } from '../core/errors.js';
import type { SimClock } from '../store/clock.js';
import { DEFAULT_AGEING_MS, isMulticast, line, mac, state, type FdbEntry } from './fdb-entry.js';

export { DEFAULT_AGEING_MS, type FdbEntry, type FdbState } from './fdb-entry.js';
export { VxlanFdb, type FdbAgent, type VxlanFdbLoadEntry, type VxlanFdbOptions, type VxlanFdbResult } from './vxlan-fdb.js';

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
