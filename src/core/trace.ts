/**
 * The shape of every answer to "what happened to this packet": a Batfish-like
 * trace of hops, each a list of steps, ending in one disposition. Shared by
 * the iptables tracer (one hop: one netfilter walk) and the kernel model
 * (one hop per namespace the packet crosses).
 *
 * A step is a discriminated union on `kind`: each kind says which `data` it
 * carries, so `if (s.kind === 'route') s.data?.table` type-checks. Steps are
 * plain JSON; a step without data has no `data` key.
 */

/** How a walk ended. */
export type Disposition =
  | 'DELIVERED' // reached a local socket / the destination namespace
  | 'ACCEPTED' // netfilter let it continue (an iptables-only walk)
  | 'DENIED' // a rule dropped or rejected it (the step says which)
  | 'DENIED_IN'
  | 'DENIED_OUT'
  | 'NO_ROUTE'
  | 'NULL_ROUTED' // blackhole / unreachable / prohibit route
  | 'NEIGH_FAILED' // no neighbour entry and nobody answered
  | 'TTL_EXCEEDED'
  | 'MTU_EXCEEDED'
  | 'LOOP'
  | 'QUEUED'; // handed to user space (NFQUEUE, TUN) and not followed further

/**
 * Fields every step has. `detail` holds the numbers, in Linux's own words
 * where there are some (an `ip route` line, an iptables rule); `action` what
 * the step decided (`MATCHED`, `NO_MATCH`, `ACCEPT`, `DROP`, `FORWARDED`...).
 */
interface StepOf<K extends string, A extends string, D> {
  readonly kind: K;
  readonly detail: string;
  readonly action: A;
  /** Structured data for machines (absent on steps that carry none). */
  readonly data?: D;
}

/** An ICMP message the kernel sends (or would send) about the packet. */
export interface IcmpNote {
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU of a "fragmentation needed". */
  readonly mtu?: number;
}

// ---- Kernel-model steps (src/kernel/path/) --------------------------------

/** fib_lookup: the route used, or why there is none (`icmp`: what Linux answers a forwarded packet with). */
export type RouteStep = StepOf<'route', 'MATCHED' | 'NULL_ROUTED' | 'NO_ROUTE', { readonly table: string; readonly type: string; readonly icmp?: string; readonly outer?: boolean }>;
/** neigh_resolve_output: the next hop's MAC (HIT / ARP / AGENT) or the probes that went unanswered. */
export type NeighbourStep = StepOf<'neighbour', 'HIT' | 'ARP' | 'AGENT' | 'QUEUED' | 'NEIGH_FAILED', { readonly lladdr?: string; readonly probes?: number }>;
/** One netfilter hook: the rule (index) or policy that decided. */
export type NetfilterStep = StepOf<'netfilter', string, { readonly hook: string; readonly table: string; readonly chain: string; readonly rule: number | 'policy'; readonly line: number; readonly verdict: string }>;
/** ip_forward: forwarding sysctl, TTL, MTU with DF, TTL decrement. */
export type ForwardStep = StepOf<'forward', 'FORWARDED' | 'DROP' | 'TTL_EXCEEDED' | 'MTU_EXCEEDED', { readonly icmp: IcmpNote }>;
/** A packet over the (path) MTU with DF (EMSGSIZE for a local socket or a tunnel's outer packet: DROP), or a tunnel lowering a path MTU (PMTU). */
export type MtuStep = StepOf<'mtu', 'DROP' | 'PMTU', { readonly mtu: number; readonly length: number }>;
/** ip_fragment: into how many fragments. */
export type FragmentStep = StepOf<'fragment', 'FRAGMENTED', { readonly count: number }>;
/** ip_defrag: the fragments made whole again. */
export type ReassembleStep = StepOf<'reassemble', 'REASSEMBLED', never>;
/** A bridge FDB (`bridge`/`port`) or VXLAN FDB (`dst`) decision. */
export type FdbStep = StepOf<'fdb', 'LOCAL' | 'FORWARD' | 'FLOOD' | 'HIT' | 'AGENT' | 'DROP', { readonly bridge?: string; readonly port?: string; readonly dst?: string }>;
/** dev_queue_xmit: the frame put on a device. */
export type TransmitStep = StepOf<'transmit', 'TRANSMITTED', { readonly dev: string; readonly length: number }>;
/** The link between two devices: a veth, or a fabric segment (switched or flooded). */
export type WireStep = StepOf<'wire', 'CARRIED' | 'DROP', { readonly segment: string; readonly flooded: boolean }>;
/** netif_receive_skb / ip_rcv: the packet as it arrived, or why the device dropped it. */
export type ReceiveStep = StepOf<'receive', 'RECEIVED' | 'DROP', { readonly dev: string }>;
/** vxlan_xmit / ipip / flannel udp: the outer header written. */
export type EncapsulateStep = StepOf<'encapsulate', 'ENCAPSULATED', { readonly mode: 'vxlan' | 'ipip' | 'flannel-udp'; readonly vni?: number; readonly local: string; readonly remote: string }>;
/** vxlan_rcv / ipip_rcv / flanneld: the outer header removed (or why not). */
export type DecapsulateStep = StepOf<'decapsulate', 'DECAPSULATED' | 'DROP', { readonly mode?: 'ipip' | 'flannel-udp'; readonly vni?: number; readonly outerSrc: string; readonly outerDst: string }>;
/** A TUN device read by its user-space agent (flanneld's udp backend). */
export type TunStep = StepOf<'tun', 'AGENT' | 'QUEUED', never>;
/** ip_local_deliver: handed to the local stack (or queued for reassembly). */
export type DeliverStep = StepOf<'deliver', 'DELIVERED', never>;
/** More devices crossed than the network's hop limit. */
export type LoopStep = StepOf<'loop', 'LOOP', never>;

/** A step of the kernel model's walk. */
export type KernelStep =
  | RouteStep
  | NeighbourStep
  | NetfilterStep
  | ForwardStep
  | MtuStep
  | FragmentStep
  | ReassembleStep
  | FdbStep
  | TransmitStep
  | WireStep
  | ReceiveStep
  | EncapsulateStep
  | DecapsulateStep
  | TunStep
  | DeliverStep
  | LoopStep;

// ---- iptables tracer steps (src/iptables/reference.ts) --------------------

/** Which rule (or chain policy) decided: table, chain, 0-based index, source line. */
export interface RuleRefData {
  readonly table: string;
  readonly chain: string;
  readonly index: number;
  readonly line: number;
  readonly policy: boolean;
}

/** A table entered (or the nat table skipped for a packet that is not NEW). */
export type TableStep = StepOf<'table', 'ENTER' | 'SKIPPED', { readonly table: string; readonly chain: string; readonly reason?: string }>;
/** A rule tried: matched or not, its target's action, marks before and after (`packetAfter` etc. for NAT). */
export type RuleStep = StepOf<'rule', string, RuleRefData & { readonly comment?: string; readonly matched: boolean; readonly markBefore: string; readonly markAfter: string; readonly [extra: string]: unknown }>;
/** Back in the calling chain after a jumped-to chain ran out of rules. */
export type ReturnStep = StepOf<'return', 'CONTINUE', { readonly table: string; readonly chain: string }>;
/** A built-in chain's policy decided. */
export type PolicyStep = StepOf<'policy', string, RuleRefData & { readonly mark: string }>;
/** The verdict of a hook, with the packet as the hook left it. */
export type VerdictStep = StepOf<'verdict', string, { readonly rule: RuleRefData | null; readonly packet: object }>;

/** A step of the iptables tracer. */
export type IptablesStep = TableStep | RuleStep | ReturnStep | PolicyStep | VerdictStep;

/** One thing the kernel (or a rule) did. Narrow on `kind` to read `data`. */
export type Step = KernelStep | IptablesStep;

/** All steps taken in one node or namespace. */
export interface Hop {
  readonly node: string;
  readonly steps: readonly Step[];
}

/** The whole walk. */
export interface Trace {
  readonly disposition: Disposition;
  readonly hops: readonly Hop[];
}
