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
 * frame of an unlearnt bridge or switch is flooded; ICMP errors and echo
 * replies are walked after the packet (see icmp.ts); a packet over the MTU
 * without DF is fragmented (the first fragment continues the walk, the others
 * are walked after it) and reassembled at local delivery; a VXLAN outer
 * packet is never checked against the underlay MTU.
 */
import type { Disposition } from '../core/trace.js';
import { formatIPv4 } from '../net/ip.js';
import type { Iface } from './iface.js';
import type { Netns } from './netns.js';
import { decTtl, ethFrame, ETH_HLEN, fragment, IPPROTO_ICMP, IPPROTO_UDP, isFragment, readIp, reassemble, type IpView } from './packet.js';
import { routeText, type KRoute } from './route.js';
import { arpResolve } from './arp.js';
import { NULL_TYPES, TunnelWalk } from './walk-tunnel.js';
import { echoReply, ICMP, icmpError } from './icmp.js';

export type { WalkEnv, WalkPins, WalkStats } from './walk-base.js';

/** Flanneld's udp backend port. */
const FLANNEL_UDP_PORT = 8285;
const IPPROTO_IPIP = 4;

/** A packet the kernel sent in response to the walked one (an ICMP error or the echo reply), walked after it. */
export interface PendingError {
  ns: Netns;
  ip: Uint8Array;
  /** The echo reply (else an ICMP error). */
  echo?: boolean;
}

/** Follows one packet. */
export class Walker extends TunnelWalk {
  /** Responses this walk caused: ICMP errors and the echo reply (walked afterwards by the caller with `quiet` walkers). */
  readonly errors: PendingError[] = [];
  /** Fragments after the first, to be walked on from where they were made (by the caller). */
  readonly fragments: { ns: Netns; route: KRoute; dev: Iface; ip: Uint8Array }[] = [];
  /** Set on walkers of ICMP errors: they cause no further errors. */
  quiet = false;

  private sendError(ns: Netns, ip: Uint8Array, tc: readonly [number, number] | undefined, mtu?: number): void {
    if (this.quiet || !tc || !this.env.icmpErrors) return;
    const e = icmpError(ns, ip, tc[0], tc[1], { mtu, id: this.env.pins?.ipId });
    if (e) this.errors.push({ ns, ip: e });
  }

  /** A packet sent by a local socket of `ns` (ip_local_out). `ip` is the IPv4 packet. */
  output(ns: Netns, ip: Uint8Array): Disposition {
    this.tb.enter(ns.name);
    const v = readIp(ip, 0);
    const r = this.route(ns, v);
    if (typeof r === 'string') return r;
    if (r.type === 'local' || r.type === 'broadcast') {
      if (!this.nf(ns, 'OUTPUT', v, '', 'lo') || !this.nf(ns, 'INPUT', v, 'lo', '')) return 'DENIED';
      return this.deliver(ns, v, 'lo', ip);
    }
    const dev = ns.ifaces.get(r.dev!)!;
    if (v.df && v.totalLength > dev.mtu) {
      this.tb.step('mtu', `${v.totalLength} > mtu ${dev.mtu} of ${dev.name} with DF: sendmsg fails with EMSGSIZE (message too long)`, 'DROP', { mtu: dev.mtu, length: v.totalLength });
      return 'MTU_EXCEEDED';
    }
    if (!this.nf(ns, 'OUTPUT', v, '', dev.name)) return 'DENIED';
    return this.postrouting(ns, r, dev, ip, v);
  }


  /** Route lookup step: the route, or the disposition when there is none usable. */
  protected route(ns: Netns, v: IpView): KRoute | Disposition {
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


  protected deliver(ns: Netns, v: IpView, dev: string, ip: Uint8Array): Disposition {
    if (isFragment(ip)) {
      const key = `${v.src} ${v.dst} ${(ip[4] << 8) | ip[5]} ${v.proto}`;
      const q = ns.reasm.get(key) ?? [];
      ns.reasm.set(key, q);
      const whole = reassemble(q, ip);
      if (!whole) {
        this.tb.step('deliver', `fragment queued for reassembly in ${ns.name} (${q.length} so far)`, 'DELIVERED');
        return 'DELIVERED';
      }
      ns.reasm.delete(key);
      this.tb.step('reassemble', `${q.length} fragments reassembled: ${whole.length} bytes`, 'REASSEMBLED');
      ip = whole;
      v = readIp(whole, 0);
    }
    // No sockets are modelled: a UDP datagram finds its port closed, as the real-kernel runs do.
    if (v.proto === IPPROTO_UDP) this.sendError(ns, ip, ICMP.PORT_UNREACH);
    // The kernel answers echo requests itself (icmp_echo_ignore_all = 0).
    else if (v.proto === IPPROTO_ICMP && v.icmpType === 8 && !this.quiet) this.errors.push({ ns, ip: echoReply(ip, this.env.pins?.ipId), echo: true });
    this.tb.step('deliver', `${v.proto === IPPROTO_UDP ? `udp ${formatIPv4(v.dst)}:${v.dport}` : `icmp ${formatIPv4(v.dst)}`} delivered to the local stack of ${ns.name} (in ${dev})`, 'DELIVERED');
    return 'DELIVERED';
  }


  /** POSTROUTING, neighbour and transmit (ip_finish_output2). */
  protected postrouting(ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView): Disposition {
    if (!this.nf(ns, 'POSTROUTING', v, '', dev.name)) return 'DENIED';
    if (ip.length > dev.mtu && !v.df) {
      // ip_fragment: the first fragment continues this walk; the others follow it (walked by the caller).
      const [first, ...rest] = fragment(ip, dev.mtu);
      this.tb.step('fragment', `${ip.length} > mtu ${dev.mtu} of ${dev.name}: ${rest.length + 1} fragments`, 'FRAGMENTED', { count: rest.length + 1 });
      for (const f of rest) this.fragments.push({ ns, route: r, dev, ip: f });
      return this.finishOutput(ns, r, dev, first, v);
    }
    return this.finishOutput(ns, r, dev, ip, v);
  }

  /** Continues a fragment made in `ns` for `dev` (a fresh walk from there). */
  fragmentOut(ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array): Disposition {
    this.tb.enter(ns.name);
    return this.finishOutput(ns, r, dev, ip, readIp(ip, 0));
  }

  /** Neighbour and transmit of one packet or fragment (ip_finish_output2). */
  finishOutput(ns: Netns, r: KRoute, dev: Iface, ip: Uint8Array, v: IpView): Disposition {
    const nh = r.via ?? v.dst;
    if (dev.kind === 'ipip' || dev.kind === 'tun') return this.tunnelXmit(ns, dev, nh, ip);
    const mac = this.neighbour(ns, dev, nh, v.src);
    if (!mac) return 'NEIGH_FAILED';
    const frame = ethFrame(mac, dev.mac, ip);
    if (dev.kind === 'vxlan') return this.vxlanXmit(ns, dev, frame);
    return this.transmit(dev, frame);
  }


  /** Resolves `nh` on `dev` through the namespace's neighbour table. */
  protected neighbour(ns: Netns, dev: Iface, nh: number, src?: number): string | undefined {
    this.env.arpSource = src;
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


  /** IP input of a frame received on `i` (ip_rcv). */
  protected ipRcv(i: Iface, frame: Uint8Array): Disposition {
    const ns = i.ns;
    const v = readIp(frame, ETH_HLEN);
    this.tb.step('receive', `${formatIPv4(v.src)} > ${formatIPv4(v.dst)} ${v.proto === IPPROTO_UDP ? `udp dport ${v.dport}` : `proto ${v.proto}`} ttl ${v.ttl} length ${v.totalLength} in ${i.name}`, 'RECEIVED', { dev: i.name });
    if (!this.nf(ns, 'PREROUTING', v, i.name, '')) return 'DENIED';
    const r = this.route(ns, v);
    if (typeof r === 'string') {
      const t = ns.fib.get(v.dst)?.type;
      if (ns.ipForward) this.sendError(ns, frame.subarray(ETH_HLEN), r === 'NO_ROUTE' ? ICMP.NET_UNREACH : t === 'unreachable' ? ICMP.HOST_UNREACH : t === 'prohibit' ? ICMP.PKT_FILTERED : undefined);
      return r;
    }
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
      return this.deliver(ns, v, i.name, frame.subarray(ETH_HLEN));
    }
    if (!ns.ipForward) {
      this.tb.step('forward', `net.ipv4.ip_forward = 0 in ${ns.name}: not forwarded`, 'DROP');
      return 'NO_ROUTE';
    }
    if (v.ttl <= 1) {
      this.tb.step('forward', `ttl ${v.ttl}: ICMP time exceeded in transit (type 11 code 0) to ${formatIPv4(v.src)}`, 'TTL_EXCEEDED', { icmp: { type: 11, code: 0 } });
      this.sendError(ns, frame.subarray(ETH_HLEN), ICMP.TIME_EXCEEDED);
      return 'TTL_EXCEEDED';
    }
    const dev = ns.ifaces.get(r.dev!)!;
    if (v.df && v.totalLength > dev.mtu) {
      this.tb.step('forward', `${v.totalLength} > mtu ${dev.mtu} of ${dev.name} with DF: ICMP frag needed (type 3 code 4, mtu ${dev.mtu}) to ${formatIPv4(v.src)}`, 'MTU_EXCEEDED', { icmp: { type: 3, code: 4, mtu: dev.mtu } });
      this.sendError(ns, frame.subarray(ETH_HLEN), ICMP.FRAG_NEEDED, dev.mtu);
      return 'MTU_EXCEEDED';
    }
    const g = decTtl(frame, ETH_HLEN);
    const v2 = { ...v, ttl: v.ttl - 1 };
    if (!this.nf(ns, 'FORWARD', v2, i.name, dev.name)) return 'DENIED';
    this.tb.step('forward', `ttl ${v.ttl} -> ${v2.ttl}, out ${dev.name}`, 'FORWARDED');
    return this.postrouting(ns, r, dev, g.subarray(ETH_HLEN), v2);
  }

}
