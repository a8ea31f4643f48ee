/**
 * Building blocks for Calico-routed scenarios, shaped as Calico programs a
 * node (see shared/reference/calico.md §1.7, §2): the pod's `eth0` holds a
 * /32 and routes via the link-local gateway `169.254.1.1`; the host end of
 * the veth is `cali<11 hex>` with MAC `ee:ee:ee:ee:ee:ee`, `proxy_arp=1`
 * and `proxy_delay=0` so it answers the pod's ARP for 169.254.1.1; the host
 * holds `<podIP> dev caliX scope link` plus felix's static ARP entry for the
 * pod, and BIRD's `blackhole <block> proto bird` for each block it owns.
 */
import type { IfaceSpec, NodeSpec, PodSpec } from '../scenario.js';

/** Calico's host-side veth MAC. */
export const CALI_MAC = 'ee:ee:ee:ee:ee:ee';

/** A Calico pod: `/32` on eth0, `169.254.1.1` as on-link default gateway. */
export function calicoPod(name: string, ip: string, mac: string, hostVeth: string, mtu?: number): PodSpec {
  const pod: PodSpec = {
    name,
    address: `${ip}/32`,
    mac,
    hostVeth,
    hostVethMac: CALI_MAC,
    routes: ['169.254.1.1 dev eth0 scope link', 'default via 169.254.1.1 dev eth0'],
  };
  if (mtu !== undefined) pod.mtu = mtu;
  return pod;
}

/** Options of {@link calicoNode}. */
export interface CalicoNodeOptions {
  name: string;
  /** Underlay interfaces (`eth0` on a segment). */
  interfaces: IfaceSpec[];
  /** The node's affine IPAM block, e.g. `192.168.1.0/26` (gets BIRD's blackhole route). */
  block: string;
  pods: PodSpec[];
  /** Routes to other nodes' blocks and the default route (BIRD-style `... proto bird`). */
  routes: string[];
  iptables?: string;
}

/** A Calico node: per-pod `/32 dev caliX scope link` routes, static ARP, proxy_arp sysctls. */
export function calicoNode(o: CalicoNodeOptions): NodeSpec {
  const sysctls: Record<string, string> = { 'net.ipv4.ip_forward': '1' };
  const routes: string[] = [];
  const neigh: string[] = [];
  for (const p of o.pods) {
    const ip = p.address.split('/')[0];
    routes.push(`${ip} dev ${p.hostVeth} scope link`);
    neigh.push(`${ip} lladdr ${p.mac} dev ${p.hostVeth} nud permanent`);
    sysctls[`net.ipv4.conf.${p.hostVeth}.proxy_arp`] = '1';
    sysctls[`net.ipv4.neigh.${p.hostVeth}.proxy_delay`] = '0';
    sysctls[`net.ipv4.conf.${p.hostVeth}.forwarding`] = '1';
  }
  routes.push(`blackhole ${o.block} proto bird`, ...o.routes);
  const node: NodeSpec = { name: o.name, interfaces: o.interfaces, routes, neigh, sysctls, pods: o.pods };
  if (o.iptables !== undefined) node.iptables = o.iptables;
  return node;
}

/**
 * The two-node, one-segment Calico cluster shared by several scenarios:
 * node1 10.0.0.11 (block 192.168.1.0/26, pod a 192.168.1.2) and node2
 * 10.0.0.12 (block 192.168.2.0/26, pod b 192.168.2.2) on segment `lan`.
 * Each node has a default route via 10.0.0.1 (the segment's gateway, not
 * built: nothing is sent to it) because proxy_arp only answers for an
 * address the host can route, and real nodes route 169.254.1.1 by default.
 */
export function calicoSameL2(node2Iptables?: string): NodeSpec[] {
  const a = calicoPod('a', '192.168.1.2', '02:42:c0:a8:01:02', 'cali1a2b3c4d5e6');
  const b = calicoPod('b', '192.168.2.2', '02:42:c0:a8:02:02', 'cali6e5d4c3b2a1');
  return [
    calicoNode({
      name: 'node1',
      interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan', address: '10.0.0.11/24', mac: '52:54:00:00:00:11' }],
      block: '192.168.1.0/26',
      pods: [a],
      routes: ['192.168.2.0/26 via 10.0.0.12 dev eth0 proto bird', 'default via 10.0.0.1 dev eth0'],
    }),
    calicoNode({
      name: 'node2',
      interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan', address: '10.0.0.12/24', mac: '52:54:00:00:00:12' }],
      block: '192.168.2.0/26',
      pods: [b],
      routes: ['192.168.1.0/26 via 10.0.0.11 dev eth0 proto bird', 'default via 10.0.0.1 dev eth0'],
      iptables: node2Iptables,
    }),
  ];
}

/**
 * Two Calico nodes on different segments joined by router `r1`:
 * node1 10.0.1.11 on `lan-a`, node2 10.0.2.12 on `lan-b`, r1 10.0.1.1 /
 * 10.0.2.1. Without BGP peering to the router, each node reaches the other
 * block via the router, and the router has static routes to both blocks.
 */
export function calicoTwoSubnets(): NodeSpec[] {
  const a = calicoPod('a', '192.168.1.2', '02:42:c0:a8:01:02', 'cali1a2b3c4d5e6');
  const b = calicoPod('b', '192.168.2.2', '02:42:c0:a8:02:02', 'cali6e5d4c3b2a1');
  return [
    calicoNode({
      name: 'node1',
      interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan-a', address: '10.0.1.11/24', mac: '52:54:00:00:01:11' }],
      block: '192.168.1.0/26',
      pods: [a],
      routes: ['192.168.2.0/26 via 10.0.1.1 dev eth0 proto bird', 'default via 10.0.1.1 dev eth0'],
    }),
    {
      name: 'r1',
      interfaces: [
        { kind: 'phys', name: 'eth0', segment: 'lan-a', address: '10.0.1.1/24', mac: '52:54:00:00:01:01' },
        { kind: 'phys', name: 'eth1', segment: 'lan-b', address: '10.0.2.1/24', mac: '52:54:00:00:02:01' },
      ],
      routes: ['192.168.1.0/26 via 10.0.1.11 dev eth0', '192.168.2.0/26 via 10.0.2.12 dev eth1'],
      sysctls: { 'net.ipv4.ip_forward': '1' },
      pods: [],
    },
    calicoNode({
      name: 'node2',
      interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan-b', address: '10.0.2.12/24', mac: '52:54:00:00:02:12' }],
      block: '192.168.2.0/26',
      pods: [b],
      routes: ['192.168.1.0/26 via 10.0.2.1 dev eth0 proto bird', 'default via 10.0.2.1 dev eth0'],
    }),
  ];
}
