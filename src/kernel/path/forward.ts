/**
 * ip_forward (net/ipv4/ip_forward.c), for a packet ip_rcv routed out of
 * another device, in Linux's order: the `ip_forward` sysctl (checked by the
 * route lookup in Linux), TTL <= 1 (time exceeded), the output MTU with DF
 * (fragmentation needed, with the MTU), TTL decrement (ip_decrease_ttl, with
 * the checksum), FORWARD, then ip_output.
 *
 * The MTU is the output device's; a PMTU exception towards the destination
 * counts only with `net.ipv4.ip_forward_use_pmtu = 1` (ip_dst_mtu_maybe_forward).
 *
 * Simplified: no ICMP redirects (`send_redirects`), no router alert, no
 * `ignore_df` or GSO segments; a packet without DF over the MTU is
 * fragmented by ip_finish_output.
 */
import { ETH_HLEN } from '../../../assembly/shared/codec.js';
import { formatIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import { decTtl, type IpView } from '../packet.js';
import type { KRoute } from '../route.js';
import type { Next, WalkCtx } from './context.js';
import { ICMP, icmpSend } from './icmp.js';
import { nfHook } from './netfilter.js';

/** ip_forward: `frame` received on `inDev`, routed by `r`. */
export function ipForward(ctx: WalkCtx, inDev: Iface, r: KRoute, frame: Uint8Array, v: IpView): Next {
  const ns = inDev.ns;
  if (!ns.ipForward) {
    ctx.tb.step({ kind: 'forward', detail: `net.ipv4.ip_forward = 0 in ${ns.name}: not forwarded`, action: 'DROP' });
    return 'NO_ROUTE';
  }
  if (v.ttl <= 1) {
    const [type, code] = ICMP.TIME_EXCEEDED;
    ctx.tb.step({ kind: 'forward', detail: `ttl ${v.ttl}: ICMP time exceeded in transit (type ${type} code ${code}) to ${formatIPv4(v.src)}`, action: 'TTL_EXCEEDED', data: { icmp: { type, code } } });
    icmpSend(ctx, ns, frame.subarray(ETH_HLEN), ICMP.TIME_EXCEEDED);
    return 'TTL_EXCEEDED';
  }
  const dev = ns.ifaces.get(r.dev!)!;
  // ip_dst_mtu_maybe_forward: the device's MTU; a PMTU exception only with ip_forward_use_pmtu.
  const pmtu = ns.pmtu.params.forwardUsePmtu ? ns.pmtu.get(v.dst, dev.name) : undefined;
  const mtu = pmtu?.mtu ?? dev.mtu;
  if (v.df && v.totalLength > mtu) {
    const [type, code] = ICMP.FRAG_NEEDED;
    const of = pmtu ? `path mtu ${mtu} to ${formatIPv4(v.dst)} (exception, ip_forward_use_pmtu)` : `mtu ${mtu} of ${dev.name}`;
    ctx.tb.step({ kind: 'forward', detail: `${v.totalLength} > ${of} with DF: ICMP frag needed (type ${type} code ${code}, mtu ${mtu}) to ${formatIPv4(v.src)}`, action: 'MTU_EXCEEDED', data: { icmp: { type, code, mtu } } });
    icmpSend(ctx, ns, frame.subarray(ETH_HLEN), ICMP.FRAG_NEEDED, mtu);
    return 'MTU_EXCEEDED';
  }
  const g = decTtl(frame, ETH_HLEN);
  const v2 = { ...v, ttl: v.ttl - 1 };
  if (!nfHook(ctx, ns, 'FORWARD', v2, inDev.name, dev.name)) return 'DENIED';
  ctx.tb.step({ kind: 'forward', detail: `ttl ${v.ttl} -> ${v2.ttl}, out ${dev.name}`, action: 'FORWARDED' });
  return { to: 'ip_output', ns, route: r, dev, ip: g.subarray(ETH_HLEN), v: v2, out: { forwarded: true } };
}
