/**
 * Path MTU exceptions of one namespace (net/ipv4/route.c: the next-hop
 * exceptions `fib_nh_exception` that __ip_rt_update_pmtu creates), on the
 * simulated clock:
 *
 * - learned from an ICMP "fragmentation needed" the namespace receives
 *   about a packet it sent (icmp_unreach -> the protocol's err handler ->
 *   ipv4_update_pmtu), and by a VXLAN device whose inner packet does not
 *   fit the outer path (skb_tunnel_check_pmtu);
 * - an exception is kept only when it lowers the path MTU (or refreshes an
 *   equal one in the second half of its life); below `min_pmtu` (552) the
 *   MTU is raised to it and locked;
 * - it expires `mtu_expires` (600 s) after it was learned;
 * - used by local output (a socket's fragment size, EMSGSIZE with DF) and,
 *   with `ip_forward_use_pmtu = 1`, by forwarding (ip_dst_mtu_maybe_forward);
 * - `ip route get` prints it as `cache expires 597sec mtu 1450`
 *   (`mtu lock 552` when locked).
 *
 * Simplified: keyed by destination address within the namespace (Linux
 * hangs them on the next hop of the route used, so a route change hides
 * them: here an exception is used only while the route still goes out of
 * the device it was learned on); no redirect exceptions; route `mtu`
 * metrics are not modelled.
 */
import type { SimClock } from '../store/clock.js';

/** One exception. */
export interface PmtuException {
  readonly mtu: number;
  /** Simulated ms at which it expires. */
  readonly expires: number;
  /** Below min_pmtu: raised to it and locked (`mtu lock N`). */
  readonly locked: boolean;
  /** The output device of the route it was learned on. */
  readonly dev: string;
}

/** The route sysctls that govern exceptions (`net.ipv4.route.*`, `net.ipv4.ip_forward_use_pmtu`). */
export interface PmtuParams {
  /** `net.ipv4.route.mtu_expires`, seconds. Default 600. */
  mtuExpires: number;
  /** `net.ipv4.route.min_pmtu`. Default 552. */
  minPmtu: number;
  /** `net.ipv4.ip_forward_use_pmtu`. Default false. */
  forwardUsePmtu: boolean;
}

/** The exceptions of one namespace. */
export class PmtuCache {
  private readonly map = new Map<number, PmtuException>();
  readonly params: PmtuParams = { mtuExpires: 600, minPmtu: 552, forwardUsePmtu: false };

  constructor(private readonly clock: SimClock) {}

  /** The live exception for `dst` out of `dev` (an expired one is forgotten). */
  get(dst: number, dev: string): PmtuException | undefined {
    const e = this.map.get(dst);
    if (!e) return undefined;
    if (this.clock.now() >= e.expires) {
      this.map.delete(dst);
      return undefined;
    }
    return e.dev === dev ? e : undefined;
  }

  /** The path MTU towards `dst` out of `dev` (ipv4_mtu): the exception's, else the device's. */
  mtu(dst: number, dev: { readonly name: string; readonly mtu: number }): number {
    return this.get(dst, dev.name)?.mtu ?? dev.mtu;
  }

  /**
   * __ip_rt_update_pmtu: a path MTU of `mtu` was reported towards `dst`
   * out of `dev`. Returns the exception when one was made or refreshed.
   */
  update(dst: number, dev: { readonly name: string; readonly mtu: number }, mtu: number): PmtuException | undefined {
    const cur = this.get(dst, dev.name);
    const old = cur?.mtu ?? dev.mtu;
    if (cur?.locked) return undefined; // ip_mtu_locked
    if (old < mtu) return undefined;
    let lock = false;
    if (mtu < this.params.minPmtu) {
      lock = true;
      mtu = Math.min(old, this.params.minPmtu);
    }
    const life = this.params.mtuExpires * 1000;
    const now = this.clock.now();
    if (cur && cur.mtu === mtu && !lock && now < cur.expires - life / 2) return undefined;
    const e: PmtuException = { mtu, expires: now + life, locked: lock, dev: dev.name };
    this.map.set(dst, e);
    return e;
  }

  /** `ip route flush cache` (rt_cache_flush: every exception is invalidated). */
  flush(): void {
    this.map.clear();
  }

  /** The `cache` line `ip route get` prints for a live exception (` expires 597sec mtu 1450`), or ''. */
  cacheText(dst: number, dev: string): string {
    const e = this.get(dst, dev);
    if (!e) return '';
    // iproute2 prints rta_expires (clock ticks) / hz: whole seconds, rounded down.
    const secs = Math.floor((e.expires - this.clock.now()) / 1000);
    return ` expires ${secs}sec mtu ${e.locked ? 'lock ' : ''}${e.mtu}`;
  }
}
