/**
 * Flannel-shaped clusters, as flanneld (`pkg/subnet`, `pkg/backend/vxlan`,
 * `pkg/backend/hostgw`) and the CNI bridge plugin program a node:
 *
 * - Each node leases a subnet of `Network` (`SubnetLen`, default /24; the
 *   first subnet is skipped, as flanneld's `SubnetMin` does): node k gets
 *   subnet k + 1. flanneld picks at random among free subnets; here they go
 *   in node order.
 * - Pods sit on bridge `cni0` holding the subnet's first address, from the
 *   second on (host-local IPAM's range after the gateway), each `eth0` with
 *   `default via <gateway>`. MACs are `0a:58` + the IPv4 address for the
 *   pods and `cni0` (the bridge plugin's `GenerateHardwareAddr4`); the host
 *   veth ends are `veth` + 8 hex with random MACs, made reproducible.
 * - `vxlan`: `flannel.1` (VNI 1, dstport 8472, `nolearning`, MTU underlay -
 *   50) holds `<subnet>/32`; per remote lease the route `<subnet> via
 *   <subnet addr> dev flannel.1 onlink`, the permanent neighbour
 *   `<subnet addr> lladdr <VtepMAC>` and the FDB entry `<VtepMAC> dst
 *   <node IP> self permanent`. VtepMACs are random (flanneld's
 *   `mac.NewHardwareAddr`), made reproducible.
 * - `host-gw`: per remote lease `<subnet> via <node IP> dev eth0`; every
 *   node must share one segment.
 *
 * Simplified: no flanneld iptables (FLANNEL-FWD, FLANNEL-POSTRTG); pass
 * `iptables` for a ruleset. The `udp` backend's TUN device has no
 * `IfaceSpec`, so it is not generated.
 */
import { InputError } from '../core/errors.js';
import type { NodeSpec, PodSpec, Scenario } from '../kernel/scenario.js';
import { formatIPv4 } from '../net/ip.js';
import { nthHost, nthSubnet, overlaps, prefix4, prefixText, subnetCount, type Prefix4 } from './address.js';
import { CNI_MAC_PREFIX, macFromIPv4, randomMac } from './mac.js';
import { cniVethName } from './names.js';
import { planCluster, type ClusterOptions, type ClusterPlan, type NodePlan } from './plan.js';

/** Options of {@link flannelCluster}. */
export interface FlannelOptions extends ClusterOptions {
  /** Backend. Default `vxlan`. */
  backend?: 'vxlan' | 'host-gw';
  /** flanneld's `Network`. Default `10.244.0.0/16`. */
  network?: string;
  /** flanneld's `SubnetLen`. Default as flanneld computes it: 24 when the network is /22 or shorter, else its length + 2. */
  subnetLen?: number;
  /** VXLAN VNI. Default 1. */
  vni?: number;
  /** VXLAN UDP port. Default 8472 (the Linux kernel's). */
  port?: number;
  /** MTU of the pods and `cni0`. Default FLANNEL_MTU: the underlay MTU, less 50 for vxlan. */
  podMtu?: number;
  /** No permanent neighbour and FDB entries: flanneld before v0.9 answered the kernel's L3/L2 misses instead (install agents with `SimNetwork.setMissAgents`). Default false. */
  missAgent?: boolean;
  /** The `flannel.1` MAC of a node. Default random (reproducible). */
  vtepMac?: (node: NodePlan) => string;
}

/** A Flannel plan: the common plan, the backend's settings and each node's VtepMAC. */
export interface FlannelPlan extends ClusterPlan {
  backend: 'vxlan' | 'host-gw';
  vni: number;
  port: number;
  underlayMtu: number | undefined;
  podMtu: number;
  missAgent: boolean;
  defaultRoute: boolean;
  vtepMacs: string[];
  iptables: (string | undefined)[];
}

/** flanneld's SubnetLen rule and checks (pkg/subnet/config.go). */
function subnetLenOf(network: Prefix4, given: number | undefined, text: string): number {
  if (given === undefined) return network.len <= 22 ? 24 : network.len + 2;
  if (!Number.isInteger(given) || given > 30) throw new InputError('BadSubnetLen', String(given), 'SubnetLen must be less than /31');
  if (given < network.len + 2) throw new InputError('BadSubnetLen', `${text} SubnetLen ${given}`, 'network must be able to accommodate at least four subnets');
  return given;
}

/** Plans a Flannel cluster: every address, MAC and name, O(nodes + pods). */
export function planFlannel(o: FlannelOptions): FlannelPlan {
  const backend = o.backend ?? 'vxlan';
  const networkText = o.network ?? '10.244.0.0/16';
  const network = prefix4(networkText);
  const subnetLen = subnetLenOf(network, o.subnetLen, networkText);
  const underlayMtu = o.underlayMtu;
  const podMtu = o.podMtu ?? (underlayMtu ?? 1500) - (backend === 'vxlan' ? 50 : 0);
  if (backend === 'host-gw' && (o.racks?.length ?? 1) > 1) throw new InputError('BadTopology', 'host-gw', 'every node on one segment: host-gw routes to the other nodes directly');
  const count = subnetCount(network, subnetLen);
  const plan = planCluster(o, {
    podCidr: (i) => nthSubnet(network, subnetLen, i + 1, `node ${i + 1} (flanneld leases /${subnetLen}s 1..${count - 1} of ${networkText})`),
    // host-local: the gateway is host 1, pods from host 2 to the last before broadcast.
    podAddress: (cidr, j, what) => nthHost(cidr, j + 2, what),
    podMac: (p) => macFromIPv4(CNI_MAC_PREFIX, p.address),
    hostVeth: (p, taken) => {
      // ip.RandomVethName draws again when the name exists.
      for (let attempt = 0; ; attempt++) {
        const name = cniVethName(`${p.namespace}/${p.name}#${attempt}`);
        if (!taken.has(name)) return name;
      }
    },
    hostVethMac: (p, unique) => unique((attempt) => randomMac(`veth ${p.namespace}/${p.name}#${attempt}`)),
  });
  for (const r of plan.racks) if (overlaps(r.cidr, network)) throw new InputError('Overlap', networkText, `a pod network apart from the underlay ${prefixText(r.cidr)}`);
  const used = new Set(plan.nodes.flatMap((n) => [n.mac, ...n.pods.flatMap((p) => [p.mac, p.hostVethMac])]));
  const vtepMacs = plan.nodes.map((n) => {
    if (o.vtepMac) return o.vtepMac(n);
    for (let attempt = 0; ; attempt++) {
      const m = randomMac(`flannel.1 ${n.name}#${attempt}`);
      if (!used.has(m)) {
        used.add(m);
        return m;
      }
    }
  });
  return {
    ...plan,
    backend,
    vni: o.vni ?? 1,
    port: o.port ?? 8472,
    underlayMtu,
    podMtu,
    missAgent: o.missAgent ?? false,
    defaultRoute: o.defaultRoute ?? true,
    vtepMacs,
    iptables: plan.nodes.map((n) => o.iptables?.(n)),
  };
}

/** Node `i` of a Flannel plan as a `NodeSpec`: O(nodes) routes, neighbours and FDB entries. */
export function flannelNode(plan: FlannelPlan, i: number): NodeSpec {
  const n = plan.nodes[i];
  const cidr = prefix4(n.podCidr);
  const gateway = formatIPv4(cidr.addr + 1);
  const subnet = formatIPv4(cidr.addr);
  const vx = plan.backend === 'vxlan';
  const others = plan.nodes.filter((m) => m.index !== i);
  const eth0: NodeSpec['interfaces'][number] = { kind: 'phys', name: 'eth0', segment: n.segment, address: `${n.address}/${n.prefixLen}`, mac: n.mac };
  if (plan.underlayMtu !== undefined) eth0.mtu = plan.underlayMtu;
  const interfaces: NodeSpec['interfaces'] = [eth0, { kind: 'bridge', name: 'cni0', address: `${gateway}/${cidr.len}`, mac: macFromIPv4(CNI_MAC_PREFIX, cidr.addr + 1), mtu: plan.podMtu }];
  if (vx) {
    interfaces.push({ kind: 'vxlan', name: 'flannel.1', vni: plan.vni, local: n.address, dev: 'eth0', dstport: plan.port, learning: false, mac: plan.vtepMacs[i], address: `${subnet}/32`, mtu: (plan.underlayMtu ?? 1500) - 50 });
  }
  const routes = others.map((m) => {
    const s = m.podCidr.slice(0, m.podCidr.indexOf('/'));
    return vx ? `${m.podCidr} via ${s} dev flannel.1 onlink` : `${m.podCidr} via ${m.address} dev eth0`;
  });
  if (plan.defaultRoute) routes.push(`default via ${n.gateway} dev eth0`);
  const statics = vx && !plan.missAgent;
  const pods: PodSpec[] = n.pods.map((p) => ({
    name: p.name,
    address: `${p.address}/${cidr.len}`,
    mac: p.mac,
    hostVeth: p.hostVeth,
    hostVethMac: p.hostVethMac,
    bridge: 'cni0',
    routes: [`default via ${gateway} dev eth0`],
    mtu: plan.podMtu,
  }));
  const node: NodeSpec = {
    name: n.name,
    interfaces,
    routes,
    neigh: statics ? others.map((m) => `${m.podCidr.slice(0, m.podCidr.indexOf('/'))} lladdr ${plan.vtepMacs[m.index]} dev flannel.1 nud permanent`) : [],
    fdb: statics ? others.map((m) => `${plan.vtepMacs[m.index]} dev flannel.1 dst ${m.address} self permanent`) : [],
    sysctls: { 'net.ipv4.ip_forward': '1' },
    pods,
  };
  const ipt = plan.iptables[i];
  if (ipt !== undefined) node.iptables = ipt;
  return node;
}

/** A whole Flannel cluster as a `Scenario` (no probes). Its size grows with nodes²: plan and render node by node for thousands of nodes. */
export function flannelCluster(o: FlannelOptions, name = 'flannel', description = `Flannel ${o.backend ?? 'vxlan'}, ${o.nodes} nodes`): Scenario {
  const plan = planFlannel(o);
  return { name, description, segments: plan.racks.map((r) => ({ name: r.segment })), nodes: plan.nodes.map((_, i) => flannelNode(plan, i)), probes: [] };
}
