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
import { rulesetSpec } from '../iptables/spec.js';
import type { TableName } from '../iptables/model.js';
import type { SimClock } from '../store/clock.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { Netns } from './netns.js';
import { buildIpPacket } from './packet.js';
import type { PacketSpec, Probe } from './scenario.js';
import type { NetView, WalkPins, WalkStats } from './path/context.js';
import { arpSolicit } from './path/arp.js';
import { routeSource } from './path/select-addr.js';
import { sendPacket, type LaterSink, type SendResult } from './path/walk.js';
import { neighMsgText, type NeighMsg } from './neigh-types.js';
import { linkShow } from './link-show.js';

/** pcap link type of bare IPv4 (IPIP and TUN devices carry no Ethernet header). */
const LINKTYPE_RAW = 101;

/** One RTNLGRP_NEIGH notification of namespace `ns` at simulated time `atMs`; `text` as `ip monitor neigh` prints it. */
export interface NeighNotification {
  readonly ns: string;
  readonly atMs: number;
  readonly msg: NeighMsg;
  readonly text: string;
}

/**
 * `ip -ts monitor neigh`'s line for `n`: `[YYYY-MM-DDTHH:MM:SS.uuuuuu] TEXT`,
 * the simulated time counted from `epochMs` (default 0, 1970-01-01 UTC).
 */
export function monitorLine(n: NeighNotification, epochMs = 0): string {
  return `${tsShort(n.atMs, epochMs)} ${n.text}`;
}

/** iproute2's `-ts` timestamp of simulated time `atMs`. */
export function tsShort(atMs: number, epochMs = 0): string {
  const us = Math.round((epochMs + atMs) * 1000);
  const d = new Date(Math.floor(us / 1000));
  return `[${d.toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}]`;
}

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
export class SimNetwork implements NetView {
  readonly namespaces = new Map<string, Netns>();
  readonly segments = new Map<string, Segment>();
  /** Record ARP frames on the devices they pass (default false). */
  arpFrames = false;
  /** Walk the ICMP errors Linux would send (default true; see path/icmp.ts). */
  icmpErrors = true;
  /** Pinned values of randomised fields (see {@link WalkPins}). */
  pins?: WalkPins;
  /** Set to count the WASM calls walks make (see {@link WalkStats}). */
  stats?: WalkStats;
  private neighWatchers = new Set<(n: NeighNotification) => void>();

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
    ns.neigh.setResolver((q) => arpSolicit(this, ns, q.dev, q.dst, undefined));
    ns.neighMonitor = (m) => {
      for (const f of this.neighWatchers) f({ ns: name, atMs: this.clock.now(), msg: m, text: neighMsgText(m) });
    };
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
   * Sends `packet` (an ICMP echo request or a UDP datagram) from its pod or
   * node and follows it to its end, then what it caused (fragments, the ICMP
   * errors Linux sends, the echo reply), in order. The source address is the
   * route's `src`, else inet_select_addr's (path/select-addr.ts).
   *
   * With `later` the send is timed: a packet (or the echo reply, an
   * error) whose next hop is unresolved waits in the neighbour's queue
   * (disposition `QUEUED`) while the probes run on the clock, and what it
   * does when the answer arrives or the entry fails is handed to `later`
   * as the clock is advanced. Without it, probes are tried at once.
   */
  send(packet: PacketSpec | Probe, opts: { later?: LaterSink } = {}): SendResult {
    const ns = this.ns(packet.from);
    const dst = parseIPv4(packet.to);
    const src = routeSource(ns.ifaces, ns.fib.get(dst)) ?? 0;
    // DF by default for both: ping and the runner's UDP socket (IP_PMTUDISC_DO; Linux's default WANT also sets it).
    const df = packet.pmtudisc ? packet.pmtudisc !== 'dont' : (packet.df ?? true);
    const ip = buildIpPacket({ proto: packet.proto, src, dst, dport: packet.dport, sport: packet.sport, size: packet.size, ttl: packet.ttl, df, id: this.pins?.ipId, icmpId: this.pins?.icmpId, seq: packet.seq });
    return sendPacket(this, ns, ip, opts.later, packet.pmtudisc);
  }

  /**
   * Subscribes to every namespace's RTNLGRP_NEIGH notifications, as
   * `ip -ts monitor neigh` run in each would print them (see
   * {@link monitorLine}); returns the unsubscribe function.
   */
  monitorNeigh(f: (n: NeighNotification) => void): () => void {
    this.neighWatchers.add(f);
    return () => void this.neighWatchers.delete(f);
  }

  /** Sends `packet` (see {@link send}) and returns its trace. A {@link Probe}'s name and expectation are not needed (see {@link check}). */
  walk(packet: PacketSpec | Probe): Trace {
    return this.send(packet).trace;
  }

  /**
   * Sends a packet and returns with it the echo reply the destination kernel
   * sent back (walked by every `walk` too: captures hold its frames), as
   * `ping` needs both. Simplified: the reply is a fresh walk (no conntrack
   * state links the two); UDP probes get no reply (`reply` undefined).
   */
  walkRoundTrip(packet: PacketSpec | Probe): { request: Trace; reply?: Trace } {
    const r = this.send(packet);
    return { request: r.trace, reply: r.reply };
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
    const i = this.device(ns, dev);
    if (this.namespaces.has(ns) || !i.portMissed.length) return [...i.frames];
    // A switch port: the NIC's frames but those the port dropped over the segment's MTU.
    const missed = new Set(i.portMissed);
    return i.frames.filter((_, k) => !missed.has(k));
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
    for (const n of this.namespaces.values()) {
      for (const i of n.ifaces.values()) {
        i.frames.length = 0;
        i.portMissed.length = 0;
      }
    }
  }

  /** `ip route` (or `ip route show table local`) in `ns`. */
  ipRoute(ns: string, table: 'main' | 'local' = 'main'): string {
    return this.ns(ns).fib.show(table);
  }

  /**
   * `ip route get ADDR` in `ns`: the route line as iproute2 prints it
   * (without `uid 0`), with a PMTU exception's line (`\n    cache expires
   * 597sec mtu 1450`; the bare `cache` line is left out), or the error it prints
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
    const src = routeSource(n.ifaces, r);
    const local = r.type === 'local' || r.type === 'broadcast';
    const cache = local ? '' : n.pmtu.cacheText(parseIPv4(addr), r.dev!);
    return `${local ? `${r.type} ` : ''}${addr}${via} dev ${r.type === 'local' ? 'lo' : r.dev}${src !== undefined ? ` src ${formatIPv4(src)}` : ''}${cache ? `\n    cache${cache}` : ''}`;
  }

  /** `ip route flush cache` in every namespace (or in `ns`): PMTU exceptions are forgotten (rt_cache_flush). */
  flushRouteCache(ns?: string): void {
    for (const n of ns === undefined ? this.namespaces.values() : [this.ns(ns)]) n.pmtu.flush();
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

  /**
   * `iptables -t TABLE -S [CHAIN]` in `ns` (src/iptables/spec.ts): throws
   * InputError `NoSuchChain` for a chain the table does not have.
   */
  iptablesSpec(ns: string, table: TableName, chain?: string): string[] {
    return rulesetSpec(this.ns(ns).ruleset ?? { tables: new Map(), warnings: [], file: ns }, table, chain);
  }

  /** Frees the WASM tables of every namespace. */
  dispose(): void {
    for (const n of this.namespaces.values()) n.dispose();
  }
}
