/**
 * A scenario: nodes, pods, fabric and every kernel table, described once as
 * data. The kernel model builds it in memory (`src/kernel/`), and
 * `cnikit netns export` renders the same data as a shell script of `ip`,
 * `bridge`, `sysctl` and `iptables-restore` commands that builds it in real
 * network namespaces, so the two can be compared packet by packet.
 *
 * Tables are given in Linux's own command words (an `ip route` line, `ip
 * neigh` / `bridge fdb` arguments, `iptables-save` text) so that the export
 * is a plain rendering and the model must read what Linux reads.
 */
import type { Disposition } from '../core/trace.js';

/** An L2 segment: a learning switch joining the interfaces attached to it. */
export interface SegmentSpec {
  name: string;
  /** Underlay MTU of the segment. Default 1500. */
  mtu?: number;
}

/** An interface in a node's host namespace (or a router). */
export type IfaceSpec =
  | { kind: 'phys'; name: string; segment: string; address: string; mac: string; mtu?: number }
  | { kind: 'bridge'; name: string; address?: string; mac: string; mtu?: number }
  | {
      kind: 'vxlan';
      name: string;
      vni: number;
      /** Local underlay address (`local`). */
      local: string;
      /** Underlay device (`dev`). */
      dev: string;
      /** UDP port (`dstport`). Flannel: 8472. */
      dstport: number;
      /** `learning` / `nolearning`. Flannel: false. */
      learning: boolean;
      mac: string;
      /** e.g. `10.244.1.0/32` as Flannel assigns. */
      address?: string;
      /** Default: the lower device's MTU minus 50 (Linux's); above that it is lowered to it. */
      mtu?: number;
      /** `df unset|set|inherit`: the outer DF bit. Default unset (Linux's). */
      df?: 'unset' | 'set' | 'inherit';
      /** `proxy`, `l2miss`, `l3miss` (old flanneld's devices; see {@link MissResponderSpec}). Default false. */
      proxy?: boolean;
      l2miss?: boolean;
      l3miss?: boolean;
    }
  | { kind: 'ipip'; name: string; local?: string; address?: string; mtu?: number };

/** A pod: its own namespace with `eth0`, and a veth peer in the host. */
export interface PodSpec {
  name: string;
  /** `eth0` address with prefix, e.g. `10.244.1.2/24` (Flannel) or `192.168.1.2/32` (Calico). */
  address: string;
  mac: string;
  /** The host end of the veth, e.g. `veth1a2b` or `cali12345`. */
  hostVeth: string;
  /** MAC of the host end. Calico sets `ee:ee:ee:ee:ee:ee`. */
  hostVethMac: string;
  /** Bridge the host end is enslaved to (Flannel `cni0`); absent for Calico-style routed veths. */
  bridge?: string;
  /** `ip route` lines inside the pod, e.g. `default via 10.244.1.1 dev eth0` or Calico's `169.254.1.1 dev eth0 scope link` + `default via 169.254.1.1 dev eth0`. */
  routes: string[];
  /** `ip neigh add` argument strings inside the pod (Calico's static `169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent` is usually learned by proxy_arp instead). */
  neigh?: string[];
  mtu?: number;
}

/** A Linux host: a node, or (with no pods) a plain L3 router between segments. */
export interface NodeSpec {
  name: string;
  interfaces: IfaceSpec[];
  /** `ip route` lines of the main table, e.g. `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`. Connected routes of addresses are implied, as Linux adds them. */
  routes: string[];
  /** `ip neigh add` argument strings, e.g. `10.244.2.0 lladdr d6:51:2e:80:5c:69 dev flannel.1 nud permanent`. */
  neigh?: string[];
  /** `bridge fdb add` argument strings, e.g. `d6:51:2e:80:5c:69 dev flannel.1 dst 10.0.0.2 self permanent`. */
  fdb?: string[];
  /** sysctls, e.g. `{"net.ipv4.ip_forward": "1", "net.ipv4.conf.cali12345.proxy_arp": "1"}`. ip_forward defaults to 1 for nodes and routers. */
  sysctls?: Record<string, string>;
  /** `iptables-save` text loaded with `iptables-restore`. */
  iptables?: string;
  /** A user-space program answering a vxlan device's misses from a fixed lease table (old flanneld's `handleMiss`). */
  missResponder?: MissResponderSpec;
  pods: PodSpec[];
}

/** One lease a miss responder answers from: the node's subnet, its VTEP's MAC and its underlay address. */
export interface MissLease {
  /** `A.B.C.D/len`. */
  subnet: string;
  vtepMac: string;
  publicIp: string;
}

/**
 * Old flanneld's miss handler (backend/vxlan `handleMiss` of v0.4-v0.6)
 * as a program of its own, answering from the leases it is given (it
 * watches nothing): on RTNLGRP_NEIGH of `dev`,
 * - an L3 miss (an address, no lladdr) for an address inside a lease's
 *   subnet: `ip neigh replace ADDR dev DEV lladdr VtepMAC nud reachable`
 *   (flanneld's NeighSet with NUD_REACHABLE);
 * - with `l2`, an L2 miss (an lladdr, no address) for a lease's VtepMAC:
 *   `bridge fdb replace MAC dev DEV dst PublicIP self dynamic` (NeighSet
 *   of AF_BRIDGE, NTF_SELF, NUD_REACHABLE: an entry that ages);
 * - anything else (a PROBE carries both) is not a miss and is ignored.
 * The netns export runs it as a python3 process in the node's namespace;
 * the model as the door's miss agents (`Netlink.setMissAgents`), answering
 * `latencyMs` later on the clock.
 */
export interface MissResponderSpec {
  dev: string;
  /** Answer L2 misses too (flanneld v0.4). */
  l2: boolean;
  leases: MissLease[];
  /** The model's answer delay, ms on the clock. Default 2 (flanneld's in the model, backend-vxlan-legacy.ts). */
  latencyMs?: number;
}

/** One packet to send from a pod (or a node): what `ping` or a UDP socket would send. */
export interface PacketSpec {
  /** Pod name (or node name) that sends. */
  from: string;
  /** Destination address. */
  to: string;
  proto: 'icmp' | 'udp';
  /** Destination port for UDP. Default 9. */
  dport?: number;
  /** Source port for UDP (added by the real-kernel runner so frames are reproducible). Default 40000. The UDP payload is `size` zero bytes, sent with `IP_MTU_DISCOVER` DO when `df` (default true) else DONT. */
  sport?: number;
  /** IP payload size in bytes beyond the ICMP/UDP header. Default 56. */
  size?: number;
  /** Set DF. Default true for ICMP as `ping` does on Linux (pmtudisc "do" only with -M do: the export pins `-M do` when true). */
  df?: boolean;
  /**
   * The socket's `IP_MTU_DISCOVER` (ping's `-M do|want|dont`); overrides
   * `df`. `want` sends DF when the packet fits the path MTU and fragments
   * it without DF otherwise; `do` fails with EMSGSIZE over it.
   */
  pmtudisc?: 'do' | 'want' | 'dont';
  /** IP TTL at the sender. Default 64. */
  ttl?: number;
  /** ICMP echo sequence number (`ping`'s icmp_seq). Default 1. */
  seq?: number;
}

/** A packet of a scenario, named, with what should happen to it. */
export interface Probe extends PacketSpec {
  name: string;
  /** Expected disposition (checked against the model and the real kernel). */
  expect: Disposition;
  /** Expected names of the namespaces the packet passes, in order (pod, node, router, node, pod). */
  path?: string[];
}

/** A whole topology and its probes. */
export interface Scenario {
  name: string;
  description: string;
  segments: SegmentSpec[];
  nodes: NodeSpec[];
  probes: Probe[];
}
