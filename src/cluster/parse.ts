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
import { overlaps, prefixText } from '../topology/address.js';
import { parseDuration } from './duration.js';
import { bool, cidr, int, labels, list, mapping, show, str } from './fields.js';
import { readNodes, readPod } from './nodes.js';
import { readSource, type Path, type Source } from './source.js';
import type { Cluster, ClusterEvent, EventKind, FlannelSection, NodeSpec, PodSpec, RackSpec } from './spec.js';
import { checkCalico } from './calico-section.js';

const TOP = ['name', 'underlay', 'nodes', 'pods', 'namespaces', 'policies', 'calico', 'flannel', 'events'];
const EVENT_KINDS: readonly EventKind[] = ['node-down', 'node-up', 'bgp-stop', 'bgp-start', 'store-down', 'store-up'];
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
