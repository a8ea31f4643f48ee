/**
 * What a CNI design (Flannel now, Calico later) gives the shared cluster
 * machinery: it checks its own section of the file, builds its control
 * plane on kernels that already hold the underlay, and answers per-node
 * questions in the real tools' formats. Everything else (the file, the
 * underlay, events on the clock, reachability and address checks, the
 * commands) is shared and knows nothing of the design.
 */
import type { MissResponderSpec, Netlink, SimNetwork } from '../kernel/index.js';
import type { SimClock, SyncKVStore } from '../store/index.js';
import type { OutageStore } from './outage.js';
import type { Cluster } from './spec.js';

/** What a design builds on. */
export interface DesignContext {
  net: SimNetwork;
  /** The one programming door of `net`. */
  nl: Netlink;
  /** The datastore as the nodes reach it (it can be cut by `store-down` events). */
  store: OutageStore;
  /** The store behind the link (for printing what etcd holds, whatever the link). */
  backing: SyncKVStore;
  clock: SimClock;
  /** Seed of the design's random choices (Flannel's subnet pick, VtepMACs). */
  seed: number;
}

/** A built design. */
export interface DesignRun {
  /** Runs the control plane until nothing is pending now (timers in the future stay). */
  converge(): void;
  /** A pod's address, once its CNI ADD has run; undefined while it has none. */
  podAddress(pod: string): string | undefined;
  /** Whether a node's agents run (a node that is down or whose agent exited is not). */
  nodeLive(node: string): boolean;
  /** Events: the node stops (agents, NIC) or comes back. */
  nodeDown(node: string): void;
  nodeUp(node: string): void;
  /** Events only some designs have (`bgp-stop`); false when this design has no such thing. */
  event(kind: string, node: string): boolean;
  /** A design-specific view of a node (`subnet-env`, `etcd`, `birdc-routes`), or undefined when `what` is not one. */
  show(node: string, what: string): string | undefined;
  /** Design-specific consistency problems (leases against kernels), as sentences. */
  violations(): string[];
  /**
   * The user-space programs answering kernel misses now (old flanneld's
   * miss handler), by node, each with the table it answers from: what the
   * netns export runs in their place. Absent or empty when none listen.
   */
  missResponders?(): ReadonlyMap<string, MissResponderSpec>;
}

/** A CNI design. */
export interface Design {
  readonly name: string;
  /** The `--what` views it adds to the kernel's own. */
  readonly views: readonly string[];
  /** Checks the design's section and the file's pins against it; `InputError` at the file's line. */
  validate(c: Cluster): void;
  build(c: Cluster, ctx: DesignContext): DesignRun;
}
