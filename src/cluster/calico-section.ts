/**
 * The `calico:` section's shape (Calico's IPPool and BGPConfiguration field
 * names), checked here so that a typo fails before any design is built;
 * a node's pinned `blocks:` and `borrowed:` must lie in a pool, a block
 * be `blockSize` long. What Calico does with the section is the Calico
 * design's.
 */
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { inside, prefix4, prefixText, type Prefix4 } from '../topology/address.js';
import { bool, cidr, int, ipv4, list, mapping, show, str } from './fields.js';
import type { Path, Source } from './source.js';
import type { NodeSpec } from './spec.js';

const POOL = ['cidr', 'blockSize', 'ipipMode', 'vxlanMode', 'natOutgoing', 'disabled', 'nodeSelector'];
const BGP = ['asNumber', 'nodeToNodeMeshEnabled', 'routeReflectors', 'routeReflectorClusterID', 'peerWithRouters'];
const MODES = ['Never', 'Always', 'CrossSubnet'];

/** Checks `calico:` and the nodes' Calico pins; returns the section as given. */
export function checkCalico(src: Source, v: unknown, nodes: readonly NodeSpec[]): Record<string, unknown> {
  const c = mapping(src, ['calico'], v, 'calico', ['ipPools', 'bgp']);
  const pools: { cidr: Prefix4; blockSize: number }[] = [];
  list(src, ['calico', 'ipPools'], c.ipPools, 'calico.ipPools').forEach((x, i) => {
    const p: Path = ['calico', 'ipPools', i];
    const o = mapping(src, p, x, 'an IP pool', POOL);
    const pc = cidr(src, [...p, 'cidr'], o.cidr, 'pool cidr');
    const blockSize = o.blockSize === undefined ? 26 : int(src, [...p, 'blockSize'], o.blockSize, 'blockSize', 20, 32);
    if (blockSize < pc.len) throw src.error('BadCluster', [...p, 'blockSize'], String(blockSize), `a blockSize no shorter than the pool's /${pc.len}`);
    for (const m of ['ipipMode', 'vxlanMode']) if (o[m] !== undefined && !MODES.includes(o[m] as string)) throw src.error('BadCluster', [...p, m], show(o[m]), MODES.join(', '));
    for (const b of ['natOutgoing', 'disabled']) if (o[b] !== undefined) bool(src, [...p, b], o[b], b);
    pools.push({ cidr: pc, blockSize });
  });
  if (c.bgp !== undefined) {
    const b = mapping(src, ['calico', 'bgp'], c.bgp, 'calico.bgp', BGP);
    if (b.asNumber !== undefined) int(src, ['calico', 'bgp', 'asNumber'], b.asNumber, 'asNumber', 1, 4294967295);
    for (const k of ['nodeToNodeMeshEnabled', 'peerWithRouters']) if (b[k] !== undefined) bool(src, ['calico', 'bgp', k], b[k], k);
    if (b.routeReflectorClusterID !== undefined) ipv4(src, ['calico', 'bgp', 'routeReflectorClusterID'], b.routeReflectorClusterID, 'routeReflectorClusterID');
    list(src, ['calico', 'bgp', 'routeReflectors'], b.routeReflectors, 'routeReflectors').forEach((r, i) => {
      const name = str(src, ['calico', 'bgp', 'routeReflectors', i], r, 'a node name');
      if (!nodes.some((n) => n.name === name)) throw src.error('UnknownNode', ['calico', 'bgp', 'routeReflectors', i], name, 'a node of this file');
    });
  }
  const poolText = pools.map((p) => prefixText(p.cidr)).join(', ') || 'none given';
  for (const n of nodes) {
    n.blocks?.forEach((b, i) => {
      const bp = prefix4(b);
      const pool = pools.find((p) => inside(p.cidr, bp.addr) && bp.len >= p.cidr.len);
      if (!pool) throw src.error('OutsidePool', [...n.path, 'blocks', i], b, `a block inside calico.ipPools (${poolText})`);
      if (bp.len !== pool.blockSize) throw src.error('BadCluster', [...n.path, 'blocks', i], b, `a /${pool.blockSize} block (the pool's blockSize)`);
    });
    n.borrowed?.forEach((a, i) => {
      if (!pools.some((p) => inside(p.cidr, parseIPv4(a)))) throw src.error('OutsidePool', [...n.path, 'borrowed', i], formatIPv4(parseIPv4(a)), `an address inside calico.ipPools (${poolText})`);
    });
  }
  return c;
}
