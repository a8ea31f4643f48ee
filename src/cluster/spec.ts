/**
 * The cluster file, checked and expanded: what both designs build from.
 * Every part keeps its `path` into the file, so a design's own checks
 * (a Flannel `subnet:` outside `Network`, a pod `ip:` outside its node's
 * lease) can name the line through `cluster.source`.
 */
import type { Path, Source } from './source.js';

/** A rack: one L2 segment of the underlay, with its subnet and gateway (host 1, on the router). */
export interface RackSpec {
  name: string;
  cidr: string;
  addr: number;
  len: number;
  /** The router's address on it. */
  gateway: string;
  path: Path;
}

/** A container port (for named ports in policies). */
export interface PortSpec {
  name?: string;
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** A pod, placed on its node. */
export interface PodSpec {
  name: string;
  namespace: string;
  labels: Readonly<Record<string, string>>;
  ports: readonly PortSpec[];
  /** Pinned address, else the design's IPAM chooses. */
  ip?: string;
  node: string;
  path: Path;
}

/** A node after generation (`generate: N`) and address assignment. */
export interface NodeSpec {
  name: string;
  /** Index in `cluster.nodes`. */
  index: number;
  rack: string;
  /** `eth0` address (given, or the rack's next free one from host 11). */
  ip: string;
  /** Flannel: pinned lease. */
  subnet?: string;
  /** Calico: pinned block affinities and borrowed addresses. */
  blocks?: readonly string[];
  borrowed?: readonly string[];
  pods: PodSpec[];
  path: Path;
}

/** What happens at a time on the simulated clock. */
export type EventKind = 'node-down' | 'node-up' | 'bgp-stop' | 'bgp-start' | 'store-down' | 'store-up';

/** An `events` entry. */
export interface ClusterEvent {
  atMs: number;
  kind: EventKind;
  /** The node, except for `store-down` / `store-up`. */
  node?: string;
  path: Path;
}

/** Flannel's section. */
export interface FlannelSection {
  /** `net-conf.json` as given (checked by the Flannel design). */
  netConf: Record<string, unknown>;
  legacyMisses: boolean;
  legacyVersion: 'v0.4' | 'v0.5';
  /** flanneld `--ip-masq`. Default true, as the kube-flannel manifest runs it. */
  ipMasq: boolean;
  /**
   * How the daemons start at build: `rollout` (default): the DaemonSet
   * applied to running nodes, every flanneld registers (takes its lease)
   * before any lists the others; `sequential`: nodes join one after the
   * other, each join an event to every node before it.
   */
  startup: 'rollout' | 'sequential';
  path: Path;
}

/** The whole checked cluster. */
export interface Cluster {
  source: Source;
  name: string;
  underlay: { mtu: number; racks: readonly RackSpec[] };
  nodes: readonly NodeSpec[];
  /** Every pod, in node order. */
  pods: readonly PodSpec[];
  namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Kept as given (NetworkPolicy objects); the designs that enforce policy read them. */
  policies: readonly unknown[];
  /** Calico's section as given (keys checked), or undefined. */
  calico?: Readonly<Record<string, unknown>>;
  flannel?: FlannelSection;
  events: readonly ClusterEvent[];
}
