/**
 * The base of the walker: what every part of the path needs (the network,
 * the trace, netfilter, and the methods the parts call across each other).
 */
import type { Disposition } from '../core/trace.js';
import type { Codec } from '../codec/wasm.js';
import type { Segment } from './segment.js';
import type { Iface } from './iface.js';
import type { Netns } from './netns.js';
import { netfilter } from './netfilter.js';
import type { IpView } from './packet.js';
import type { TraceBuilder } from './trace-builder.js';

/** What the walker needs from the network. */
export interface WalkEnv {
  segments: Map<string, Segment>;
  codec: Codec;
  /** Namespaces entered before the walk is called a LOOP. */
  hopLimit: number;
  /** Values Linux randomises, pinned so frames compare byte for byte with a capture. */
  pins?: WalkPins;
  /** Send (and walk) the ICMP errors Linux sends: time exceeded, unreachable, frag needed, port unreachable. */
  icmpErrors?: boolean;
  /** Record ARP request/reply frames on the devices they pass (default false: ARP stays invisible). */
  arpFrames?: boolean;
  /** Source address of the packet being resolved for (set by the walker before a neighbour lookup). */
  arpSource?: number;
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

/** Shared state and cross-calls of the walk; see walk.ts. */
export abstract class WalkBase {
  protected entered = 0;
  constructor(
    protected readonly env: WalkEnv,
    protected readonly tb: TraceBuilder,
  ) {}

  /** One netfilter hook (counted for the benchmark). */
  protected nf(ns: Netns, hook: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING', v: IpView, inDev: string, outDev: string): boolean {
    if (ns.ipt && this.env.stats) this.env.stats.ipt++;
    return netfilter(ns, this.tb, hook, v, inDev, outDev);
  }


  /** IP input of a frame received on `i` (ip_rcv). */
  protected abstract ipRcv(i: Iface, frame: Uint8Array): Disposition;
  /** Resolves the next hop's MAC (or records why not). */
  protected abstract neighbour(ns: Netns, dev: Iface, nh: number, src?: number): string | undefined;
}
