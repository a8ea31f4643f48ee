/**
 * The receive path (net/core/dev.c, net/ipv4/ip_input.c):
 *
 *   netif_receive_skb (the device's rx_handler: a bridge port goes to
 *     br_handle_frame; else a frame not for the device's MAC is dropped as
 *     PACKET_OTHERHOST)
 *   -> ip_rcv (PREROUTING, then ip_rcv_finish's route lookup:
 *      local -> ip_local_deliver, else ip_forward)
 *   -> ip_local_deliver (ip_defrag, INPUT, then the one protocol demux:
 *      a VXLAN device's UDP socket (vxlan_rcv), flanneld's UDP port (the
 *      TUN: tun_get_user), IPIP (ipip_rcv), else the local stack: ICMP echo
 *      answered, UDP to a closed port answered "port unreachable").
 *
 * Simplified: no sockets are modelled (every UDP datagram finds its port
 * closed, as the real-kernel runs do, unless a tunnel owns it); reassembly
 * has no timeouts; `rp_filter` is not applied (only `-m rpfilter`).
 */
import { ETH_HLEN, FLANNEL_UDP_PORT, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_HLEN, IPPROTO_ICMP, IPPROTO_IPIP, IPPROTO_UDP, IPV4_HLEN } from '../../../assembly/shared/codec.js';
import { formatIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import type { Netns } from '../netns.js';
import { ethFrame, frameMacs, isFragment, NO_MAC, readIp, reassemble, type IpView } from '../packet.js';
import type { Next, WalkCtx } from './context.js';
import { fibLookup, isRoute } from './fib.js';
import { ICMP, icmpEcho, icmpSend } from './icmp.js';
import { nfHook } from './netfilter.js';

/** netif_receive_skb: `frame` arrives on `dev`. */
export function netifReceiveSkb(ctx: WalkCtx, dev: Iface, frame: Uint8Array): Next {
  if (++ctx.entered > ctx.net.hopLimit) {
    ctx.tb.step({ kind: 'loop', detail: `more than ${ctx.net.hopLimit} devices crossed`, action: 'LOOP' });
    return 'LOOP';
  }
  ctx.tb.enter(dev.ns.name);
  dev.see(frame);
  if (dev.master) return { to: 'br_handle_frame', dev, frame };
  const { dst } = frameMacs(frame);
  if (dst !== dev.mac && dst !== 'ff:ff:ff:ff:ff:ff') {
    ctx.tb.step({ kind: 'receive', detail: `${dev.name}: frame to ${dst} is not for ${dev.mac} (PACKET_OTHERHOST)`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  return ipRcv(ctx, dev, frame);
}

/** ip_rcv and ip_rcv_finish: PREROUTING, the route lookup, then local delivery or forwarding. */
export function ipRcv(ctx: WalkCtx, dev: Iface, frame: Uint8Array): Next {
  const ns = dev.ns;
  const v = readIp(frame, ETH_HLEN);
  ctx.tb.step({ kind: 'receive', detail: `${formatIPv4(v.src)} > ${formatIPv4(v.dst)} ${v.proto === IPPROTO_UDP ? `udp dport ${v.dport}` : `proto ${v.proto}`} ttl ${v.ttl} length ${v.totalLength} in ${dev.name}`, action: 'RECEIVED', data: { dev: dev.name } });
  if (!nfHook(ctx, ns, 'PREROUTING', v, dev.name, '')) return 'DENIED';
  const r = fibLookup(ctx, ns, v.dst);
  if (!isRoute(r)) {
    // ip_error: the sender is told why (fib.ts ROUTE_ICMP), by a router only.
    if (ns.ipForward) icmpSend(ctx, ns, frame.subarray(ETH_HLEN), r.icmp);
    return r.disposition;
  }
  if (r.type === 'local' || r.type === 'broadcast') return ipLocalDeliver(ctx, ns, dev.name, frame, v);
  return { to: 'ip_forward', dev, route: r, frame, v };
}

/**
 * ip_local_deliver: fragments wait for the rest (ip_defrag), then INPUT,
 * then the protocol demux (ip_local_deliver_finish). `frame` carries an
 * Ethernet header (all zeros for lo); `dev` names the input device.
 */
export function ipLocalDeliver(ctx: WalkCtx, ns: Netns, dev: string, frame: Uint8Array, v: IpView = readIp(frame, ETH_HLEN)): Next {
  let ip = frame.subarray(ETH_HLEN);
  if (isFragment(ip)) {
    const key = `${v.src} ${v.dst} ${(ip[4] << 8) | ip[5]} ${v.proto}`;
    const q = ns.reasm.get(key) ?? [];
    ns.reasm.set(key, q);
    const whole = reassemble(q, ip);
    if (!whole) {
      ctx.tb.step({ kind: 'deliver', detail: `fragment queued for reassembly in ${ns.name} (${q.length} so far)`, action: 'DELIVERED' });
      return 'DELIVERED';
    }
    ns.reasm.delete(key);
    ctx.tb.step({ kind: 'reassemble', detail: `${q.length} fragments reassembled: ${whole.length} bytes`, action: 'REASSEMBLED' });
    ip = whole;
    frame = ethFrame(NO_MAC, NO_MAC, whole);
    v = readIp(whole, 0);
  }
  if (!nfHook(ctx, ns, 'INPUT', v, dev, '')) return 'DENIED';
  const tunnel = demux(ns, v);
  if (tunnel) return { to: tunnel.to, dev: tunnel.dev, frame };
  // No sockets are modelled: a UDP datagram finds its port closed, as the real-kernel runs do.
  if (v.proto === IPPROTO_UDP) icmpSend(ctx, ns, ip, ICMP.PORT_UNREACH);
  // The kernel answers echo requests itself (icmp_echo_ignore_all = 0).
  else if (v.proto === IPPROTO_ICMP && v.icmpType === ICMP_ECHO) icmpEcho(ctx, ns, ip);
  else if (v.proto === IPPROTO_ICMP && v.icmpType === ICMP_DEST_UNREACH && ip[(ip[0] & 15) * 4 + 1] === ICMP_FRAG_NEEDED) icmpUnreachFragNeeded(ctx, ns, ip);
  // A raw ICMP socket (ping) sees every ICMP packet delivered: replies and errors.
  if (v.proto === IPPROTO_ICMP) ns.icmpRcv?.(ip);
  ctx.tb.step({ kind: 'deliver', detail: `${v.proto === IPPROTO_UDP ? `udp ${formatIPv4(v.dst)}:${v.dport}` : `icmp ${formatIPv4(v.dst)}`} delivered to the local stack of ${ns.name} (in ${dev})`, action: 'DELIVERED' });
  return 'DELIVERED';
}

/**
 * icmp_unreach for "fragmentation needed": the quoted packet's protocol
 * learns the path MTU (ipv4_update_pmtu -> __ip_rt_update_pmtu, pmtu.ts):
 * ICMP (icmp_err, whatever the socket) and UDP to a VXLAN device's port
 * (udp_err finds the tunnel's socket). Other UDP finds no socket in the
 * model (none are modelled), so nothing is learned.
 */
function icmpUnreachFragNeeded(ctx: WalkCtx, ns: Netns, ip: Uint8Array): void {
  const h = (ip[0] & 15) * 4;
  const mtu = (ip[h + 6] << 8) | ip[h + 7];
  const q = ip.subarray(h + ICMP_HLEN);
  if (q.length < IPV4_HLEN) return;
  const qv = readIp(q, 0);
  const udpTunnel = qv.proto === IPPROTO_UDP && [...ns.ifaces.values()].some((d) => d.vxlan?.dstport === qv.dport);
  if (qv.proto !== IPPROTO_ICMP && !udpTunnel) return;
  const r = ns.fib.get(qv.dst);
  const dev = r?.type === 'unicast' ? ns.ifaces.get(r.dev!) : undefined;
  if (!dev) return;
  const e = ns.pmtu.update(qv.dst, dev, mtu);
  ctx.tb.step({ kind: 'mtu', detail: `ICMP frag needed (mtu ${mtu}) about ${formatIPv4(qv.src)} > ${formatIPv4(qv.dst)}: ${e ? `PMTU exception ${formatIPv4(qv.dst)} mtu ${e.mtu}${e.locked ? ' (locked)' : ''} expires in ${ns.pmtu.params.mtuExpires}s` : 'no change'} (ipv4_update_pmtu)`, action: 'PMTU', data: { mtu, length: qv.totalLength } });
}

/**
 * The tunnels' receive handlers (a UDP socket's encap_rcv, inet_protos[4]):
 * UDP to a VXLAN device's `dstport` (its socket), UDP to flanneld's port with
 * a TUN device (flanneld's socket), IPIP with an IPIP device. Else the
 * packet is for the local stack.
 */
function demux(ns: Netns, v: IpView): { to: 'vxlan_rcv' | 'tun_get_user' | 'ipip_rcv'; dev: Iface } | undefined {
  if (v.proto === IPPROTO_UDP) {
    for (const d of ns.ifaces.values()) if (d.vxlan && d.vxlan.dstport === v.dport) return { to: 'vxlan_rcv', dev: d };
    if (v.dport === FLANNEL_UDP_PORT) for (const d of ns.ifaces.values()) if (d.kind === 'tun') return { to: 'tun_get_user', dev: d };
  } else if (v.proto === IPPROTO_IPIP) {
    for (const d of ns.ifaces.values()) if (d.kind === 'ipip') return { to: 'ipip_rcv', dev: d };
  }
  return undefined;
}
