/**
 * What the three tunnels share (net/ipv4/ip_tunnel_core.c iptunnel_xmit,
 * net/ipv4/udp_tunnel_core.c udp_tunnel_xmit_skb): the outer route lookup
 * and source address, the outer headers written by the WASM codec, and the
 * outer packet handed to ip_local_out with its route, so it takes the same
 * OUTPUT, POSTROUTING, MTU / fragmentation, neighbour and transmit as any
 * locally sent packet. On receive, the codec checks and strips the outer
 * headers.
 *
 * VXLAN (vxlan_xmit_one): the outer DF bit follows the device's `df`
 * (`unset`: clear, Linux's default; `set`; `inherit`: the inner IPv4
 * packet's); before encapsulating, skb_tunnel_check_pmtu compares the inner
 * packet with the outer path MTU (a PMTU exception towards the remote, else
 * the underlay device's) less the 50 bytes of headroom and, when it does not
 * fit, records that MTU as a PMTU exception towards the inner destination
 * (flannel.1 is not a bridge port, so no ICMP goes to the inner sender).
 * An outer packet over the underlay MTU is then fragmented when its DF is
 * clear and dropped, with "fragmentation needed" to the node itself, when
 * it is set (output.ts).
 *
 * Simplified: TTL 64 for VXLAN and the inner TTL for IPIP, UDP checksum on;
 * the VXLAN `ttl`/`tos` options are not applied; IPIP copies DF from the
 * inner packet but lacks tnl_update_pmtu (its own PMTU check and the
 * "fragmentation needed" to the inner sender).
 */
import { ETH_HLEN } from '../../../assembly/shared/codec.js';
import { resolveDecap, resolveEncap, type EncapMode, type ResolvedDecap, type ResolvedEncap } from '../../codec/params.js';
import { formatIPv4, parseIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import { ethFrame, NO_MAC } from '../packet.js';
import type { Next, WalkCtx, WalkPins } from './context.js';
import { fibLookup, isRoute } from './fib.js';
import { routeSource } from './select-addr.js';

// Validated codec parameters per tunnel and peer: resolving them parses
// addresses and MACs, which costs more than the encapsulation itself.
const encapCache = new WeakMap<Iface, Map<string, ResolvedEncap>>();
const decapCache = new Map<string, ResolvedDecap>();

function encapParams(dev: Iface, mode: EncapMode, local: string, remote: string, pins: WalkPins | undefined, df?: 'set' | 'unset'): ResolvedEncap {
  const srcPort = mode === 'vxlan' ? pins?.vxlanSrcPort : undefined;
  const key = `${mode} ${local} ${remote} ${dev.vxlan?.vni} ${dev.vxlan?.dstport} ${srcPort} ${pins?.hashSeed} ${pins?.outerIpId} ${df}`;
  let m = encapCache.get(dev);
  if (!m) encapCache.set(dev, (m = new Map()));
  let r = m.get(key);
  if (!r) {
    // The outer MACs are written by ip_finish_output2 once the neighbour is resolved.
    r = resolveEncap({ mode, local, remote, srcMac: NO_MAC, dstMac: NO_MAC, vni: dev.vxlan?.vni ?? 1, dstPort: dev.vxlan?.dstport, srcPort, hashSeed: pins?.hashSeed, ipId: pins?.outerIpId, ...(df ? { df } : {}) });
    m.set(key, r);
  }
  return r;
}

function decapParams(mode: EncapMode, port: number | undefined): ResolvedDecap {
  const key = `${mode} ${port}`;
  let d = decapCache.get(key);
  if (!d) decapCache.set(key, (d = resolveDecap({ mode, ports: port === undefined ? undefined : [port] })));
  return d;
}

/**
 * iptunnel_xmit / udp_tunnel_xmit_skb: tunnel `dev` sends `inner` (a frame;
 * for IPIP and TUN its Ethernet header is all zeros and not sent) to
 * `remote`: the outer route (the tunnel's route lookup), the source (the
 * tunnel's `local`, else the route's), the outer headers, then ip_local_out.
 */
export function iptunnelXmit(ctx: WalkCtx, dev: Iface, inner: Uint8Array, remote: string, mode: EncapMode): Next {
  const ns = dev.ns;
  const r = fibLookup(ctx, ns, parseIPv4(remote), true);
  if (!isRoute(r)) return r.disposition;
  const under = ns.ifaces.get(r.dev!)!;
  const local = dev.vxlan?.local ?? dev.ipipLocal ?? routeSource(ns.ifaces, r) ?? 0;
  let df: 'set' | 'unset' | undefined;
  if (dev.vxlan) {
    const innerIp = readEtherType(inner) === ETHERTYPE_IPV4 ? inner.subarray(ETH_HLEN) : undefined;
    if (innerIp) tunnelCheckPmtu(ctx, dev, innerIp, parseIPv4(remote), under);
    df = dev.vxlan.df === 'set' || (dev.vxlan.df === 'inherit' && innerIp !== undefined && (innerIp[6] & 0x40) !== 0) ? 'set' : 'unset';
  }
  if (ctx.net.stats) ctx.net.stats.codec++;
  const outer = ctx.net.codec.encap(inner, encapParams(dev, mode, formatIPv4(local), remote, ctx.net.pins, df));
  ctx.tb.step({ kind: 'encapsulate', detail: `${mode}${mode === 'vxlan' ? ` vni ${dev.vxlan!.vni} dstport ${dev.vxlan!.dstport}` : ''} ${formatIPv4(local)} > ${remote}${df === 'set' ? ' DF' : ''}`, action: 'ENCAPSULATED', data: { mode, vni: dev.vxlan?.vni, local: formatIPv4(local), remote } });
  return { to: 'ip_local_out', ns, route: r, dev: under, ip: outer.subarray(ETH_HLEN), ...(mode === 'ipip' ? { out: { ipip: true } } : {}) };
}

/** The 50 bytes a VXLAN device puts before the inner IPv4 packet (outer IPv4, UDP, VXLAN, inner Ethernet). */
const VXLAN_HEADROOM = 50;
const ETHERTYPE_IPV4 = 0x0800;

function readEtherType(frame: Uint8Array): number {
  return (frame[12] << 8) | frame[13];
}

/**
 * skb_tunnel_check_pmtu: the inner IPv4 packet `ip` of `vx` against the
 * outer path MTU towards `remote` out of `under`, less the headroom; too
 * big, the inner route's path MTU is lowered to that (a PMTU exception
 * towards the inner destination, skb_dst_update_pmtu_no_confirm).
 */
function tunnelCheckPmtu(ctx: WalkCtx, vx: Iface, ip: Uint8Array, remote: number, under: Iface): void {
  const ns = vx.ns;
  const mtu = ns.pmtu.mtu(remote, under) - VXLAN_HEADROOM;
  const len = (ip[2] << 8) | ip[3];
  if (len <= mtu) return;
  const dst = ((ip[16] << 24) | (ip[17] << 16) | (ip[18] << 8) | ip[19]) >>> 0;
  const e = ns.pmtu.update(dst, vx, mtu);
  ctx.tb.step({ kind: 'mtu', detail: `inner ${len} > ${mtu} (path mtu ${mtu + VXLAN_HEADROOM} to ${formatIPv4(remote)} - ${VXLAN_HEADROOM}): ${e ? `PMTU exception ${formatIPv4(dst)} mtu ${e.mtu}` : 'PMTU exception unchanged'} (skb_tunnel_check_pmtu)`, action: 'PMTU', data: { mtu, length: len } });
}

/** The decoded outer packet: the inner frame's bytes and the outer addresses, or why the codec refused it. */
export type Decapsulated =
  | { readonly ok: true; readonly inner: Uint8Array; readonly outerSrc: string; readonly outerDst: string; readonly vni?: number; readonly innerSrcMac?: string }
  | { readonly ok: false; readonly error: string };

/** Checks and strips the outer headers of `frame` (IP checksum, UDP port `port`, VXLAN header) with the codec. */
export function tunnelDecap(ctx: WalkCtx, frame: Uint8Array, mode: EncapMode, port?: number): Decapsulated {
  if (ctx.net.stats) ctx.net.stats.codec++;
  const d = ctx.net.codec.decode(frame, decapParams(mode, port));
  if (!d.ok) return { ok: false, error: d.error.message };
  const f = d.frame;
  return { ok: true, inner: frame.slice(f.inner.offset, f.inner.offset + f.inner.length), outerSrc: f.outer.src, outerDst: f.outer.dst, vni: f.vxlan?.vni, innerSrcMac: f.inner.srcMac };
}

/**
 * The inner IP packet of an IPIP or flannel-udp datagram `frame` enters
 * `dev` (ipip_rcv, or flanneld writing it into its TUN: tun_get_user).
 */
export function tunnelRcv(ctx: WalkCtx, dev: Iface, frame: Uint8Array, mode: 'ipip' | 'flannel-udp'): Next {
  const d = tunnelDecap(ctx, frame, mode);
  if (!d.ok) {
    ctx.tb.step({ kind: 'decapsulate', detail: `${dev.name}: ${d.error}`, action: 'DROP' });
    return 'DENIED';
  }
  ctx.tb.step({ kind: 'decapsulate', detail: `${mode} from ${d.outerSrc} on ${dev.name}`, action: 'DECAPSULATED', data: { mode, outerSrc: d.outerSrc, outerDst: d.outerDst } });
  dev.see(d.inner);
  return { to: 'ip_rcv', dev, frame: ethFrame(NO_MAC, NO_MAC, d.inner) };
}
