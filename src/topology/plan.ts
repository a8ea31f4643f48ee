/**
 * The part of a cluster every CNI shape shares: nodes on one or more L2
 * segments ("racks", each a subnet with a gateway), and pods on each node,
 * named and addressed. A shape (Flannel, Calico) says how a node's pod CIDR
 * is chosen and how a pod's address, MAC and host veth are made; the plan
 * applies the caller's overrides (recorded scenarios pin their own MACs and
 * names) and checks what Linux and the netns export would refuse: two
 * namespaces with one name, two devices with one name on a node.
 *
 * A plan is O(nodes + pods): the per-node tables that grow with N² (a route
 * per remote node) are rendered from it one node at a time.
 */
import { InputError } from '../core/errors.js';
import { formatIPv4 } from '../net/ip.js';
import { nthHost, prefix4, prefixText, type Prefix4 } from './address.js';
import { qemuMac } from './mac.js';

/** One L2 segment of the underlay and its subnet. */
export interface Rack {
  /** Segment (switch) name, e.g. `lan`. */
  segment: string;
  /** The segment's subnet, e.g. `10.0.0.0/24`. */
  cidr: string;
  /** The router's address on it: the nodes' default gateway. Default: host 1 of `cidr`. */
  gateway?: string;
}

/** A pod as planned: identity and addresses. */
export interface PodPlan {
  /** Index of its node in the cluster (from 0). */
  node: number;
  /** Index on its node (from 0). */
  index: number;
  /** Index in the whole cluster (from 0). */
  ordinal: number;
  /** Kubernetes namespace (Calico names the host veth from it). */
  namespace: string;
  /** Pod name, also the name of its network namespace in the model. */
  name: string;
  /** `eth0` address, dotted quad. */
  address: string;
  /** `eth0` MAC. */
  mac: string;
  /** Host end of the veth. */
  hostVeth: string;
  /** MAC of the host end. */
  hostVethMac: string;
}

/** A node as planned. */
export interface NodePlan {
  /** Index in the cluster (from 0). */
  index: number;
  name: string;
  /** Index of its rack in `racks`. */
  rack: number;
  /** Index among the nodes of its rack (from 0). */
  indexInRack: number;
  segment: string;
  /** `eth0` address, dotted quad, and the rack's prefix length. */
  address: string;
  prefixLen: number;
  /** The rack's gateway. */
  gateway: string;
  /** `eth0` MAC. */
  mac: string;
  /** The node's pod CIDR (Flannel subnet lease, Calico affine block). */
  podCidr: string;
  pods: PodPlan[];
}

/** Options every cluster shape takes. */
export interface ClusterOptions {
  /** Number of nodes (at least 1). */
  nodes: number;
  /** Pods per node: one count for every node, or one per node. Default 1. */
  podsPerNode?: number | readonly number[];
  /** The underlay. Default one rack: segment `lan`, `10.0.0.0/16`, gateway 10.0.0.1. Nodes fill the racks in order, an equal share each (the last may have fewer). */
  racks?: readonly Rack[];
  /** Host number in its rack's subnet of a node's first address. Default 11: node k of a rack gets host 11 + k. */
  firstHost?: number;
  /** Kubernetes namespace of the pods. Default `default`. */
  namespace?: string;
  /** A `default via <gateway> dev eth0` route on every node. Default true. */
  defaultRoute?: boolean;
  /** MTU of the nodes' `eth0`, written into the spec when given. Default 1500 (not written). */
  underlayMtu?: number;
  /** `iptables-save` text of a node, or undefined for none. */
  iptables?: (node: NodePlan) => string | undefined;
  /** Host number of a node in its rack's subnet. Default `firstHost + indexInRack`. */
  nodeHost?: (node: Pick<NodePlan, 'index' | 'rack' | 'indexInRack'>) => number;
  /** Node name. Default `node<index + 1>`. */
  nodeName?: (node: NodePlan) => string;
  /** `eth0` MAC. Default `52:54:00` + the low three bytes of the address. */
  nodeMac?: (node: NodePlan) => string;
  /** Pod name. Default `pod-<node + 1>-<index + 1>`. */
  podName?: (pod: PodPlan) => string;
  /** Pod `eth0` MAC. Default: the shape's rule. */
  podMac?: (pod: PodPlan) => string;
  /** Host veth name. Default: the shape's rule. */
  hostVeth?: (pod: PodPlan) => string;
  /** Host veth MAC. Default: the shape's rule. */
  hostVethMac?: (pod: PodPlan) => string;
}

/** How a CNI shape addresses and names pods. */
export interface Shape {
  /** Pod CIDR of node `index`. */
  podCidr(index: number): Prefix4;
  /** Address of pod `j` in `cidr`; throws `AddressExhausted` when it does not fit. */
  podAddress(cidr: Prefix4, j: number, what: string): number;
  podMac(pod: PodPlan, unique: (make: (attempt: number) => string) => string): string;
  hostVeth(pod: PodPlan, taken: ReadonlySet<string>): string;
  hostVethMac(pod: PodPlan, unique: (make: (attempt: number) => string) => string): string;
}

/** A whole plan: racks as parsed, and the nodes. */
export interface ClusterPlan {
  racks: { segment: string; cidr: Prefix4; gateway: number }[];
  nodes: NodePlan[];
}

const DEFAULT_RACKS: readonly Rack[] = [{ segment: 'lan', cidr: '10.0.0.0/16' }];

function checkCount(n: number, what: string, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new InputError('BadCount', String(n), `${what}: an integer >= ${min}`);
}

/** Plans nodes and pods for `o` with `shape`. Throws `InputError` before returning anything when a count, an address or a name does not fit. */
export function planCluster(o: ClusterOptions, shape: Shape): ClusterPlan {
  checkCount(o.nodes, 'nodes', 1);
  const counts = typeof o.podsPerNode === 'object' ? o.podsPerNode : new Array<number>(o.nodes).fill(o.podsPerNode ?? 1);
  if (counts.length !== o.nodes) throw new InputError('BadCount', `podsPerNode (${counts.length} entries)`, `one count per node (${o.nodes})`);
  counts.forEach((c, i) => checkCount(c, `pods on node ${i + 1}`, 0));
  const racks = (o.racks ?? DEFAULT_RACKS).map((r) => {
    const cidr = prefix4(r.cidr);
    return { segment: r.segment, cidr, gateway: r.gateway !== undefined ? prefix4(`${r.gateway}/32`).addr : nthHost(cidr, 1, `the gateway of ${r.segment}`) };
  });
  if (racks.length === 0) throw new InputError('BadCount', 'racks', 'at least one rack');
  const perRack = Math.ceil(o.nodes / racks.length);
  const firstHost = o.firstHost ?? 11;
  const namespace = o.namespace ?? 'default';
  // MACs made by a rule that can repeat (hashes) are made unique cluster-wide, as
  // a real cluster would see no two NICs with one address on a segment.
  const macs = new Set<string>();
  const unique = (make: (attempt: number) => string): string => {
    for (let attempt = 0; ; attempt++) {
      const m = make(attempt);
      if (!macs.has(m)) {
        macs.add(m);
        return m;
      }
    }
  };
  const nodeNames = new Set<string>();
  const podNames = new Set<string>();
  const nodes: NodePlan[] = [];
  let ordinal = 0;
  for (let i = 0; i < o.nodes; i++) {
    const rackIndex = Math.floor(i / perRack);
    const rack = racks[rackIndex];
    const place = { index: i, rack: rackIndex, indexInRack: i - rackIndex * perRack };
    const host = o.nodeHost ? o.nodeHost(place) : firstHost + place.indexInRack;
    const addr = nthHost(rack.cidr, host, `node ${i + 1}`);
    if (addr === rack.gateway) throw new InputError('AddressInUse', formatIPv4(addr), `node ${i + 1} on an address other than the gateway of ${rack.segment}`);
    const cidr = shape.podCidr(i);
    const node: NodePlan = {
      ...place,
      name: `node${i + 1}`,
      segment: rack.segment,
      address: formatIPv4(addr),
      prefixLen: rack.cidr.len,
      gateway: formatIPv4(rack.gateway),
      mac: '',
      podCidr: prefixText(cidr),
      pods: [],
    };
    if (o.nodeName) node.name = o.nodeName(node);
    if (nodeNames.has(node.name)) throw new InputError('DuplicateName', node.name, 'a node name used once');
    nodeNames.add(node.name);
    node.mac = o.nodeMac ? o.nodeMac(node) : qemuMac(addr);
    macs.add(node.mac);
    const veths = new Set<string>();
    for (let j = 0; j < counts[i]; j++) {
      const ip = shape.podAddress(cidr, j, `pod ${j + 1} of node ${i + 1}`);
      const pod: PodPlan = { node: i, index: j, ordinal: ordinal++, namespace, name: `pod-${i + 1}-${j + 1}`, address: formatIPv4(ip), mac: '', hostVeth: '', hostVethMac: '' };
      if (o.podName) pod.name = o.podName(pod);
      if (podNames.has(pod.name) || nodeNames.has(pod.name)) throw new InputError('DuplicateName', pod.name, 'a pod name used once, and by no node');
      podNames.add(pod.name);
      pod.mac = o.podMac ? o.podMac(pod) : shape.podMac(pod, unique);
      macs.add(pod.mac);
      pod.hostVeth = o.hostVeth ? o.hostVeth(pod) : shape.hostVeth(pod, veths);
      if (veths.has(pod.hostVeth)) throw new InputError('DuplicateName', pod.hostVeth, `a device name used once on ${node.name} (pod ${pod.name})`);
      veths.add(pod.hostVeth);
      pod.hostVethMac = o.hostVethMac ? o.hostVethMac(pod) : shape.hostVethMac(pod, unique);
      macs.add(pod.hostVethMac);
      node.pods.push(pod);
    }
    nodes.push(node);
  }
  for (const n of nodes) if (podNames.has(n.name)) throw new InputError('DuplicateName', n.name, 'a node name used by no pod');
  return { racks, nodes };
}
