/**
 * Small clusters shared by the kernel model tests, from the topology
 * generator (src/topology/) with the addresses the tests were written
 * against: nodes 10.0.0.1 and 10.0.0.2 on segment `lan` with MACs
 * `02:00:00:00:00:0N`. They differ from the recorded scenarios' clusters
 * (src/scenarios/) on purpose: see each function.
 */
import type { Scenario } from '../../src/kernel/index.js';
import { calicoCluster, flannelCluster, type ClusterOptions } from '../../src/topology/index.js';

const TEST_LAN: Pick<ClusterOptions, 'racks' | 'firstHost' | 'nodeMac'> = {
  racks: [{ segment: 'lan', cidr: '10.0.0.0/24', gateway: '10.0.0.254' }],
  firstHost: 1,
  nodeMac: (n) => `02:00:00:00:00:0${n.index + 1}`,
};

/**
 * Two Calico nodes on one L2 segment: pods a and a2 (cali1, cali2) on
 * node1, b (cali3) on node2, /32s of blocks 192.168.1.0/26 and
 * 192.168.2.0/26 from .2; default route via 10.0.0.254, which nobody
 * answers ARP for. Unlike a real node: no permanent ARP entries for the
 * pods (so the tests see node1 learn pod a from its ARP request), node1's
 * blackhole is 192.168.9.0/24 rather than its own block, node2 has none,
 * and node2 drops UDP to port 53 in FORWARD.
 */
export function calicoPair(): Scenario {
  const s = calicoCluster(
    {
      ...TEST_LAN,
      nodes: 2,
      podsPerNode: [2, 1],
      blockOrdinal: (i) => 4 * (i + 1),
      firstOrdinal: 2,
      podName: (p) => ['a', 'a2', 'b'][p.ordinal],
      podMac: (p) => ['02:aa:00:00:00:02', '02:aa:00:00:00:03', '02:bb:00:00:00:02'][p.ordinal],
      hostVeth: (p) => `cali${p.ordinal + 1}`,
      iptables: (n) => (n.index === 1 ? '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p udp --dport 53 -j DROP\nCOMMIT\n' : undefined),
    },
    'calico-same-l2',
    'routed pods, two nodes on one segment',
  );
  for (const n of s.nodes) {
    n.neigh = [];
    n.routes = n.routes.filter((r) => !r.startsWith('blackhole '));
  }
  s.nodes[0].routes.push('blackhole 192.168.9.0/24');
  return s;
}

/** VtepMAC of test node `i` (1-based). */
export const vtepMac = (i: number) => `d6:51:2e:80:5c:6${i}`;

/**
 * Two Flannel VXLAN nodes on one segment, pods p<i> (.2, `veth<i>a`) and
 * q<i> (.3, `veth<i>b`) on each, no default route; `dynamic` leaves out the
 * permanent neighbour and FDB entries (the old flanneld's miss agents
 * answer), `podMtu` (default 1450) is the pods' and cni0's MTU.
 */
export function flannel(opts: { dynamic?: boolean; podMtu?: number } = {}): Scenario {
  return flannelCluster(
    {
      ...TEST_LAN,
      nodes: 2,
      podsPerNode: 2,
      defaultRoute: false,
      missAgent: opts.dynamic,
      podMtu: opts.podMtu ?? 1450,
      vtepMac: (n) => vtepMac(n.index + 1),
      podName: (p) => `${'pq'[p.index]}${p.node + 1}`,
      hostVeth: (p) => `veth${p.node + 1}${'ab'[p.index]}`,
      hostVethMac: (p) => `7e:00:00:00:0${p.node + 1}:0${p.index + 2}`,
    },
    'flannel-vxlan',
    'two Flannel VXLAN nodes on one segment',
  );
}
