/**
 * Builds a {@link Scenario} in memory by replaying it through the
 * programming door (netlink.ts), in the order the netns export runs its
 * commands: segments, then per node its host namespace, devices and
 * addresses, its pods (namespace, veth pair, address, routes, neighbours),
 * sysctls, routes, neighbours, FDB entries and iptables, then its miss
 * responder (the door's miss agents, `missResponderAgents`).
 */
import type { Core } from '../core/core.js';
import { CnikitError, InputError } from '../core/errors.js';
import { Codec } from '../codec/wasm.js';
import { SimClock } from '../store/clock.js';
import { Netlink } from './netlink.js';
import { missResponderAgents } from './miss-responder.js';
import type { IfaceSpec, NodeSpec, Scenario } from './scenario.js';
import { SimNetwork } from './network.js';
import type { WalkPins } from './path/context.js';

/** Options of {@link createNetwork} and {@link buildScenario}. */
export interface BuildOptions {
  /** Simulated clock (ageing of neighbour and FDB entries). Default a new one at 0. */
  clock?: SimClock;
  /** Devices a walk may cross before it is a LOOP. Default 64. */
  hopLimit?: number;
  /** Values Linux randomises, pinned for byte comparisons. Default none. */
  pins?: WalkPins;
  /** Walk the ICMP errors Linux sends (time exceeded, unreachable, frag needed, port unreachable). Default true. */
  icmpErrors?: boolean;
  /** Record ARP request/reply frames in captures. Default false (ARP resolves invisibly). */
  arpFrames?: boolean;
}

/** An empty network on `core`, to be programmed through `Netlink.of(net)`. */
export function createNetwork(core: Core, opts: BuildOptions = {}): SimNetwork {
  const net = new SimNetwork(core, new Codec(core), opts.clock ?? new SimClock(), opts.hopLimit ?? 64);
  net.pins = opts.pins;
  net.icmpErrors = opts.icmpErrors ?? true;
  net.arpFrames = opts.arpFrames ?? false;
  return net;
}

/** Builds `s` on `core`'s WASM tables. Throws the door's error, naming the node and table. */
export function buildScenario(core: Core, s: Scenario, opts: BuildOptions = {}): SimNetwork {
  const net = createNetwork(core, opts);
  const nl = Netlink.of(net);
  try {
    for (const seg of s.segments) nl.segmentAdd(seg.name, { mtu: seg.mtu });
    const ports = { n: 0 };
    for (const n of s.nodes) buildNode(nl, n, ports);
  } catch (e) {
    net.dispose();
    throw e;
  }
  // Scenarios are read back through their captures; programmatic networks capture nothing unless asked.
  net.setCapture(true);
  return net;
}

function buildNode(nl: Netlink, n: NodeSpec, ports: { n: number }): void {
  nl.netnsAdd(n.name);
  for (const spec of n.interfaces) at(n.name, `interface ${spec.name}`, () => addIface(nl, n.name, spec, ports));
  for (const p of n.pods) at(p.name, 'pod', () => nl.podAdd(n.name, p));
  const sysctls = { 'net.ipv4.ip_forward': '1', ...(n.sysctls ?? {}) };
  at(n.name, 'sysctls', () => Object.entries(sysctls).forEach(([k, v]) => nl.sysctl(n.name, k, v)));
  at(n.name, 'routes', () => n.routes.forEach((r) => nl.routeAdd(n.name, r)));
  at(n.name, 'neigh', () => (n.neigh ?? []).forEach((a) => nl.neighAdd(n.name, a)));
  at(n.name, 'fdb', () => (n.fdb ?? []).forEach((a) => nl.fdbAdd(n.name, a)));
  if (n.iptables) nl.iptablesRestore(n.name, n.iptables);
  const r = n.missResponder;
  if (r) at(n.name, 'missResponder', () => nl.setMissAgents(n.name, r.dev, missResponderAgents(r)));
}

/** Names the node (or pod) and table in an error. */
function at(node: string, what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.code, e.input, `${e.expected} (node ${node}, ${what})`, e.position);
    if (e instanceof CnikitError && !/\(node /.test(e.message)) throw new CnikitError(e.code, `${e.message.slice(e.code.length + 2)} (node ${node}, ${what})`);
    throw e;
  }
}

function addIface(nl: Netlink, ns: string, s: IfaceSpec, ports: { n: number }): void {
  if (s.kind === 'ipip') nl.linkAdd(ns, { kind: 'ipip', name: s.name, local: s.local, mtu: s.mtu });
  else if (s.kind === 'phys') {
    // Switch port names as the netns export gives them: NODE.IF, or pN past IFNAMSIZ.
    const long = `${ns}.${s.name}`;
    nl.linkAdd(ns, { kind: 'phys', name: s.name, segment: s.segment, mac: s.mac, mtu: s.mtu, port: long.length <= 15 ? long : `p${ports.n}` });
    ports.n++;
  } else if (s.kind === 'bridge') nl.linkAdd(ns, { kind: 'bridge', name: s.name, mac: s.mac, mtu: s.mtu });
  else nl.linkAdd(ns, { kind: 'vxlan', name: s.name, id: s.vni, local: s.local, dev: s.dev, dstport: s.dstport, learning: s.learning, mac: s.mac, mtu: s.mtu, ...(s.df ? { df: s.df } : {}), ...(s.proxy ? { proxy: true } : {}), ...(s.l2miss ? { l2miss: true } : {}), ...(s.l3miss ? { l3miss: true } : {}) });
  if (s.address) nl.addrAdd(ns, s.name, s.address);
}
