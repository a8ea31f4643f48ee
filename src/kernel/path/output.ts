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
 * Simplified: a packet to a local address goes OUTPUT then INPUT and is
 * delivered (the loopback device's POSTROUTING, xmit and PREROUTING are
 * not walked); no GSO (every packet is one frame); a packet over the MTU
 * with DF that reaches ip_finish_output (only tunnels' outer packets: a
 * socket refuses it earlier and ip_forward answers it) is dropped without
 * the ICMP Linux sends to itself; the next hop's PMTU is not learnt.
 */
import type { Iface } from '../iface.js';
import type { Netns } from '../netns.js';
import { ethFrame, ethPush, fragment, NO_MAC, readIp, type IpView } from '../packet.js';
import type { KRoute } from '../route.js';
import type { Next, WalkCtx } from './context.js';
import { fibLookup, isRoute } from './fib.js';
import { neighResolveOutput } from './neighbour.js';
import { nfHook } from './netfilter.js';

/**
 * A local socket of `ns` sends IP packet `ip` (udp_sendmsg / raw_sendmsg:
 * ip_route_output_flow, then ip_append_data, which refuses a DF packet over
 * the device MTU with EMSGSIZE, then ip_local_out).
 */
export function sendmsg(ctx: WalkCtx, ns: Netns, ip: Uint8Array): Next {
  ctx.tb.enter(ns.name);
  const v = readIp(ip, 0);
  const r = fibLookup(ctx, ns, v.dst);
  if (!isRoute(r)) return r.disposition;
  if (r.type === 'local' || r.type === 'broadcast') {
    if (!nfHook(ctx, ns, 'OUTPUT', v, '', 'lo')) return 'DENIED';
    return { to: 'ip_local_deliver', ns, dev: 'lo', frame: ethFrame(NO_MAC, NO_MAC, ip) };
  }
  const dev = ns.ifaces.get(r.dev!)!;
  if (v.df && v.totalLength > dev.mtu) {
    ctx.tb.step({ kind: 'mtu', detail: `${v.totalLength} > mtu ${dev.mtu} of ${dev.name} with DF: sendmsg fails with EMSGSIZE (message too long)`, action: 'DROP', data: { mtu: dev.mtu, length: v.totalLength } });
    return 'MTU_EXCEEDED';
  }
  return ipLocalOut(ctx, ns, r, dev, ip, v);
}

/** ip_local_out: the OUTPUT hook, then dst_output (ip_output) on route `r` out of `dev`. */
export function ipLocalOut(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView = readIp(ip, 0)): Next {
  if (!nfHook(ctx, ns, 'OUTPUT', v, '', dev.name)) return 'DENIED';
  return ipOutput(ctx, ns, r, dev, ip, v);
}

/** ip_output: the POSTROUTING hook, then ip_finish_output. */
export function ipOutput(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView): Next {
  if (!nfHook(ctx, ns, 'POSTROUTING', v, '', dev.name)) return 'DENIED';
  return ipFinishOutput(ctx, ns, r, dev, ip, v);
}

/**
 * ip_finish_output: a packet over the MTU of `dev` is fragmented when DF is
 * clear (ip_fragment: the first fragment continues this walk, the others are
 * queued on the context and walked after it from here), and dropped when
 * DF is set (ip_fragment's EMSGSIZE; only tunnels' outer packets get here
 * with DF).
 */
export function ipFinishOutput(ctx: WalkCtx, ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView): Next {
  if (ip.length <= dev.mtu) return ipFinishOutput2(ctx, ns, r, dev, ip, v);
  if (v.df) {
    ctx.tb.step({ kind: 'mtu', detail: `${ip.length} > mtu ${dev.mtu} of ${dev.name} with DF: not fragmented, dropped (EMSGSIZE)`, action: 'DROP', data: { mtu: dev.mtu, length: ip.length } });
    return 'MTU_EXCEEDED';
  }
  const [first, ...rest] = fragment(ip, dev.mtu);
  ctx.tb.step({ kind: 'fragment', detail: `${ip.length} > mtu ${dev.mtu} of ${dev.name}: ${rest.length + 1} fragments`, action: 'FRAGMENTED', data: { count: rest.length + 1 } });
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
