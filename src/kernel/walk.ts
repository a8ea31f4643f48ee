/**
 * The forwarding path, packet by packet (net/ipv4/ip_input.c, ip_forward.c,
 * ip_output.c, net/bridge, drivers/net/vxlan): one probe is followed through
 * namespaces, devices and the fabric, and every decision becomes a step.
 *
 * Order of checks in a forwarding hop, as ip_rcv -> ip_forward:
 * PREROUTING, route lookup (local table first), ip_forward, TTL <= 1,
 * MTU with DF, TTL decrement, FORWARD, POSTROUTING, neighbour, transmit.
 *
 * Simplified (see docs/kernel.md): ARP is an instant exchange (no ARP
 * frames are captured, the answering side learns nothing); the first data
 * frame of an unlearnt bridge or switch is flooded; no ICMP errors are sent
 * back (they are recorded in the step); no fragmentation (a packet over the
 * MTU without DF is sent whole, a VXLAN outer packet is never checked).
 */
import type { Disposition } from '../core/trace.js';
import type { Codec } from '../codec/wasm.js';
import type { Segment } from '../fabric/segment.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import type { Iface } from './iface.js';
import type { Netns } from './netns.js';
import { netfilter } from './netfilter.js';
import { decTtl, ethFrame, ETH_HLEN, frameMacs, IPPROTO_UDP, readIp, type IpView } from './packet.js';
import { routeText, type KRoute } from './route.js';
import type { TraceBuilder } from './trace-builder.js';
import { arpResolve } from './arp.js';

/** What the walker needs from the network. */
export interface WalkEnv {
  segments: Map<string, Segment>;
  codec: Codec;
  /** Namespaces entered before the walk is called a LOOP. */
  hopLimit: number;
  /** Values Linux randomises, pinned so frames compare byte for byte with a capture. */
  pins?: WalkPins;
  /** When set, counts the calls that go into WASM (route lookups, netfilter hook walks, codec calls). */
  stats?: WalkStats;
}

/** Pinned values of fields Linux randomises. */
export interface WalkPins {
  /** UDP source port of VXLAN frames (Linux: a flow hash with a per-boot key). Default: the codec's flow hash with seed 0. */
  vxlanSrcPort?: number;
  /** Seed of the VXLAN source-port flow hash. Default 0. */
  hashSeed?: number;
  /** IPv4 ID of outer (tunnel) headers. Default 0. */
  outerIpId?: number;
  /** IPv4 ID of probes. Default 0. */
  ipId?: number;
  /** ICMP echo identifier of probes (ping uses its pid or a socket port). Default 0x4d2. */
  icmpId?: number;
}

/** Calls into WASM made by walks (for the benchmark's WASM share). */
export interface WalkStats {
  fib: number;
  ipt: number;
  codec: number;
}

/** Flanneld's udp backend port. */
const FLANNEL_UDP_PORT = 8285;
const IPPROTO_IPIP = 4;
const NULL_TYPES = new Set(['blackhole', 'unreachable', 'prohibit', 'throw']);

/** Follows one packet. */
export class Walker {
  private entered = 0;
  constructor(
    private readonly env: WalkEnv,
    private readonly tb: TraceBuilder,
  ) {}

  /** A packet sent by a local socket of `ns` (ip_local_out). `ip` is the IPv4 packet. */
  output(ns: Netns, ip: Uint8Array): Disposition {
    this.tb.enter(ns.name);
    const v = readIp(ip, 0);
    const r = this.route(ns, v);
    if (typeof r === 'string') return r;
    if (r.type === 'local' || r.type === 'broadcast') {
      if (!this.nf(ns, 'OUTPUT', v, '', 'lo') || !this.nf(ns, 'INPUT', v, 'lo', '')) return 'DENIED';
      return this.deliver(ns, v, 'lo');
    }
    const dev = ns.ifaces.get(r.dev!)!;
    if (v.df && v.totalLength > dev.mtu) {
      this.tb.step('mtu', `${v.totalLength} > mtu ${dev.mtu} of ${dev.name} with DF: sendmsg fails with EMSGSIZE (message too long)`, 'DROP', { mtu: dev.mtu, length: v.totalLength });
      return 'MTU_EXCEEDED';
    }
    if (!this.nf(ns, 'OUTPUT', v, '', dev.name)) return 'DENIED';
    return this.postrouting(ns, r, dev, ip, v);
  }

  private nf(ns: Netns, hook: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING', v: IpView, inDev: string, outDev: string): boolean {
    if (ns.ipt && this.env.stats) this.env.stats.ipt++;
    return netfilter(ns, this.tb, hook, v, inDev, outDev);
  }

  /** Route lookup step: the route, or the disposition when there is none usable. */
  private route(ns: Netns, v: IpView): KRoute | Disposition {
    if (this.env.stats) this.env.stats.fib++;
    const r = ns.fib.get(v.dst);
    if (!r) {
      this.tb.step('route', `${formatIPv4(v.dst)}: RTNETLINK answers: Network is unreachable`, 'NO_ROUTE');
      return 'NO_ROUTE';
    }
    const text = routeText(r);
    if (NULL_TYPES.has(r.type)) {
      const icmp = r.type === 'blackhole' ? 'none (silent drop)' : r.type === 'unreachable' ? 'host unreachable' : 'admin prohibited';
      this.tb.step('route', text, 'NULL_ROUTED', { table: r.table, type: r.type, icmp });
      return 'NULL_ROUTED';
    }
    this.tb.step('route', text, 'MATCHED', { table: r.table, type: r.type });
    return r;
  }

  private deliver(ns: Netns, v: IpView, dev: string): Disposition {
    this.tb.step('deliver', `${v.proto === IPPROTO_UDP ? `udp ${formatIPv4(v.dst)}:${v.dport}` : `icmp ${formatIPv4(v.dst)}`} delivered to the local stack of ${ns.name} (in ${dev})`, 'DELIVERED');
    return 'DELIVERED';
  }

  /** POSTROUTING, neighbour and transmit (ip_finish_output2). */
  private postrouting(ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView): Disposition {
    if (!this.nf(ns, 'POSTROUTING', v, '', dev.name)) return 'DENIED';
    const nh = r.via ?? v.dst;
    if (dev.kind === 'ipip' || dev.kind === 'tun') return this.tunnelXmit(ns, dev, nh, ip);
    const mac = this.neighbour(ns, dev, nh);
    if (!mac) return 'NEIGH_FAILED';
    const frame = ethFrame(mac, dev.mac, ip);
    if (dev.kind === 'vxlan') return this.vxlanXmit(ns, dev, frame);
    return this.transmit(dev, frame);
  }

  /** Resolves `nh` on `dev` through the namespace's neighbour table. */
  private neighbour(ns: Netns, dev: Iface, nh: number): string | undefined {
    const dst = formatIPv4(nh);
    ns.neigh.setResolver((q) => arpResolve(this.env, ns, q.dst, q.dev));
    const r = ns.neigh.lookup(dst, dev.name);
    if (r.kind === 'failed') {
      this.tb.step('neighbour', `${dst} dev ${dev.name} FAILED (${r.probes.length} probes unanswered)`, 'NEIGH_FAILED', { probes: r.probes.length });
      return undefined;
    }
    const e = r.entry;
    const how = r.kind === 'hit' ? `hit (${r.was})` : r.by === 'agent' ? 'L3 MISS answered by the agent' : 'resolved by ARP';
    this.tb.step('neighbour', `${dst} dev ${dev.name} lladdr ${e.lladdr} ${e.state}: ${how}`, r.kind === 'hit' ? 'HIT' : r.by === 'agent' ? 'AGENT' : 'ARP', { lladdr: e.lladdr });
    return e.lladdr;
  }

  /** Puts a frame on `dev` (dev_queue_xmit) and follows it across the link. */
  transmit(dev: Iface, frame: Uint8Array): Disposition {
    dev.see(frame);
    const { dst, src } = frameMacs(frame);
    this.tb.step('transmit', `${src} > ${dst} dev ${dev.name} length ${frame.length}`, 'TRANSMITTED', { dev: dev.name, length: frame.length });
    if (dev.kind === 'veth') {
      const peer = dev.peer!;
      this.tb.step('wire', `veth ${dev.name} -> ${peer.name}@${peer.ns.name}`, 'CARRIED');
      return this.linkIn(peer, frame);
    }
    if (dev.kind === 'bridge') return this.bridgeOut(dev, undefined, frame);
    if (dev.kind === 'loopback') return this.linkIn(dev, frame);
    const seg = this.env.segments.get(dev.segment ?? '');
    if (!seg) {
      this.tb.step('wire', `${dev.name} is not plugged into a segment`, 'DROP');
      return 'NEIGH_FAILED';
    }
    const { to, flooded } = seg.carry(dev, src, dst);
    if (!to) {
      this.tb.step('wire', `segment ${seg.name}: no station ${dst}`, 'DROP');
      return 'NEIGH_FAILED';
    }
    this.tb.step('wire', `segment ${seg.name} ${flooded ? 'flooded' : 'switched'} to ${to.name}@${to.ns.name}`, 'CARRIED', { segment: seg.name, flooded });
    return this.linkIn(to, frame);
  }

  /** A frame arrives on `i` (netif_receive_skb): bridge port or IP input. */
  private linkIn(i: Iface, frame: Uint8Array): Disposition {
    if (++this.entered > this.env.hopLimit) {
      this.tb.step('loop', `more than ${this.env.hopLimit} devices crossed`, 'LOOP');
      return 'LOOP';
    }
    this.tb.enter(i.ns.name);
    i.see(frame);
    if (i.master) return this.bridgeIn(i.master, i, frame);
    const { dst } = frameMacs(frame);
    if (dst !== i.mac && dst !== 'ff:ff:ff:ff:ff:ff') {
      this.tb.step('receive', `${i.name}: frame to ${dst} is not for ${i.mac} (PACKET_OTHERHOST)`, 'DROP');
      return 'NEIGH_FAILED';
    }
    return this.ipRcv(i, frame);
  }

  /** A frame entering bridge `br` from `port` (br_handle_frame): learn, look up, forward or go up. */
  private bridgeIn(br: Iface, port: Iface, frame: Uint8Array): Disposition {
    const { dst, src } = frameMacs(frame);
    br.bridgeFdb!.learn(src, port.name);
    const r = br.bridgeFdb!.lookup(dst);
    if (r.kind === 'local') {
      this.tb.step('fdb', `${dst} dev ${r.entry.dev} master ${br.name} permanent: local`, 'LOCAL');
      br.see(frame);
      return this.ipRcv(br, frame);
    }
    return this.bridgeOut(br, port, frame, r.kind === 'forward' ? r.entry.dev : undefined);
  }

  /** Forwards a frame out of bridge `br` (to a known port, or flooded to every port but `from`). */
  private bridgeOut(br: Iface, from: Iface | undefined, frame: Uint8Array, known?: string): Disposition {
    const { dst } = frameMacs(frame);
    if (known === undefined && from === undefined) {
      const r = br.bridgeFdb!.lookup(dst);
      if (r.kind === 'forward') known = r.entry.dev;
    }
    let out: Iface | undefined;
    if (known !== undefined) {
      out = br.ports!.find((p) => p.name === known);
      this.tb.step('fdb', `${dst} dev ${known} master ${br.name}`, 'FORWARD', { bridge: br.name, port: known });
    } else {
      const ports = br.ports!.filter((p) => p !== from);
      this.tb.step('fdb', `${dst} unknown in ${br.name}: flooded to ${ports.map((p) => p.name).join(', ') || 'no port'}`, 'FLOOD', { bridge: br.name });
      for (const p of ports) if (p.peer?.mac !== dst) p.see(frame);
      out = ports.find((p) => p.peer?.mac === dst);
      if (!out) return 'NEIGH_FAILED';
    }
    if (!out || out === from) {
      this.tb.step('fdb', `${dst} is behind the ingress port: not forwarded`, 'DROP');
      return 'NEIGH_FAILED';
    }
    return this.transmit(out, frame);
  }

  /** IP input of a frame received on `i` (ip_rcv). */
  private ipRcv(i: Iface, frame: Uint8Array): Disposition {
    const ns = i.ns;
    const v = readIp(frame, ETH_HLEN);
    this.tb.step('receive', `${formatIPv4(v.src)} > ${formatIPv4(v.dst)} ${v.proto === IPPROTO_UDP ? `udp dport ${v.dport}` : `proto ${v.proto}`} ttl ${v.ttl} length ${v.totalLength} in ${i.name}`, 'RECEIVED', { dev: i.name });
    if (!this.nf(ns, 'PREROUTING', v, i.name, '')) return 'DENIED';
    const r = this.route(ns, v);
    if (typeof r === 'string') return r;
    if (r.type === 'local' || r.type === 'broadcast') {
      if (!this.nf(ns, 'INPUT', v, i.name, '')) return 'DENIED';
      if (v.proto === IPPROTO_UDP) {
        const vx = [...ns.ifaces.values()].find((d) => d.vxlan && d.vxlan.dstport === v.dport);
        if (vx) return this.vxlanRcv(vx, frame);
        const tun = v.dport === FLANNEL_UDP_PORT ? [...ns.ifaces.values()].find((d) => d.kind === 'tun') : undefined;
        if (tun) return this.tunnelRcv(tun, frame, 'flannel-udp');
      }
      const ipip = v.proto === IPPROTO_IPIP ? [...ns.ifaces.values()].find((d) => d.kind === 'ipip') : undefined;
      if (ipip) return this.tunnelRcv(ipip, frame, 'ipip');
      return this.deliver(ns, v, i.name);
    }
    if (!ns.ipForward) {
      this.tb.step('forward', `net.ipv4.ip_forward = 0 in ${ns.name}: not forwarded`, 'DROP');
      return 'NO_ROUTE';
    }
    if (v.ttl <= 1) {
      this.tb.step('forward', `ttl ${v.ttl}: ICMP time exceeded in transit (type 11 code 0) to ${formatIPv4(v.src)}`, 'TTL_EXCEEDED', { icmp: { type: 11, code: 0 } });
      return 'TTL_EXCEEDED';
    }
    const dev = ns.ifaces.get(r.dev!)!;
    if (v.df && v.totalLength > dev.mtu) {
      this.tb.step('forward', `${v.totalLength} > mtu ${dev.mtu} of ${dev.name} with DF: ICMP frag needed (type 3 code 4, mtu ${dev.mtu}) to ${formatIPv4(v.src)}`, 'MTU_EXCEEDED', { icmp: { type: 3, code: 4, mtu: dev.mtu } });
      return 'MTU_EXCEEDED';
    }
    const g = decTtl(frame, ETH_HLEN);
    const v2 = { ...v, ttl: v.ttl - 1 };
    if (!this.nf(ns, 'FORWARD', v2, i.name, dev.name)) return 'DENIED';
    this.tb.step('forward', `ttl ${v.ttl} -> ${v2.ttl}, out ${dev.name}`, 'FORWARDED');
    return this.postrouting(ns, r, dev, g.subarray(ETH_HLEN), v2);
  }

  /** Encapsulates an inner frame on a VXLAN device (vxlan_xmit) and sends the outer packet. */
  private vxlanXmit(ns: Netns, vx: Iface, frame: Uint8Array): Disposition {
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
  private tunnelXmit(ns: Netns, dev: Iface, nh: number, ip: Uint8Array): Disposition {
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
  private encapSend(ns: Netns, dev: Iface, inner: Uint8Array, remote: string, mode: 'vxlan' | 'ipip' | 'flannel-udp'): Disposition {
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
    const mac = this.neighbour(ns, under, r.via ?? dstIp);
    if (!mac) return 'NEIGH_FAILED';
    const outer = this.env.codec.encap(inner, {
      mode,
      local: formatIPv4(local),
      remote,
      srcMac: under.mac,
      dstMac: mac,
      vni: dev.vxlan?.vni ?? 1,
      dstPort: dev.vxlan?.dstport,
      srcPort: mode === 'vxlan' ? this.env.pins?.vxlanSrcPort : undefined,
      hashSeed: this.env.pins?.hashSeed,
      ipId: this.env.pins?.outerIpId,
    });
    this.tb.step('encapsulate', `${mode}${mode === 'vxlan' ? ` vni ${dev.vxlan!.vni} dstport ${dev.vxlan!.dstport}` : ''} ${formatIPv4(local)} > ${remote}`, 'ENCAPSULATED', { mode, vni: dev.vxlan?.vni, local: formatIPv4(local), remote });
    const ov = readIp(outer, ETH_HLEN);
    if (!this.nf(ns, 'OUTPUT', ov, '', under.name) || !this.nf(ns, 'POSTROUTING', ov, '', under.name)) return 'DENIED';
    return this.transmit(under, outer);
  }

  /** IPIP (ipip_rcv) or flanneld writing a udp-backend datagram into its TUN: the inner packet enters `dev`. */
  private tunnelRcv(dev: Iface, frame: Uint8Array, mode: 'ipip' | 'flannel-udp'): Disposition {
    if (this.env.stats) this.env.stats.codec++;
    const d = this.env.codec.decode(frame, { mode });
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
  private vxlanRcv(vx: Iface, frame: Uint8Array): Disposition {
    const p = vx.vxlan!;
    if (this.env.stats) this.env.stats.codec++;
    const d = this.env.codec.decode(frame, { mode: 'vxlan', ports: [p.dstport] });
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
