/**
 * Reads and checks a cluster file (docs/cluster.md): every key known, every
 * address well formed and where it belongs, names unique, nodes generated
 * (`generate: 100, prefix: worker-` gives worker-001.. round-robin over its
 * racks), node addresses assigned (the rack's next free host from 11, as
 * src/topology lays nodes out), pods named (`pods: 3` on node1 gives
 * node1-pod-1..3 in namespace default). The first problem is an
 * `InputError` naming the file, the line and what was expected; nothing is
 * built before the whole file passes.
 *
 * Pod names are unique cluster-wide, namespaces or not: a pod's network
 * namespace in the kernel model is named after it.
 */
import { formatIPv4 } from '../net/ip.js';
import { hostCount, inside, overlaps, prefixText, type Prefix4 } from '../topology/address.js';
import { parseDuration } from './duration.js';
import { bool, cidr, int, ipv4, labels, list, mapping, show, str } from './fields.js';
import { readSource, type Path, type Source } from './source.js';
import type { Cluster, ClusterEvent, EventKind, FlannelSection, NodeSpec, PodSpec, PortSpec, RackSpec } from './spec.js';
import { checkCalico } from './calico-section.js';

const TOP = ['name', 'underlay', 'nodes', 'pods', 'namespaces', 'policies', 'calico', 'flannel', 'events'];
const NODE = ['name', 'rack', 'ip', 'pods', 'subnet', 'blocks', 'borrowed'];
const GENERATE = ['generate', 'prefix', 'racks', 'rack', 'pods'];
const POD = ['name', 'namespace', 'labels', 'ports', 'ip', 'node'];
const EVENT_KINDS: readonly EventKind[] = ['node-down', 'node-up', 'bgp-stop', 'bgp-start', 'store-down', 'store-up'];
const FIRST_HOST = 11;
const DEFAULT_RACK = { name: 'lan', cidr: '10.0.0.0/16' };

/** Parses cluster-file text; `file` names it in errors. */
export function parseCluster(text: string, file: string): Cluster {
  return checkCluster(readSource(text, file));
}

/** Checks an already read source. */
export function checkCluster(src: Source): Cluster {
  const top = mapping(src, [], src.value ?? {}, 'the cluster file', TOP);
  const name = top.name === undefined ? 'cluster' : str(src, ['name'], top.name, 'name');
  const underlay = readUnderlay(src, top.underlay);
  const nodes = readNodes(src, top.nodes, underlay.racks);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const [i, v] of list(src, ['pods'], top.pods, 'pods').entries()) {
    const pod = readPod(src, ['pods', i], v, undefined);
    const n = byName.get(pod.node);
    if (!n) throw src.error('UnknownNode', ['pods', i, 'node'], pod.node, `a node of this file (${[...byName.keys()].slice(0, 5).join(', ')}${byName.size > 5 ? ', ...' : ''})`);
    n.pods.push(pod);
  }
  const pods = nodes.flatMap((n) => n.pods);
  const seen = new Map<string, PodSpec>();
  for (const p of pods) {
    if (seen.has(p.name) || byName.has(p.name)) throw src.error('DuplicateName', p.path, p.name, `a pod name used once in the cluster, and by no node (line ${src.line((seen.get(p.name) ?? byName.get(p.name))!.path)} has it)`);
    seen.set(p.name, p);
  }
  const namespaces = readNamespaces(src, top.namespaces, pods);
  const cluster: Cluster = {
    source: src, name, underlay, nodes, pods, namespaces,
    policies: list(src, ['policies'], top.policies, 'policies'),
    events: readEvents(src, top.events, byName),
  };
  if (top.calico !== undefined) cluster.calico = checkCalico(src, top.calico, nodes);
  if (top.flannel !== undefined) cluster.flannel = readFlannel(src, top.flannel);
  return cluster;
}

function readUnderlay(src: Source, v: unknown): Cluster['underlay'] {
  const u = mapping(src, ['underlay'], v ?? {}, 'underlay', ['mtu', 'racks']);
  const mtu = u.mtu === undefined ? 1500 : int(src, ['underlay', 'mtu'], u.mtu, 'underlay.mtu', 68, 65535);
  const raw = u.racks === undefined ? [DEFAULT_RACK] : list(src, ['underlay', 'racks'], u.racks, 'underlay.racks');
  if (raw.length === 0) throw src.error('BadCluster', ['underlay', 'racks'], '[]', 'at least one rack');
  const racks: RackSpec[] = [];
  raw.forEach((r, i) => {
    const p = ['underlay', 'racks', i];
    const o = mapping(src, p, r, 'a rack', ['name', 'cidr']);
    const rname = str(src, [...p, 'name'], o.name, 'rack name');
    const c = cidr(src, [...p, 'cidr'], o.cidr, `cidr of rack ${rname}`);
    if (c.len > 30) throw src.error('BadPrefix', [...p, 'cidr'], prefixText(c), `a rack subnet of /30 or shorter (a gateway and nodes)`);
    const dup = racks.find((x) => x.name === rname);
    if (dup) throw src.error('DuplicateName', [...p, 'name'], rname, `a rack name used once (line ${src.line(dup.path)} has it)`);
    const clash = racks.find((x) => overlaps(x, c));
    if (clash) throw src.error('Overlap', [...p, 'cidr'], prefixText(c), `a rack subnet apart from rack ${clash.name} (${clash.cidr})`);
    racks.push({ name: rname, cidr: prefixText(c), addr: c.addr, len: c.len, gateway: formatIPv4(c.addr + 1), path: p });
  });
  return { mtu, racks };
}

interface Pending { node: NodeSpec; ip?: number; rack: RackSpec }

function readNodes(src: Source, v: unknown, racks: readonly RackSpec[]): NodeSpec[] {
  const raw = list(src, ['nodes'], v, 'nodes');
  const rackOf = (p: Path, x: unknown): RackSpec => {
    if (x === undefined) return racks[0];
    const r = racks.find((k) => k.name === x);
    if (!r) throw src.error('UnknownRack', p, show(x), `a rack of underlay.racks (${racks.map((k) => k.name).join(', ')})`);
    return r;
  };
  const pending: Pending[] = [];
  raw.forEach((item, i) => {
    const p: Path = ['nodes', i];
    if (item && typeof item === 'object' && 'generate' in item) {
      const g = mapping(src, p, item, 'a generated node group', GENERATE);
      const count = int(src, [...p, 'generate'], g.generate, 'generate', 1, 100_000);
      const prefix = g.prefix === undefined ? 'node-' : str(src, [...p, 'prefix'], g.prefix, 'prefix');
      const names = g.racks !== undefined ? list(src, [...p, 'racks'], g.racks, 'racks') : [g.rack];
      const over = names.map((x, j) => rackOf(g.racks !== undefined ? [...p, 'racks', j] : [...p, 'rack'], x));
      const width = Math.max(3, String(count).length);
      for (let k = 0; k < count; k++) {
        const node: NodeSpec = { name: `${prefix}${String(k + 1).padStart(width, '0')}`, index: 0, rack: '', ip: '', pods: [], path: p };
        node.pods = readPods(src, [...p, 'pods'], g.pods, node.name);
        pending.push({ node, rack: over[k % over.length] });
      }
      return;
    }
    const o = mapping(src, p, item, 'a node', NODE);
    const name = str(src, [...p, 'name'], o.name, 'node name');
    const rack = rackOf([...p, 'rack'], o.rack);
    const node: NodeSpec = { name, index: 0, rack: '', ip: '', pods: readPods(src, [...p, 'pods'], o.pods, name), path: p };
    if (o.subnet !== undefined) node.subnet = prefixText(cidr(src, [...p, 'subnet'], o.subnet, `subnet of ${name}`));
    if (o.blocks !== undefined) node.blocks = list(src, [...p, 'blocks'], o.blocks, 'blocks').map((b, j) => prefixText(cidr(src, [...p, 'blocks', j], b, `block of ${name}`)));
    if (o.borrowed !== undefined) node.borrowed = list(src, [...p, 'borrowed'], o.borrowed, 'borrowed').map((b, j) => formatIPv4(ipv4(src, [...p, 'borrowed', j], b, `borrowed address of ${name}`)));
    const entry: Pending = { node, rack };
    if (o.ip !== undefined) entry.ip = ipv4(src, [...p, 'ip'], o.ip, `ip of ${name}`);
    pending.push(entry);
  });
  return assignAddresses(src, pending);
}

/** Checks given node addresses, then gives the others the next free host of their rack from 11. */
function assignAddresses(src: Source, pending: Pending[]): NodeSpec[] {
  const owner = new Map<number, NodeSpec>();
  const names = new Map<string, NodeSpec>();
  for (const e of pending) {
    const dup = names.get(e.node.name);
    if (dup) throw src.error('DuplicateName', e.node.path, e.node.name, `a node name used once (line ${src.line(dup.path)} has it)`);
    names.set(e.node.name, e.node);
    if (e.ip === undefined) continue;
    const p = [...e.node.path, 'ip'];
    const r: Prefix4 = e.rack;
    const text = formatIPv4(e.ip);
    if (!inside(r, e.ip)) throw src.error('OutsideRack', p, text, `an address inside rack ${e.rack.name} (${e.rack.cidr})`);
    const host = e.ip - r.addr;
    if (host === 0 || host > hostCount(r.len)) throw src.error('BadAddress', p, text, `a host address of ${e.rack.cidr}, not its network or broadcast address`);
    if (host === 1) throw src.error('AddressInUse', p, text, `an address other than rack ${e.rack.name}'s gateway (the router holds ${text})`);
    const other = owner.get(e.ip);
    if (other) throw src.error('AddressInUse', p, text, `an address no other node has (${other.name}, line ${src.line([...other.path, 'ip'])}, has ${text})`);
    owner.set(e.ip, e.node);
  }
  const next = new Map<string, number>();
  return pending.map((e, index) => {
    let ip = e.ip;
    if (ip === undefined) {
      let host = next.get(e.rack.name) ?? FIRST_HOST;
      while (owner.has(e.rack.addr + host)) host++;
      if (host > hostCount(e.rack.len)) throw src.error('AddressExhausted', e.node.path, e.node.name, `a free address in rack ${e.rack.name} (${e.rack.cidr}): hosts ${FIRST_HOST}..${hostCount(e.rack.len)} are taken`);
      next.set(e.rack.name, host + 1);
      ip = e.rack.addr + host;
      owner.set(ip, e.node);
    }
    return { ...e.node, index, rack: e.rack.name, ip: formatIPv4(ip) };
  });
}

function readPods(src: Source, p: Path, v: unknown, node: string): PodSpec[] {
  if (v === undefined) return [];
  if (typeof v === 'number') {
    const n = int(src, p, v, 'pods', 0, 100_000);
    return Array.from({ length: n }, (_, k) => ({ name: `${node}-pod-${k + 1}`, namespace: 'default', labels: {}, ports: [], node, path: p }));
  }
  return list(src, p, v, 'pods (a count or a list)').map((x, i) => readPod(src, [...p, i], x, node));
}

function readPod(src: Source, p: Path, v: unknown, node: string | undefined): PodSpec {
  const o = mapping(src, p, v, 'a pod', node === undefined ? POD : POD.filter((k) => k !== 'node'));
  const name = str(src, [...p, 'name'], o.name, 'pod name');
  const pod: PodSpec = {
    name,
    namespace: o.namespace === undefined ? 'default' : str(src, [...p, 'namespace'], o.namespace, 'namespace'),
    labels: labels(src, [...p, 'labels'], o.labels, `labels of ${name}`),
    ports: list(src, [...p, 'ports'], o.ports, 'ports').map((x, i) => readPort(src, [...p, 'ports', i], x)),
    node: node ?? str(src, [...p, 'node'], o.node, `node of pod ${name}`),
    path: p,
  };
  if (o.ip !== undefined) pod.ip = formatIPv4(ipv4(src, [...p, 'ip'], o.ip, `ip of pod ${name}`));
  return pod;
}

function readPort(src: Source, p: Path, v: unknown): PortSpec {
  const o = mapping(src, p, v, 'a port', ['name', 'containerPort', 'protocol']);
  const port: PortSpec = { containerPort: int(src, [...p, 'containerPort'], o.containerPort, 'containerPort', 1, 65535), protocol: 'TCP' };
  if (o.name !== undefined) port.name = str(src, [...p, 'name'], o.name, 'port name');
  if (o.protocol !== undefined) {
    if (o.protocol !== 'TCP' && o.protocol !== 'UDP' && o.protocol !== 'SCTP') throw src.error('BadCluster', [...p, 'protocol'], show(o.protocol), 'TCP, UDP or SCTP');
    port.protocol = o.protocol;
  }
  return port;
}

function readNamespaces(src: Source, v: unknown, pods: readonly PodSpec[]): Cluster['namespaces'] {
  const o = v === undefined ? {} : mapping(src, ['namespaces'], v, 'namespaces', Object.keys((v ?? {}) as object));
  const out: Record<string, Record<string, string>> = {};
  for (const [k, x] of Object.entries(o)) out[k] = labels(src, ['namespaces', k], x ?? {}, `labels of namespace ${k}`);
  for (const p of pods) out[p.namespace] ??= {};
  for (const [k, l] of Object.entries(out)) l['kubernetes.io/metadata.name'] ??= k;
  return out;
}

function readEvents(src: Source, v: unknown, nodes: ReadonlyMap<string, NodeSpec>): ClusterEvent[] {
  return list(src, ['events'], v, 'events').map((x, i) => {
    const p: Path = ['events', i];
    const o = mapping(src, p, x, 'an event', ['at', ...EVENT_KINDS]);
    if (o.at === undefined) throw src.error('BadCluster', p, show(x), 'an event with `at:` (a Go duration such as 10m)');
    let atMs: number;
    try {
      atMs = parseDuration(String(o.at));
    } catch {
      throw src.error('BadDuration', [...p, 'at'], show(o.at), 'a time in Go duration syntax, such as 90s, 10m or 1h30m');
    }
    const kinds = EVENT_KINDS.filter((k) => k in o);
    if (kinds.length !== 1) throw src.error('BadCluster', p, show(x), `exactly one of ${EVENT_KINDS.join(', ')}`);
    const kind = kinds[0];
    const ev: ClusterEvent = { atMs, kind, path: p };
    if (kind === 'store-down' || kind === 'store-up') return ev;
    const node = str(src, [...p, kind], o[kind], `${kind}: a node name`);
    if (!nodes.has(node)) throw src.error('UnknownNode', [...p, kind], node, `a node of this file`);
    ev.node = node;
    return ev;
  }).sort((a, b) => a.atMs - b.atMs);
}

function readFlannel(src: Source, v: unknown): FlannelSection {
  const p = ['flannel'];
  const o = mapping(src, p, v, 'flannel', ['netConf', 'legacyMisses', 'legacyVersion', 'ipMasq', 'startup']);
  const netConf = o.netConf === undefined ? { Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } } : mapping(src, [...p, 'netConf'], o.netConf, 'flannel.netConf', Object.keys((o.netConf ?? {}) as object));
  const version = o.legacyVersion ?? 'v0.5';
  if (version !== 'v0.4' && version !== 'v0.5') throw src.error('BadCluster', [...p, 'legacyVersion'], show(version), 'v0.5 (the seed\'s flanneld) or v0.4');
  const startup = o.startup ?? 'rollout';
  if (startup !== 'rollout' && startup !== 'sequential') throw src.error('BadCluster', [...p, 'startup'], show(startup), 'rollout (every node registers, then every node watches) or sequential (nodes join one by one)');
  return {
    netConf,
    legacyMisses: o.legacyMisses === undefined ? false : bool(src, [...p, 'legacyMisses'], o.legacyMisses, 'legacyMisses'),
    legacyVersion: version,
    ipMasq: o.ipMasq === undefined ? true : bool(src, [...p, 'ipMasq'], o.ipMasq, 'ipMasq'),
    startup,
    path: p,
  };
}
