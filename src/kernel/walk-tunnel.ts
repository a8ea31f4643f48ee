/**
 * Tunnels in the walk: VXLAN (vxlan_xmit / vxlan_rcv), IPIP and the TUN
 * device of Flannel's udp backend, with the WASM codec building and parsing
 * the outer headers.
 */
import type { Disposition } from '../core/trace.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import type { Iface } from './iface.js';
import type { Netns } from './netns.js';
import { ethFrame, ETH_HLEN, frameMacs, readIp } from './packet.js';
import { routeText } from './route.js';
import { L2Walk } from './walk-l2.js';
import type { WalkPins } from './walk-base.js';
import { resolveDecap, resolveEncap, type EncapMode, type ResolvedDecap, type ResolvedEncap } from '../codec/params.js';

/** Route types that end a walk (NULL_ROUTED). */
export const NULL_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

// Validated codec parameters per tunnel and peer: resolving them parses
// addresses and MACs, which costs more than the encapsulation itself.
const encapCache = new WeakMap<Iface, Map<string, ResolvedEncap>>();
const decapCache = new Map<string, ResolvedDecap>();

function encapParams(dev: Iface, mode: EncapMode, local: string, remote: string, srcMac: string, dstMac: string, pins: WalkPins | undefined): ResolvedEncap {
  const srcPort = mode === 'vxlan' ? pins?.vxlanSrcPort : undefined;
  const key = `${mode} ${local} ${remote} ${srcMac} ${dstMac} ${dev.vxlan?.vni} ${dev.vxlan?.dstport} ${srcPort} ${pins?.hashSeed} ${pins?.outerIpId}`;
  let m = encapCache.get(dev);
  if (!m) encapCache.set(dev, (m = new Map()));
  let r = m.get(key);
  if (!r) {
    r = resolveEncap({ mode, local, remote, srcMac, dstMac, vni: dev.vxlan?.vni ?? 1, dstPort: dev.vxlan?.dstport, srcPort, hashSeed: pins?.hashSeed, ipId: pins?.outerIpId });
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

/** Tunnel part of the walker. */
export abstract class TunnelWalk extends L2Walk {
  /** Encapsulates an inner frame on a VXLAN device (vxlan_xmit) and sends the outer packet. */
  protected vxlanXmit(ns: Netns, vx: Iface, frame: Uint8Array): Disposition {
    const p = vx.vxlan!;
    vx.see(frame);
    const { dst: dmac } = frameMacs(frame);
    const f = p.fdb.lookup(dmac);
    let remote: string | undefined;
    if (f.kind === 'miss') {
      remote = f.installed?.dst;
      this.tb.step('fdb', `${dmac} dev ${vx.name}: miss${f.l2miss ? (remote ? `, L2 MISS answered by the agent: dst ${remote}` : ', L2 MISS unanswered') : ''}`, remote ? 'AGENT' : 'DROP');
      if (!remote) return 'NEIGH_FAILED';
    } else {
      remote = f.dsts[0];
      this.tb.step('fdb', `${dmac} dev ${vx.name} dst ${remote}${f.kind === 'default' ? ' (all-zeros default)' : ''}`, 'HIT', { dst: remote });
    }
    return this.encapSend(ns, vx, frame, remote, 'vxlan');
  }

  /** IPIP / TUN: the next hop is the remote endpoint. */
  protected tunnelXmit(ns: Netns, dev: Iface, nh: number, ip: Uint8Array): Disposition {
    dev.see(ip);
    if (dev.kind === 'tun') {
      const ans = dev.tunAgent?.(ip, dev.name);
      this.tb.step('tun', `packet read by the user-space agent on ${dev.name}${ans ? `: sent to ${ans.remote}:8285` : ': dropped'}`, ans ? 'AGENT' : 'QUEUED');
      if (!ans) return 'QUEUED';
      return this.encapSend(ns, dev, ethFrame('00:00:00:00:00:00', '00:00:00:00:00:00', ip), ans.remote, 'flannel-udp');
    }
    return this.encapSend(ns, dev, ethFrame('00:00:00:00:00:00', '00:00:00:00:00:00', ip), formatIPv4(nh), 'ipip');
  }

  /** Routes the outer packet to `remote`, encapsulates with the codec and transmits (iptunnel_xmit). */
  protected encapSend(ns: Netns, dev: Iface, inner: Uint8Array, remote: string, mode: 'vxlan' | 'ipip' | 'flannel-udp'): Disposition {
    const dstIp = parseIPv4(remote);
    if (this.env.stats) {
      this.env.stats.fib++;
      this.env.stats.codec++;
    }
    const r = ns.fib.get(dstIp);
    if (!r || r.type !== 'unicast' || !r.dev) {
      this.tb.step('route', `${remote} (outer): ${r ? routeText(r) : 'Network is unreachable'}`, 'NO_ROUTE');
      return r && NULL_TYPES.has(r.type) ? 'NULL_ROUTED' : 'NO_ROUTE';
    }
    this.tb.step('route', `${remote} (outer): ${routeText(r)}`, 'MATCHED', { outer: true });
    const under = ns.ifaces.get(r.dev)!;
    const local = dev.vxlan?.local ?? dev.ipipLocal ?? r.src ?? ns.primary(under.name) ?? 0;
    const mac = this.neighbour(ns, under, r.via ?? dstIp, local);
    if (!mac) return 'NEIGH_FAILED';
    const outer = this.env.codec.encap(inner, encapParams(dev, mode, formatIPv4(local), remote, under.mac, mac, this.env.pins));
    this.tb.step('encapsulate', `${mode}${mode === 'vxlan' ? ` vni ${dev.vxlan!.vni} dstport ${dev.vxlan!.dstport}` : ''} ${formatIPv4(local)} > ${remote}`, 'ENCAPSULATED', { mode, vni: dev.vxlan?.vni, local: formatIPv4(local), remote });
    const ov = readIp(outer, ETH_HLEN);
    if (!this.nf(ns, 'OUTPUT', ov, '', under.name) || !this.nf(ns, 'POSTROUTING', ov, '', under.name)) return 'DENIED';
    return this.transmit(under, outer);
  }

  /** IPIP (ipip_rcv) or flanneld writing a udp-backend datagram into its TUN: the inner packet enters `dev`. */
  protected tunnelRcv(dev: Iface, frame: Uint8Array, mode: 'ipip' | 'flannel-udp'): Disposition {
    if (this.env.stats) this.env.stats.codec++;
    const d = this.env.codec.decode(frame, decapParams(mode, undefined));
    if (!d.ok) {
      this.tb.step('decapsulate', `${dev.name}: ${d.error.message}`, 'DROP');
      return 'DENIED';
    }
    const ip = frame.slice(d.frame.inner.offset, d.frame.inner.offset + d.frame.inner.length);
    this.tb.step('decapsulate', `${mode} from ${d.frame.outer.src} on ${dev.name}`, 'DECAPSULATED', { mode, outerSrc: d.frame.outer.src, outerDst: d.frame.outer.dst });
    dev.see(ip);
    return this.ipRcv(dev, ethFrame('00:00:00:00:00:00', '00:00:00:00:00:00', ip));
  }

  /** The VXLAN socket got a datagram (vxlan_rcv): decapsulate, learn, receive the inner frame on the device. */
  protected vxlanRcv(vx: Iface, frame: Uint8Array): Disposition {
    const p = vx.vxlan!;
    if (this.env.stats) this.env.stats.codec++;
    const d = this.env.codec.decode(frame, decapParams('vxlan', p.dstport));
    if (!d.ok || d.frame.vxlan!.vni !== p.vni) {
      this.tb.step('decapsulate', `${vx.name}: ${d.ok ? `vni ${d.frame.vxlan!.vni} is not ${p.vni}` : d.error.message}`, 'DROP');
      return 'DENIED';
    }
    const inner = frame.slice(d.frame.inner.offset, d.frame.inner.offset + d.frame.inner.length);
    this.tb.step('decapsulate', `vxlan vni ${p.vni} from ${d.frame.outer.src} on ${vx.name}`, 'DECAPSULATED', { vni: p.vni, outerSrc: d.frame.outer.src, outerDst: d.frame.outer.dst });
    if (p.learning) p.fdb.learn(d.frame.inner.srcMac!, d.frame.outer.src);
    vx.see(inner);
    const { dst } = frameMacs(inner);
    if (dst !== vx.mac) {
      this.tb.step('receive', `${vx.name}: frame to ${dst} is not for ${vx.mac}`, 'DROP');
      return 'NEIGH_FAILED';
    }
    return this.ipRcv(vx, inner);
  }
}
