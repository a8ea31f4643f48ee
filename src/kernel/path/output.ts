/**
 * The output path of every IPv4 packet a namespace sends (net/ipv4/
 * ip_output.c), whether a socket made it, the forwarding path hands it on,
 * or a tunnel built it around an inner frame:
 *
 *   sendmsg (a socket: route lookup, EMSGSIZE with DF, as ip_append_data)
 *   -> ip_local_out (OUTPUT; tunnels' outer packets start here, as
 *      iptunnel_xmit / udp_tunnel_xmit_skb call it with the route chosen)
 *   -> ip_output (POSTROUTING; forwarded packets start here)
 *   -> ip_finish_output (MTU: ip_fragment without DF, dropped with DF)
 *   -> ip_finish_output2 (neigh_resolve_output, then dev_queue_xmit)
 *
 * The MTU of a locally sent packet is the path MTU (ipv4_mtu: a PMTU
 * exception towards the destination, pmtu.ts, else the device's); of a
 * forwarded one the device's unless `ip_forward_use_pmtu`.
 *
 * Simplified: a packet to a local address goes OUTPUT then INPUT and is
 * delivered (the loopback device's POSTROUTING, xmit and PREROUTING are
 * not walked); no GSO (every packet is one frame). A packet over the MTU
 * with DF that reaches ip_finish_output (only tunnels' outer packets: a
 * socket refuses it earlier and ip_forward answers it) is dropped and, as
 * ip_fragment does, reported with "fragmentation needed" to its source
 * (the namespace itself, on lo); the model's IPIP outer packets are
 * dropped without it (Linux's ip_tunnel_xmit answers the inner sender
 * earlier, in tnl_update_pmtu, which the model does not have).
 */
import { internetChecksum } from '../../codec/reference.js';
import { formatIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import type { Netns } from '../netns.js';
import { ethFrame, ethPush, fragment, NO_MAC, readIp, type IpView } from '../packet.js';
import type { KRoute } from '../route.js';
import type { Next, OutOpts, WalkCtx } from './context.js';
import { fibLookup, isRoute } from './fib.js';
import { ICMP, icmpSend } from './icmp.js';
import { neighResolveOutput } from './neighbour.js';
import { nfHook } from './netfilter.js';

/**
 * A socket's path MTU discovery mode (`IP_MTU_DISCOVER`, ping's `-M`):
 * `do` sets DF and refuses a packet over the path MTU (EMSGSIZE); `want`
 * sets DF on packets that fit and fragments the others without it; `dont`
 * never sets DF.
 */
export type PmtuDisc = 'do' | 'want' | 'dont';

/**
 * A local socket of `ns` sends IP packet `ip` (udp_sendmsg / raw_sendmsg:
 * ip_route_output_flow, then ip_append_data, which refuses a DF packet over
 * the path MTU with EMSGSIZE, then ip_local_out). With `pmtudisc` `want` a
 * packet over the path MTU loses its DF bit and is fragmented
 * (ip_sk_ignore_df); without `pmtudisc` the packet's own DF bit says `do`
 * or `dont`.
 */
export function sendmsg(ctx: WalkCtx, ns: Netns, ip: Uint8Array, pmtudisc?: PmtuDisc): Next {
  ctx.tb.enter(ns.name);
  let v = readIp(ip, 0);
  const r = fibLookup(ctx, ns, v.dst);
  if (!isRoute(r)) return r.disposition;
  if (r.type === 'local' || r.type === 'broadcast') {
    if (!nfHook(ctx, ns, 'OUTPUT', v, '', 'lo')) return 'DENIED';
    const frame = ethFrame(NO_MAC, NO_MAC, ip);
    // tcpdump on lo sees a packet to a local address once.
    ns.ifaces.get('lo')?.see(frame);
    return { to: 'ip_local_deliver', ns, dev: 'lo', frame };
  }
  const dev = ns.ifaces.get(r.dev!)!;
  const pmtu = ns.pmtu.get(v.dst, dev.name);
  const mtu = pmtu?.mtu ?? dev.mtu;
  if (v.df && v.totalLength > mtu && pmtudisc === 'want') {
    clearDf(ip);
    v = readIp(ip, 0);
  } else if (v.df && v.totalLength > mtu) {
    const of = pmtu ? `path mtu ${mtu} to ${formatIPv4(v.dst)} (cached exception)` : `mtu ${mtu} of ${dev.name}`;
    ctx.tb.step({ kind: 'mtu', detail: `${v.totalLength} > ${of} with DF: sendmsg fails with EMSGSIZE (message too long, mtu=${mtu})`, action: 'DROP', data: { mtu, length: v.totalLength } });
    return 'MTU_EXCEEDED';
  }
  return ipLocalOut(ctx, ns, r, dev, ip, v);
}

/** Clears DF in `ip` (in place) and recomputes the header checksum. */
function clearDf(ip: Uint8Array): void {
  ip[6] &= ~0x40;
  ip[10] = ip[11] = 0;
  const c = internetChecksum(ip, 0, (ip[0] & 15) * 4);
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
}

/** ip_local_out: the OUTPUT hook, then dst_output (ip_output) on route `r` out of `dev`. */
export function ipLocalOut(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView = readIp(ip, 0), out?: OutOpts): Next {
  if (!nfHook(ctx, ns, 'OUTPUT', v, '', dev.name)) return 'DENIED';
  return ipOutput(ctx, ns, r, dev, ip, v, out);
}

/** ip_output: the POSTROUTING hook, then ip_finish_output. */
export function ipOutput(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView, out?: OutOpts): Next {
  if (!nfHook(ctx, ns, 'POSTROUTING', v, '', dev.name)) return 'DENIED';
  return ipFinishOutput(ctx, ns, r, dev, ip, v, out);
}

/**
 * ip_finish_output: a packet over the MTU (ip_skb_dst_mtu: the path MTU for
 * a local packet, the device's for a forwarded one unless
 * `ip_forward_use_pmtu`) is fragmented when DF is clear (ip_fragment: the
 * first fragment continues this walk, the others are queued on the context
 * and walked after it from here), and dropped when DF is set (ip_fragment's
 * EMSGSIZE with "fragmentation needed" to the source; only tunnels' outer
 * packets get here with DF).
 */
export function ipFinishOutput(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView, out?: OutOpts): Next {
  const usePmtu = !out?.forwarded || ns.pmtu.params.forwardUsePmtu;
  const mtu = usePmtu ? ns.pmtu.mtu(v.dst, dev) : dev.mtu;
  const of = mtu === dev.mtu ? `mtu ${mtu} of ${dev.name}` : `path mtu ${mtu} to ${formatIPv4(v.dst)}`;
  if (ip.length <= mtu) return ipFinishOutput2(ctx, ns, r, dev, ip, v);
  if (v.df) {
    const tell = !out?.ipip && ctx.net.icmpErrors;
    ctx.tb.step({ kind: 'mtu', detail: `${ip.length} > ${of} with DF: not fragmented, dropped (EMSGSIZE)${tell ? `; ICMP frag needed (mtu ${mtu}) to ${formatIPv4(v.src)}` : ''}`, action: 'DROP', data: { mtu, length: ip.length } });
    if (!out?.ipip) icmpSend(ctx, ns, ip, ICMP.FRAG_NEEDED, mtu, true);
    return 'MTU_EXCEEDED';
  }
  const [first, ...rest] = fragment(ip, mtu);
  ctx.tb.step({ kind: 'fragment', detail: `${ip.length} > ${of}: ${rest.length + 1} fragments`, action: 'FRAGMENTED', data: { count: rest.length + 1 } });
  for (const f of rest) ctx.caused.push({ kind: 'fragment', ns, route: r, dev, ip: f });
  return ipFinishOutput2(ctx, ns, r, dev, first, v);
}

/**
 * ip_finish_output2: the next hop (the route's gateway, else the
 * destination) resolved to a MAC (neigh_output), the Ethernet header
 * written, and the frame handed to dev_queue_xmit. Devices without ARP
 * (IPIP, TUN) take the packet as it is, with the next hop for the tunnel.
 */
export function ipFinishOutput2(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView = readIp(ip, 0)): Next {
  const nh = r.via ?? v.dst;
  // Packets reaching here were made by the walk (a socket's, a forwarded copy, a tunnel's outer packet, a fragment): the header may go in their headroom.
  if (!dev.ether) return { to: 'dev_queue_xmit', dev, frame: ethPush(NO_MAC, NO_MAC, ip), nh };
  const mac = neighResolveOutput(ctx, ns, dev, nh, v.src, ip);
  if (mac === 'QUEUED') return 'QUEUED';
  if (!mac) return 'NEIGH_FAILED';
  return { to: 'dev_queue_xmit', dev, frame: ethPush(mac, dev.mac, ip), nh };
}
