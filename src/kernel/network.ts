/**
 * A built scenario: namespaces, segments and the walk of probes through
 * them, with captures and Linux-format printers of every table.
 */
import type { Core } from '../core/core.js';
import { InputError } from '../core/errors.js';
import type { Trace } from '../core/trace.js';
import type { Codec } from '../codec/wasm.js';
import type { Segment } from './segment.js';
import { writePcap } from '../pcap/classic.js';
import { saveRuleset } from '../iptables/save.js';
import type { SimClock } from '../store/clock.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { Netns } from './netns.js';
import { buildIpPacket } from './packet.js';
import type { Probe } from './scenario.js';
import { TraceBuilder } from './trace-builder.js';
import { Walker, type WalkEnv, type WalkPins, type WalkStats } from './walk.js';
import { arpResolve } from './arp.js';
import { linkShow } from './link-show.js';

/** pcap link type of bare IPv4 (IPIP and TUN devices carry no Ethernet header). */
const LINKTYPE_RAW = 101;

/** One probe walked by {@link SimNetwork.check}. */
export interface ProbeResult {
  probe: Probe;
  trace: Trace;
  /** Namespaces passed, in order. */
  path: string[];
  ok: boolean;
  /** What differed from the expectation. */
  problems: string[];
}

/** The simulated network of one scenario. */
export class SimNetwork implements WalkEnv {
  readonly namespaces = new Map<string, Netns>();
  readonly segments = new Map<string, Segment>();
  /** Record ARP frames on the devices they pass (default false). */
  arpFrames = false;
  /** Source address of the packet being resolved for (walker internal). */
  arpSource?: number;
  /** Walk the ICMP errors Linux would send (default true; see icmp.ts). */
  icmpErrors = true;
  /** Traces of the ICMP errors the last walk caused (walked after it, in order). */
  lastErrors: Trace[] = [];
  /** Trace of the echo reply to the last walk's echo request, if it was delivered. */
  lastReply: Trace | undefined;
  /** Pinned values of randomised fields (see {@link WalkPins}). */
  pins?: WalkPins;
  /** Set to count the WASM calls walks make (see {@link WalkStats}). */
  stats?: WalkStats;

  constructor(
    readonly core: Core,
    readonly codec: Codec,
    readonly clock: SimClock,
    /** Devices a walk may cross before it is a LOOP. */
    readonly hopLimit = 64,
  ) {}

  /** Creates namespace `name` belonging to node `node` (the door's primitive: programs call `Netlink.netnsAdd`). */
  addNamespace(name: string, node: string): Netns {
    if (this.namespaces.has(name)) throw new InputError('DuplicateNamespace', name, 'unique node and pod names');
    const ns = new Netns(this.core, this.clock, name, node);
    ns.neigh.setResolver((q) => arpResolve(this, ns, q.dst, q.dev));
    this.namespaces.set(name, ns);
    return ns;
  }

  /** The namespace of a node or pod. */
  ns(name: string): Netns {
    const n = this.namespaces.get(name);
    if (!n) throw new InputError('NoSuchNamespace', name, `a node or pod (${[...this.namespaces.keys()].join(', ')})`);
    return n;
  }

  /**
   * Sends `probe` (an ICMP echo request or a UDP datagram) from its pod or
   * node and follows it to its end. The source address is the route's
   * `src`, else the primary address of the output device.
   */
  walk(probe: Probe): Trace {
    const ns = this.ns(probe.from);
    const dst = parseIPv4(probe.to);
    const src = this.sourceFor(ns, dst);
    // DF by default for both: ping and the runner's UDP socket (IP_PMTUDISC_DO; Linux's default WANT also sets it).
    const sport = (probe as { sport?: number }).sport;
    const ip = buildIpPacket({ proto: probe.proto, src, dst, dport: probe.dport, sport, size: probe.size, ttl: probe.ttl, df: probe.df ?? true, id: this.pins?.ipId, icmpId: this.pins?.icmpId });
    return this.run(ns, ip);
  }

  /**
   * Walks `ip` out of `ns`, then what it caused, in order: the fragments
   * after the first (from where they were made), ICMP errors and the echo
   * reply (and their own fragments). Returns the first trace; a later
   * fragment that does not arrive decides the disposition.
   */
  private run(ns: Netns, ip: Uint8Array): Trace {
    const tb = new TraceBuilder();
    const w = new Walker(this, tb);
    let disposition = w.output(ns, ip);
    this.lastErrors = [];
    this.lastReply = undefined;
    const queue: { w: Walker; main: boolean }[] = [{ w, main: true }];
    while (queue.length) {
      const { w: from, main } = queue.shift()!;
      for (const f of from.fragments) {
        const fw = new Walker(this, new TraceBuilder());
        fw.quiet = from.quiet;
        const d = fw.fragmentOut(f.ns, f.route, f.dev, f.ip);
        if (main && d !== 'DELIVERED' && disposition === 'DELIVERED') disposition = d;
        queue.push({ w: fw, main });
      }
      for (const e of from.errors) {
        const etb = new TraceBuilder();
        const ew = new Walker(this, etb);
        ew.quiet = true;
        const t = etb.done(ew.output(e.ns, e.ip));
        if (e.echo) this.lastReply = t;
        else this.lastErrors.push(t);
        queue.push({ w: ew, main: false });
      }
    }
    return tb.done(disposition);
  }

  /**
   * Walks a probe and returns with it the echo reply the destination kernel
   * sent back (walked by every `walk` too: captures hold its frames), as
   * `ping` needs both. Simplified: the reply is a fresh walk (no conntrack
   * state links the two); UDP probes get no reply (`reply` undefined).
   */
  walkRoundTrip(probe: Probe): { request: Trace; reply?: Trace } {
    const request = this.walk(probe);
    return { request, reply: this.lastReply };
  }

  private sourceFor(ns: Netns, dst: number): number {
    const r = ns.fib.get(dst);
    return r?.src ?? (r?.dev ? ns.primary(r.dev) : undefined) ?? firstAddress(ns);
  }

  /**
   * Walks every probe and compares with its expectation: the disposition,
   * and the namespaces passed when `path` is given.
   */
  check(probes: readonly Probe[]): ProbeResult[] {
    return probes.map((probe) => {
      const trace = this.walk(probe);
      const path = trace.hops.map((h) => h.node);
      const problems: string[] = [];
      if (trace.disposition !== probe.expect) problems.push(`disposition ${trace.disposition}, expected ${probe.expect}`);
      if (probe.path && path.join(' ') !== probe.path.join(' ')) problems.push(`path ${path.join(' > ')}, expected ${probe.path.join(' > ')}`);
      return { probe, trace, path, ok: problems.length === 0, problems };
    });
  }

  /**
   * Frames seen on device `dev` of namespace `ns` so far (copies, oldest
   * first). `ns` may also be a segment and `dev` a switch port (`NODE.IF`):
   * the frames that passed that port, which are those its NIC saw.
   */
  capture(ns: string, dev: string): Uint8Array[] {
    return [...this.device(ns, dev).frames];
  }

  private device(ns: string, dev: string) {
    const seg = this.namespaces.has(ns) ? undefined : this.segments.get(ns);
    if (seg) {
      const i = seg.ports.get(dev);
      if (!i) throw new InputError('NoSuchPort', dev, `a port of segment ${ns} (${[...seg.ports.keys()].join(', ')})`);
      return i;
    }
    return this.ns(ns).iface(dev);
  }

  /** The capture of a device as a classic pcap file (Ethernet, or raw IPv4 for ipip/tun). */
  pcap(ns: string, dev: string): Uint8Array {
    const i = this.device(ns, dev);
    return writePcap(i.frames, { linkType: i.ether ? 1 : LINKTYPE_RAW });
  }

  /** Turns capturing on every device on or off (off by default; `buildScenario` turns it on). */
  setCapture(on: boolean): void {
    for (const n of this.namespaces.values()) for (const i of n.ifaces.values()) i.capture = on;
  }

  /** Forgets every capture. */
  clearCaptures(): void {
    for (const n of this.namespaces.values()) for (const i of n.ifaces.values()) i.frames.length = 0;
  }

  /** `ip route` (or `ip route show table local`) in `ns`. */
  ipRoute(ns: string, table: 'main' | 'local' = 'main'): string {
    return this.ns(ns).fib.show(table);
  }

  /**
   * `ip route get ADDR` in `ns`: the route line as iproute2 prints it
   * (without `uid 0` and the `cache` line), or the error it prints
   * (`RTNETLINK answers: Network is unreachable`, `No route to host`
   * for unreachable, `Invalid argument` for blackhole, `Permission denied`
   * for prohibit).
   */
  ipRouteGet(ns: string, addr: string): string {
    const n = this.ns(ns);
    const r = n.fib.get(parseIPv4(addr));
    if (!r || r.type === 'throw') return 'RTNETLINK answers: Network is unreachable';
    if (r.type === 'blackhole') return 'RTNETLINK answers: Invalid argument';
    if (r.type === 'unreachable') return 'RTNETLINK answers: No route to host';
    if (r.type === 'prohibit') return 'RTNETLINK answers: Permission denied';
    const via = r.via !== undefined ? ` via ${formatIPv4(r.via)}` : '';
    const src = r.src ?? (r.dev ? n.primary(r.dev) : undefined);
    const local = r.type === 'local' || r.type === 'broadcast';
    return `${local ? `${r.type} ` : ''}${addr}${via} dev ${r.type === 'local' ? 'lo' : r.dev}${src !== undefined ? ` src ${formatIPv4(src)}` : ''}`;
  }

  /** `ip neigh` in `ns`. */
  ipNeigh(ns: string): string {
    return this.ns(ns).neigh.show();
  }

  /** `bridge fdb show` in `ns`: bridge entries then vxlan entries. */
  bridgeFdb(ns: string): string {
    const n = this.ns(ns);
    let out = '';
    for (const i of n.ifaces.values()) if (i.bridgeFdb) out += i.bridgeFdb.show();
    for (const i of n.ifaces.values()) if (i.vxlan) out += i.vxlan.fdb.show({ withDev: true });
    return out;
  }

  /** `ip -d link` essentials in `ns`. */
  ipLink(ns: string): string {
    return linkShow(this.ns(ns));
  }

  /** `iptables-save` in `ns` ('' when no rules were loaded). */
  iptablesSave(ns: string): string {
    const r = this.ns(ns).ipt?.ruleset;
    return r ? saveRuleset(r) : '';
  }

  /** Frees the WASM tables of every namespace. */
  dispose(): void {
    for (const n of this.namespaces.values()) n.dispose();
  }
}

function firstAddress(ns: Netns): number {
  for (const i of ns.ifaces.values()) if (i.kind !== 'loopback' && i.addrs.length) return i.addrs[0].addr;
  return 0;
}
