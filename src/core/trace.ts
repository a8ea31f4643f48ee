/**
 * The shape of every answer to "what happened to this packet": a Batfish-like
 * trace of hops, each a list of steps, ending in one disposition. Shared by
 * the iptables tracer (one hop: one netfilter walk) and the kernel model
 * (one hop per namespace the packet crosses).
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

/** One thing the kernel (or a rule) did. `detail` holds the numbers; `action` the outcome. */
export interface Step {
  /** e.g. `receive`, `netfilter`, `rule`, `route`, `neighbour`, `fdb`, `encapsulate`, `transmit`, `wire`, `decapsulate`, `deliver`. */
  readonly kind: string;
  /** Human text, in Linux's own words where there are some (an `ip route` line, an iptables rule). */
  readonly detail: string;
  /** What the step decided: `MATCHED`, `NO_MATCH`, `ACCEPT`, `DROP`, `FORWARDED`, ... */
  readonly action: string;
  /** Structured data for machines (rule index, source line, marks, addresses...). */
  readonly data?: Readonly<Record<string, unknown>>;
}

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
