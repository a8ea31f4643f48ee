/**
 * The Calico clusters of the recorded real-kernel scenarios, from the
 * topology generator (`src/topology/calico.ts`) with the names, MACs and
 * addresses the recordings were made with (test/fixtures/kernel-scenarios):
 * nodes 10.0.x.11 and 10.0.x.12 (MACs `52:54:00:00:` + the last two octets
 * in decimal digits), blocks 192.168.1.0/26 and 192.168.2.0/26 with pods a
 * and b at .2 (Docker-style `02:42` + IP MACs), fixed cali names.
 */
import type { NodeSpec } from '../kernel/scenario.js';
import { calicoNode, calicoRouter, DOCKER_MAC_PREFIX, macFromIPv4, planCalico, type CalicoOptions, type NodePlan } from '../topology/index.js';

/** `52:54:00:00:` + the address's last two octets written as two decimal digits each (10.0.1.11 -> `52:54:00:00:01:11`). */
export const labMac = (n: Pick<NodePlan, 'address'>): string =>
  '52:54:00:00:' + n.address.split('.').slice(2).map((o) => o.padStart(2, '0')).join(':');

const RECORDED: Omit<CalicoOptions, 'nodes' | 'racks'> = {
  blockOrdinal: (i) => 4 * (i + 1), // 192.168.1.0/26, 192.168.2.0/26
  firstOrdinal: 2,
  nodeMac: labMac,
  podName: (p) => ['a', 'b'][p.node],
  podMac: (p) => macFromIPv4(DOCKER_MAC_PREFIX, p.address),
  hostVeth: (p) => ['cali1a2b3c4d5e6', 'cali6e5d4c3b2a1'][p.node],
};

/**
 * The two-node, one-segment Calico cluster shared by several scenarios:
 * node1 10.0.0.11 (block 192.168.1.0/26, pod a 192.168.1.2) and node2
 * 10.0.0.12 (block 192.168.2.0/26, pod b 192.168.2.2) on segment `lan`.
 * Each node has a default route via 10.0.0.1 (the segment's gateway, not
 * built: nothing is sent to it) because proxy_arp only answers for an
 * address the host can route, and real nodes route 169.254.1.1 by default.
 */
export function calicoSameL2(node2Iptables?: string): NodeSpec[] {
  const plan = planCalico({ ...RECORDED, nodes: 2, racks: [{ segment: 'lan', cidr: '10.0.0.0/24' }], iptables: (n) => (n.index === 1 ? node2Iptables : undefined) });
  return [calicoNode(plan, 0), calicoNode(plan, 1)];
}

/**
 * Two Calico nodes on different segments joined by router `r1`:
 * node1 10.0.1.11 on `lan-a`, node2 10.0.2.12 on `lan-b`, r1 10.0.1.1 /
 * 10.0.2.1. Without BGP peering to the router, each node reaches the other
 * block via the router, and the router has static routes to both blocks.
 */
export function calicoTwoSubnets(): NodeSpec[] {
  const plan = planCalico({
    ...RECORDED,
    nodes: 2,
    racks: [
      { segment: 'lan-a', cidr: '10.0.1.0/24' },
      { segment: 'lan-b', cidr: '10.0.2.0/24' },
    ],
    nodeHost: (n) => 11 + n.index,
  });
  return [calicoNode(plan, 0), calicoRouter(plan)!, calicoNode(plan, 1)];
}
