/**
 * Builds a {@link Scenario} in memory: segments, one host namespace per node
 * (routers are nodes without pods), one namespace per pod with its veth
 * pair, then every table from its Linux text (`ip route`, `ip neigh add`,
 * `bridge fdb add`, sysctls, `iptables-save`).
 */
import type { Core } from '../core/core.js';
import { InputError } from '../core/errors.js';
import { Codec } from '../codec/wasm.js';
import { Segment } from '../fabric/segment.js';
import { IptEngine } from '../iptables/engine.js';
import { parseRuleset } from '../iptables/parse.js';
import { SimClock } from '../store/clock.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { BridgeFdb, VxlanFdb } from './fdb.js';
import { Netns, parseAddr } from './netns.js';
import { parseRouteLine } from './route.js';
import type { IfaceSpec, NodeSpec, PodSpec, Scenario } from './scenario.js';
import { SimNetwork } from './network.js';
import type { WalkPins } from './path/context.js';

/** Options of {@link buildScenario}. */
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

/** Builds `s` on `core`'s WASM tables. Throws InputError naming the node and table on bad data. */
export function buildScenario(core: Core, s: Scenario, opts: BuildOptions = {}): SimNetwork {
  const clock = opts.clock ?? new SimClock();
  const net = new SimNetwork(core, new Codec(core), clock, opts.hopLimit ?? 64);
  net.pins = opts.pins;
  net.icmpErrors = opts.icmpErrors ?? true;
  net.arpFrames = opts.arpFrames ?? false;
  for (const seg of s.segments) net.segments.set(seg.name, new Segment(seg.name, clock, seg.mtu ?? 1500));
  const ports = { n: 0 };
  for (const n of s.nodes) buildNode(net, n, ports);
  return net;
}

function buildNode(net: SimNetwork, n: NodeSpec, ports: { n: number }): void {
  const ns = net.addNamespace(n.name, n.name);
  for (const spec of n.interfaces) addIface(net, ns, spec, ports);
  for (const p of n.pods) addPod(net, ns, p);
  const sysctls = { 'net.ipv4.ip_forward': '1', ...(n.sysctls ?? {}) };
  for (const [k, v] of Object.entries(sysctls)) applySysctl(ns, k, v);
  at(n.name, 'routes', () => n.routes.forEach((r) => ns.fib.add(parseRouteLine(r, `${n.name} routes`))));
  at(n.name, 'neigh', () => (n.neigh ?? []).forEach((a) => neighAdd(ns, a)));
  at(n.name, 'fdb', () => (n.fdb ?? []).forEach((a) => fdbAdd(ns, a)));
  if (n.iptables) {
    const ruleset = parseRuleset(n.iptables, { file: `${n.name} iptables` });
    const ctx = { interfaces: [...ns.ifaces.values()].map((i) => ({ name: i.name, addrs: i.addrs.map((a) => `${formatIPv4(a.addr)}/${a.len}`) })) };
    ns.ipt = { ruleset, engine: new IptEngine(net.core, ruleset, { ctx }) };
  }
}

function at(node: string, what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.code, e.input, `${e.expected} (node ${node}, ${what})`, e.position);
    throw e;
  }
}

function addIface(net: SimNetwork, ns: Netns, s: IfaceSpec, ports: { n: number }): void {
  if (s.kind === 'ipip') {
    const i = ns.addIface(s.name, 'ipip', '00:00:00:00:00:00', s.mtu ?? 1480);
    if (s.local) i.ipipLocal = parseIPv4(s.local);
    if (s.address) ns.addAddress(i, parseAddr(s.address));
    return;
  }
  const i = ns.addIface(s.name, s.kind, s.mac, s.mtu ?? (s.kind === 'vxlan' ? 1450 : 1500));
  if (s.kind === 'phys') {
    const seg = net.segments.get(s.segment);
    if (!seg) throw new InputError('NoSuchSegment', s.segment, `a segment of the scenario (${ns.name} ${s.name})`);
    // Switch port names as the netns export gives them: NODE.IF, or pN past IFNAMSIZ.
    const long = `${ns.name}.${s.name}`;
    seg.attach(i, long.length <= 15 ? long : `p${ports.n}`);
    ports.n++;
  } else if (s.kind === 'bridge') {
    i.ports = [];
    i.bridgeFdb = new BridgeFdb(s.name, net.clock);
    i.bridgeFdb.add(s.mac, s.name);
  } else {
    i.vxlan = { vni: s.vni, local: parseIPv4(s.local), dev: s.dev, dstport: s.dstport, learning: s.learning, fdb: new VxlanFdb(s.name, net.clock, { learning: s.learning }) };
  }
  if (s.address) ns.addAddress(i, parseAddr(s.address));
}

function addPod(net: SimNetwork, host: Netns, p: PodSpec): void {
  const pod = net.addNamespace(p.name, host.name);
  const eth0 = pod.addIface('eth0', 'veth', p.mac, p.mtu ?? 1500);
  const hv = host.addIface(p.hostVeth, 'veth', p.hostVethMac, p.mtu ?? 1500);
  eth0.peer = hv;
  hv.peer = eth0;
  pod.addAddress(eth0, parseAddr(p.address));
  if (p.bridge) {
    const br = host.iface(p.bridge);
    if (!br.ports) throw new InputError('NotABridge', p.bridge, `a bridge device of ${host.name} for pod ${p.name}`);
    hv.master = br;
    br.ports.push(hv);
    br.bridgeFdb!.add(p.hostVethMac, hv.name);
  }
  at(p.name, 'routes', () => p.routes.forEach((r) => pod.fib.add(parseRouteLine(r, `${p.name} routes`))));
  at(p.name, 'neigh', () => (p.neigh ?? []).forEach((a) => neighAdd(pod, a)));
}

/**
 * `net.ipv4.ip_forward` (= `conf.all.forwarding`), `net.ipv4.conf.{all,DEV}.proxy_arp`
 * (Linux ORs the two), `net.ipv4.neigh.DEV.app_solicit`; others (and
 * `conf.default.*`, which only affects devices created later) are kept as text only.
 */
export function applySysctl(ns: Netns, key: string, value: string): void {
  ns.sysctls.set(key, value);
  if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding') ns.ipForward = value === '1';
  const conf = /^net\.ipv4\.conf\.(.+)\.proxy_arp$/.exec(key);
  if (conf && conf[1] === 'all') ns.proxyArpAll = value === '1';
  else if (conf && conf[1] !== 'default') ns.iface(sysctlDev(conf[1])).proxyArp = value === '1';
  const neigh = /^net\.ipv4\.neigh\.(.+)\.app_solicit$/.exec(key);
  if (neigh) ns.neigh.setParams(sysctlDev(neigh[1]), { appSolicit: Number(value) });
}

/** sysctl(8) writes a dot in a device name as a slash (`net.ipv4.neigh.flannel/1.app_solicit`). */
function sysctlDev(s: string): string {
  return s.replace(/\//g, '.');
}

/** `ip neigh add A lladdr M dev D [nud S]`. */
export function neighAdd(ns: Netns, args: string): void {
  const w = args.trim().split(/\s+/);
  const get = (k: string) => {
    const i = w.indexOf(k);
    return i >= 0 ? w[i + 1] : undefined;
  };
  const dev = get('dev');
  if (!dev) throw new InputError('InvalidNeigh', args, '`ADDR lladdr MAC dev DEV [nud STATE]`');
  ns.iface(dev);
  ns.neigh.replace(w[0], dev, { lladdr: get('lladdr'), nud: get('nud') ?? 'permanent' });
}

/** `bridge fdb add MAC dev D [dst A] [self|master] [permanent|static]`. */
export function fdbAdd(ns: Netns, args: string): void {
  const w = args.trim().split(/\s+/);
  const get = (k: string) => {
    const i = w.indexOf(k);
    return i >= 0 ? w[i + 1] : undefined;
  };
  const dev = ns.iface(get('dev') ?? '');
  const state = w.find((x) => x === 'permanent' || x === 'static' || x === 'dynamic');
  if (dev.vxlan) {
    const dst = get('dst');
    if (!dst) throw new InputError('InvalidFdb', args, 'a `dst` for a vxlan fdb entry');
    dev.vxlan.fdb.append(w[0], dst, { state });
  } else if (dev.master) dev.master.bridgeFdb!.add(w[0], dev.name, { state });
  else throw new InputError('InvalidFdb', args, 'a vxlan device or a bridge port');
}
