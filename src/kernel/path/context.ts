/**
 * What one walk carries from stage to stage, and what a stage hands on.
 *
 * A stage of the packet path is a plain function named after its Linux
 * counterpart. It takes the walk context and the packet, does what Linux
 * does there (adding steps to the trace), and returns either how the walk
 * ended (a {@link Disposition}) or the next stage the packet goes to (an
 * {@link Skb}: the Linux function's name and its arguments), which the
 * driver (walk.ts) calls. So no stage module imports another stage module:
 * the path's recursion (an encapsulated packet is output again, a received
 * one forwarded) lives in the driver alone, as Linux's own path is a chain
 * of calls through function pointers (`okfn` of NF_HOOK, `ndo_start_xmit`,
 * `rx_handler`, `inet_protos`, a UDP socket's `encap_rcv`).
 */
import type { Disposition } from '../../core/trace.js';
import type { Codec } from '../../codec/wasm.js';
import type { Segment } from '../segment.js';
import type { Iface } from '../iface.js';
import type { Netns } from '../netns.js';
import type { IpView } from '../packet.js';
import type { KRoute } from '../route.js';
import type { TraceBuilder } from '../trace-builder.js';

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

/** What a walk reads of the network (SimNetwork is one). The walk changes tables (neighbours, FDBs) but not these. */
export interface NetView {
  readonly segments: ReadonlyMap<string, Segment>;
  readonly codec: Codec;
  /** Devices a walk may enter before it is a LOOP. */
  readonly hopLimit: number;
  /** Values Linux randomises, pinned so frames compare byte for byte with a capture. */
  readonly pins?: WalkPins;
  /** Send (and walk) the ICMP errors Linux sends. */
  readonly icmpErrors: boolean;
  /** Record ARP request/reply frames on the devices they pass. */
  readonly arpFrames: boolean;
  /** When set, counts the calls that go into WASM (route lookups, netfilter hooks, codec calls). */
  readonly stats?: WalkStats;
}

/** A packet the walk caused, walked after it by the driver, in order. */
export type Caused =
  /** A fragment after the first (ip_fragment), continued from where it was made. */
  | { readonly kind: 'fragment'; readonly ns: Netns; readonly route: KRoute; readonly dev: Iface; readonly ip: Uint8Array }
  /** An ICMP error (icmp_send) sent by `ns`. */
  | { readonly kind: 'icmp-error'; readonly ns: Netns; readonly ip: Uint8Array }
  /** The kernel's echo reply (icmp_echo) sent by `ns`. */
  | { readonly kind: 'echo-reply'; readonly ns: Netns; readonly ip: Uint8Array };

/** The per-walk context every stage takes. */
export interface WalkCtx {
  readonly net: NetView;
  readonly tb: TraceBuilder;
  /** Packets this walk caused (appended by the stages, walked by the driver). */
  readonly caused: Caused[];
  /** A walk of an ICMP error: it causes no further errors or replies (Linux never answers an ICMP error). */
  readonly quiet: boolean;
  /** Devices entered so far (for LOOP). */
  entered: number;
}

/**
 * Where a packet goes next: a Linux function and its arguments. `frame`
 * always has an Ethernet header (all zeros on devices without one: IPIP,
 * TUN, and the lo shortcut), so every stage reads the IP header at ETH_HLEN.
 */
export type Skb =
  // Output (net/ipv4/ip_output.c)
  | { readonly to: 'ip_local_out'; readonly ns: Netns; readonly route: KRoute; readonly dev: Iface; readonly ip: Uint8Array }
  | { readonly to: 'ip_output'; readonly ns: Netns; readonly route: KRoute; readonly dev: Iface; readonly ip: Uint8Array; readonly v: IpView }
  // Devices (net/core/dev.c and the drivers' ndo_start_xmit)
  | { readonly to: 'dev_queue_xmit'; readonly dev: Iface; readonly frame: Uint8Array; readonly nh: number }
  | { readonly to: 'br_dev_xmit'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'vxlan_xmit'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'ipip_tunnel_xmit'; readonly dev: Iface; readonly frame: Uint8Array; readonly nh: number }
  | { readonly to: 'tun_net_xmit'; readonly dev: Iface; readonly frame: Uint8Array }
  // Input (net/core/dev.c, net/bridge/br_input.c, net/ipv4/ip_input.c, ip_forward.c)
  | { readonly to: 'netif_receive_skb'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'br_handle_frame'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'ip_rcv'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'ip_local_deliver'; readonly ns: Netns; readonly dev: string; readonly frame: Uint8Array }
  | { readonly to: 'ip_forward'; readonly dev: Iface; readonly route: KRoute; readonly frame: Uint8Array; readonly v: IpView }
  // Tunnel receive (the UDP socket's encap_rcv, the IPIP protocol handler, flanneld writing into its TUN)
  | { readonly to: 'vxlan_rcv'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'ipip_rcv'; readonly dev: Iface; readonly frame: Uint8Array }
  | { readonly to: 'tun_get_user'; readonly dev: Iface; readonly frame: Uint8Array };

/** What a stage returns: the end of the walk, or the next stage. */
export type Next = Disposition | Skb;
