/**
 * The `nodes:` list: single nodes and `generate:` groups (worker-001..,
 * round-robin over their racks, at least three digits), their pods (a count
 * or a list), and addresses: the given ones checked (inside the rack, not
 * its network, broadcast or gateway address, on no other node), the others
 * the rack's next free host from 11, as src/topology lays nodes out.
 */
import { formatIPv4 } from '../net/ip.js';
import { hostCount, inside, prefixText, type Prefix4 } from '../topology/address.js';
import { cidr, int, ipv4, labels, list, mapping, show, str } from './fields.js';
import type { Path, Source } from './source.js';
import type { NodeSpec, PodSpec, PortSpec, RackSpec } from './spec.js';

const NODE = ['name', 'rack', 'ip', 'pods', 'subnet', 'blocks', 'borrowed'];
const GENERATE = ['generate', 'prefix', 'racks', 'rack', 'pods'];
/** Keys of a pod (`node` only in the top-level list). */
export const POD = ['name', 'namespace', 'labels', 'ports', 'ip', 'node'];
const FIRST_HOST = 11;

interface Pending { node: NodeSpec; ip?: number; rack: RackSpec }

export function readNodes(src: Source, v: unknown, racks: readonly RackSpec[]): NodeSpec[] {
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

export function readPod(src: Source, p: Path, v: unknown, node: string | undefined): PodSpec {
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

