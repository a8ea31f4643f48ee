/**
 * A built network (for instance a cluster programmed by cnikit's flanneld
 * through the door) read back as a {@link Scenario}, so that
 * `exportNetns` can build the same kernels in real namespaces. Everything
 * is read through the model's printers (`ip route`, `ip neigh`, `bridge
 * fdb`, `iptables-save`) and the devices' public fields:
 * - a namespace whose node is itself is a node (or, with no pods, a
 *   router); any other is a pod whose `eth0` is a veth to its node;
 * - routes are the main table without `proto kernel` lines (Linux adds
 *   those with the addresses, as the export does);
 * - only PERMANENT neighbours and permanent FDB entries of vxlan devices
 *   are exported: what the kernel learns (reachable or stale neighbours,
 *   a bridge's learned and local entries) it learns again by itself;
 * - sysctls are the namespace's raw ones plus `net.ipv4.ip_forward`
 *   (old flanneld's `net.ipv4.neigh.flannel/1.app_solicit` among them);
 * - vxlan `proxy`, `l2miss` and `l3miss` are carried; who answers the
 *   misses is not in the network (the model's agents are closures), so
 *   the caller passes each node's {@link MissResponderSpec} (a cluster's
 *   `DesignRun.missResponders()`); a node without one gets none, and its
 *   misses go unanswered, as in the model when nobody listens.
 *
 * A TUN device (Flannel's udp backend encapsulates in flanneld, which the
 * export does not run) is refused with a `NotSupported` error naming it.
 */
import { InputError } from '../core/errors.js';
import { formatIPv4 } from '../net/ip.js';
import type { SimNetwork } from '../kernel/network.js';
import type { Iface } from '../kernel/iface.js';
import type { IfaceSpec, MissResponderSpec, NodeSpec, PodSpec, Scenario } from '../kernel/scenario.js';

const unsupported = (what: string, why: string) => new InputError('NotSupported', what, why);

function onlyAddress(i: Iface, at: string): string | undefined {
  if (i.addrs.length > 1) throw unsupported(at, `at most one IPv4 address per device in a scenario, got ${i.addrs.length}`);
  const a = i.addrs[0];
  return a && `${formatIPv4(a.addr)}/${a.len}`;
}

/** `ip route` lines of the main table that are not the kernel's own (connected routes). */
function routes(net: SimNetwork, ns: string): string[] {
  return net.ipRoute(ns).split('\n').map((l) => l.trim()).filter((l) => l && !/\bproto kernel\b/.test(l));
}

/** `ip neigh` lines `A dev D lladdr M PERMANENT` as `ip neigh add` arguments. */
function permanentNeigh(net: SimNetwork, ns: string): string[] {
  const out: string[] = [];
  for (const l of net.ipNeigh(ns).split('\n')) {
    const m = /^(\S+) dev (\S+) lladdr (\S+) PERMANENT$/.exec(l.trim());
    if (m) out.push(`${m[1]} lladdr ${m[3]} dev ${m[2]} nud permanent`);
  }
  return out;
}

/** Permanent `bridge fdb` entries of vxlan devices, as `bridge fdb add` arguments. */
function vxlanFdb(net: SimNetwork, ns: string, vxlans: Set<string>): string[] {
  return net.bridgeFdb(ns).split('\n').map((l) => l.trim()).filter((l) => {
    const dev = /\bdev (\S+)/.exec(l)?.[1];
    return dev !== undefined && vxlans.has(dev) && /\bpermanent\b/.test(l);
  });
}

function hostIface(i: Iface, at: string): IfaceSpec {
  const address = onlyAddress(i, at);
  if (i.kind === 'phys') {
    if (!i.segment || !address) throw unsupported(at, 'a NIC plugged into a segment with an address');
    return { kind: 'phys', name: i.name, segment: i.segment, address, mac: i.mac, mtu: i.mtu };
  }
  if (i.kind === 'bridge') return { kind: 'bridge', name: i.name, mac: i.mac, mtu: i.mtu, ...(address ? { address } : {}) };
  if (i.kind === 'vxlan') {
    const v = i.vxlan!;
    if (v.local === undefined || v.dev === undefined) throw unsupported(at, 'a vxlan device with local and dev');
    const misses = { ...(v.proxy ? { proxy: true } : {}), ...(v.fdb.l2miss ? { l2miss: true } : {}), ...(v.l3miss ? { l3miss: true } : {}) };
    return { kind: 'vxlan', name: i.name, vni: v.vni, local: formatIPv4(v.local), dev: v.dev, dstport: v.dstport, learning: v.learning, mac: i.mac, mtu: i.mtu, df: v.df, ...misses, ...(address ? { address } : {}) };
  }
  if (i.kind === 'ipip') return { kind: 'ipip', name: i.name, mtu: i.mtu, ...(i.ipipLocal !== undefined ? { local: formatIPv4(i.ipipLocal) } : {}), ...(address ? { address } : {}) };
  throw unsupported(at, `a phys, bridge, vxlan or ipip device or a pod's veth, got ${i.kind}${i.kind === 'tun' ? ' (a TUN device needs its user-space program, e.g. flanneld\'s udp backend)' : ''}`);
}

function sysctls(net: SimNetwork, ns: string): Record<string, string> {
  const n = net.ns(ns);
  const out: Record<string, string> = { 'net.ipv4.ip_forward': n.ipForward ? '1' : '0' };
  for (const [k, v] of n.sysctls) out[k] = v;
  return out;
}

/** Options of {@link scenarioFromNetwork}. */
export interface FromNetworkOptions {
  /** The miss responder of each node that has one (old flanneld's miss handler), by node name. */
  missResponders?: ReadonlyMap<string, MissResponderSpec>;
}

/**
 * The scenario of `net`'s current state (no probes), named `name`.
 * Throws `NotSupported` (see the module comment) for what cannot be
 * exported.
 */
export function scenarioFromNetwork(net: SimNetwork, name: string, description = '', opts: FromNetworkOptions = {}): Scenario {
  const segments = [...net.segments.values()].map((s) => ({ name: s.name, mtu: s.mtu }));
  const nodes: NodeSpec[] = [];
  const byNode = new Map<string, NodeSpec>();
  for (const [nsName, ns] of net.namespaces) {
    if (ns.node !== nsName) continue;
    const interfaces: IfaceSpec[] = [];
    for (const i of ns.ifaces.values()) {
      if (i.kind === 'loopback') continue;
      if (i.kind === 'veth' && i.peer && i.peer.ns.node === nsName && i.peer.ns.name !== nsName) continue; // a pod's host end
      interfaces.push(hostIface(i, `${nsName} ${i.name}`));
    }
    const vxlans = new Set(interfaces.filter((i) => i.kind === 'vxlan').map((i) => i.name));
    const ipt = net.iptablesSave(nsName);
    const fdb = vxlanFdb(net, nsName, vxlans);
    const neigh = permanentNeigh(net, nsName);
    const responder = opts.missResponders?.get(nsName);
    if (responder && !vxlans.has(responder.dev)) throw unsupported(`${nsName} missResponder`, `a responder for one of the node's vxlan devices (${[...vxlans].join(', ') || 'none'}), got ${responder.dev}`);
    const node: NodeSpec = { name: nsName, interfaces, routes: routes(net, nsName), sysctls: sysctls(net, nsName), pods: [], ...(neigh.length ? { neigh } : {}), ...(fdb.length ? { fdb } : {}), ...(ipt ? { iptables: ipt } : {}), ...(responder ? { missResponder: responder } : {}) };
    nodes.push(node);
    byNode.set(nsName, node);
  }
  for (const n of opts.missResponders?.keys() ?? []) if (!byNode.has(n)) throw unsupported(`${n} missResponder`, `a responder of one of the network's nodes (${[...byNode.keys()].join(', ')})`);
  for (const [nsName, ns] of net.namespaces) {
    if (ns.node === nsName) continue;
    const at = `pod ${nsName}`;
    const devs = [...ns.ifaces.values()].filter((i) => i.kind !== 'loopback');
    const eth0 = ns.ifaces.get('eth0');
    if (devs.length !== 1 || !eth0 || eth0.kind !== 'veth' || !eth0.peer || eth0.peer.ns.name !== ns.node) throw unsupported(at, `one device eth0, a veth to node ${ns.node}`);
    const address = onlyAddress(eth0, at);
    if (!address) throw unsupported(at, 'an address on eth0');
    const host = eth0.peer;
    const neigh = permanentNeigh(net, nsName);
    const pod: PodSpec = { name: nsName, address, mac: eth0.mac, hostVeth: host.name, hostVethMac: host.mac, routes: routes(net, nsName), mtu: eth0.mtu, ...(host.master ? { bridge: host.master.name } : {}), ...(neigh.length ? { neigh } : {}) };
    if (host.mtu !== eth0.mtu) throw unsupported(at, `the same MTU on both ends of the veth, got ${eth0.mtu} and ${host.mtu}`);
    byNode.get(ns.node)!.pods.push(pod);
  }
  return { name, description, segments, nodes, probes: [] };
}
