/**
 * Calico-shaped clusters in BGP mode without encapsulation, as the Calico
 * CNI plugin (`cni-plugin/pkg/dataplane/linux`), Felix and BIRD program a node:
 *
 * - Each node owns an IPAM block of the pool (`blockSize`, default /26)
 *   and gives its pods addresses from it (ordinal 0 first, as Calico's IPAM
 *   does when no tunnel address took it). BIRD installs `blackhole <block>
 *   proto bird` for the node's own block and `<block> via <peer> dev eth0
 *   proto bird` for every other node's (via the rack's router when the peer
 *   is on another segment, as with no BGP peering to the router).
 * - A pod's `eth0` holds a /32 and routes `169.254.1.1 dev eth0 scope link`
 *   + `default via 169.254.1.1`; the host end is `cali` + 11 hex of
 *   SHA-1(namespace.pod) with MAC `ee:ee:ee:ee:ee:ee`, `proxy_arp=1`,
 *   `proxy_delay=0` and `forwarding=1`, and the host holds `<pod IP> dev
 *   caliX scope link` and Felix's permanent ARP entry for the pod.
 * - Across racks, router `r1` joins the segments (an interface per rack on
 *   its gateway address) with a static route to every block.
 *
 * The pod's own MAC is the kernel's random one, made reproducible here.
 * Simplified: no Felix iptables; pass `iptables` for a ruleset.
 */
import { InputError } from '../core/errors.js';
import type { IfaceSpec, NodeSpec, PodSpec, Scenario } from '../kernel/scenario.js';
import { formatIPv4 } from '../net/ip.js';
import { nthSubnet, overlaps, prefix4, prefixText, subnetCount } from './address.js';
import { CALICO_HOST_MAC, qemuMac, randomMac } from './mac.js';
import { caliName } from './names.js';
import { planCluster, type ClusterOptions, type ClusterPlan } from './plan.js';

/** Options of {@link calicoCluster}. */
export interface CalicoOptions extends ClusterOptions {
  /** The IP pool (`CALICO_IPV4POOL_CIDR`). Default `192.168.0.0/16`. */
  pool?: string;
  /** IPAM block length (`blockSize`). Default 26. */
  blockSize?: number;
  /** Which block of the pool node `index` owns. Default `index` (blocks in node order). */
  blockOrdinal?: (index: number) => number;
  /** Ordinal in its block of a node's first pod. Default 0. */
  firstOrdinal?: number;
  /** Host veth prefix (`FELIX_INTERFACEPREFIX`). Default `cali`. */
  interfacePrefix?: string;
  /** Name of the router joining several racks. Default `r1`. */
  routerName?: string;
}

/** A Calico plan: the common plan and what rendering needs. */
export interface CalicoPlan extends ClusterPlan {
  defaultRoute: boolean;
  underlayMtu: number | undefined;
  routerName: string;
  iptables: (string | undefined)[];
}

/** A Calico pod: `/32` on eth0, `169.254.1.1` as on-link default gateway, host end with Calico's MAC. */
export function calicoPod(name: string, ip: string, mac: string, hostVeth: string, mtu?: number): PodSpec {
  const pod: PodSpec = {
    name,
    address: `${ip}/32`,
    mac,
    hostVeth,
    hostVethMac: CALICO_HOST_MAC,
    routes: ['169.254.1.1 dev eth0 scope link', 'default via 169.254.1.1 dev eth0'],
  };
  if (mtu !== undefined) pod.mtu = mtu;
  return pod;
}

/** Plans a Calico cluster: every address, MAC and name, O(nodes + pods). */
export function planCalico(o: CalicoOptions): CalicoPlan {
  const poolText = o.pool ?? '192.168.0.0/16';
  const pool = prefix4(poolText);
  const blockSize = o.blockSize ?? 26;
  const count = subnetCount(pool, blockSize);
  const first = o.firstOrdinal ?? 0;
  const prefix = o.interfacePrefix ?? 'cali';
  const plan = planCluster(o, {
    podCidr: (i) => nthSubnet(pool, blockSize, o.blockOrdinal ? o.blockOrdinal(i) : i, `node ${i + 1} (${poolText} holds ${count} /${blockSize} blocks)`),
    podAddress: (cidr, j, what) => {
      const size = 2 ** (32 - cidr.len);
      if (first + j >= size) throw new InputError('AddressExhausted', prefixText(cidr), `${what} needs ordinal ${first + j}, but a /${cidr.len} block has ordinals 0..${size - 1}`);
      return (cidr.addr + first + j) >>> 0;
    },
    podMac: (p, unique) => unique((attempt) => randomMac(`eth0 ${p.namespace}.${p.name}#${attempt}`)),
    // Calico does not retry: two pods with one name on a node is a failed CNI ADD, so plan refuses it.
    hostVeth: (p) => caliName(p.namespace, p.name, prefix),
    hostVethMac: () => CALICO_HOST_MAC,
  });
  for (const r of plan.racks) if (overlaps(r.cidr, pool)) throw new InputError('Overlap', poolText, `an IP pool apart from the underlay ${prefixText(r.cidr)}`);
  const blocks = new Map<string, string>();
  for (const n of plan.nodes) {
    const owner = blocks.get(n.podCidr);
    if (owner !== undefined) throw new InputError('Overlap', n.podCidr, `one block per node (${owner} and ${n.name} both own it)`);
    blocks.set(n.podCidr, n.name);
  }
  return { ...plan, defaultRoute: o.defaultRoute ?? true, underlayMtu: o.underlayMtu, routerName: o.routerName ?? 'r1', iptables: plan.nodes.map((n) => o.iptables?.(n)) };
}

/** Node `i` of a Calico plan as a `NodeSpec`: O(nodes) block routes. */
export function calicoNode(plan: CalicoPlan, i: number): NodeSpec {
  const n = plan.nodes[i];
  const sysctls: Record<string, string> = { 'net.ipv4.ip_forward': '1' };
  const routes: string[] = [];
  const neigh: string[] = [];
  const pods: PodSpec[] = [];
  for (const p of n.pods) {
    routes.push(`${p.address} dev ${p.hostVeth} scope link`);
    neigh.push(`${p.address} lladdr ${p.mac} dev ${p.hostVeth} nud permanent`);
    sysctls[`net.ipv4.conf.${p.hostVeth}.proxy_arp`] = '1';
    sysctls[`net.ipv4.neigh.${p.hostVeth}.proxy_delay`] = '0';
    sysctls[`net.ipv4.conf.${p.hostVeth}.forwarding`] = '1';
    const pod = calicoPod(p.name, p.address, p.mac, p.hostVeth);
    pod.hostVethMac = p.hostVethMac;
    pods.push(pod);
  }
  routes.push(`blackhole ${n.podCidr} proto bird`);
  for (const m of plan.nodes) if (m.index !== i) routes.push(`${m.podCidr} via ${m.rack === n.rack ? m.address : n.gateway} dev eth0 proto bird`);
  if (plan.defaultRoute) routes.push(`default via ${n.gateway} dev eth0`);
  const eth0: IfaceSpec = { kind: 'phys', name: 'eth0', segment: n.segment, address: `${n.address}/${n.prefixLen}`, mac: n.mac };
  if (plan.underlayMtu !== undefined) eth0.mtu = plan.underlayMtu;
  const node: NodeSpec = { name: n.name, interfaces: [eth0], routes, neigh, sysctls, pods };
  const ipt = plan.iptables[i];
  if (ipt !== undefined) node.iptables = ipt;
  return node;
}

/** The router joining the racks of a plan: `eth<r>` on rack r's gateway address, a static route to every block. Undefined with one rack. */
export function calicoRouter(plan: CalicoPlan): NodeSpec | undefined {
  if (plan.racks.length < 2) return undefined;
  return {
    name: plan.routerName,
    interfaces: plan.racks.map((r, k) => ({ kind: 'phys' as const, name: `eth${k}`, segment: r.segment, address: `${formatIPv4(r.gateway)}/${r.cidr.len}`, mac: qemuMac(r.gateway) })),
    routes: plan.nodes.map((n) => `${n.podCidr} via ${n.address} dev eth${n.rack}`),
    sysctls: { 'net.ipv4.ip_forward': '1' },
    pods: [],
  };
}

/** A whole Calico cluster as a `Scenario` (no probes): the nodes, then the router when there are several racks. Its size grows with nodes². */
export function calicoCluster(o: CalicoOptions, name = 'calico', description = `Calico routed, ${o.nodes} nodes`): Scenario {
  const plan = planCalico(o);
  const router = calicoRouter(plan);
  const nodes = plan.nodes.map((_, i) => calicoNode(plan, i));
  if (router) nodes.push(router);
  return { name, description, segments: plan.racks.map((r) => ({ name: r.segment })), nodes, probes: [] };
}
