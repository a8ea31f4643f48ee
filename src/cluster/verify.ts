/**
 * What `cnikit cluster check` verifies on a built cluster, design aside:
 *
 * - every live pod (on a node whose agents run, with an address) reaches
 *   every other live pod: an ICMP echo request walked through the kernel
 *   model must be DELIVERED in the destination pod's namespace. Up to
 *   `maxPairs` ordered pairs (default 20,000) every pair is walked; above,
 *   one pair per ordered pair of nodes (pods taken in turn), which covers
 *   every route, neighbour and FDB entry a pair of nodes uses;
 * - no address is in two places (every device of every namespace, `lo`
 *   aside);
 * - the design's own consistency (Flannel: leases against the store and
 *   the daemons' logs).
 *
 * Policies are not applied (Flannel has none; Calico's come with its design).
 */
import type { ClusterRun } from './run.js';

/** Options of {@link verifyCluster}. */
export interface VerifyOptions {
  /** All pod pairs up to this many; above, one pair per node pair. Default 20,000. */
  maxPairs?: number;
  /** Stop collecting violations after this many. Default 20. */
  maxViolations?: number;
}

/** The outcome. */
export interface VerifyReport {
  ok: boolean;
  nodes: number;
  liveNodes: number;
  pods: number;
  livePods: number;
  /** Pairs walked and how many were delivered. */
  pairs: number;
  delivered: number;
  /** `all` pairs or `node-pairs`. */
  coverage: 'all' | 'node-pairs';
  violations: string[];
}

/** Verifies `r` now. */
export function verifyCluster(r: ClusterRun, opts: VerifyOptions = {}): VerifyReport {
  const max = opts.maxViolations ?? 20;
  const violations: string[] = [];
  const add = (v: string) => void (violations.length < max && violations.push(v));
  const { cluster, run, net } = r;
  const liveNodes = cluster.nodes.filter((n) => run.nodeLive(n.name));
  const live = liveNodes.flatMap((n) => n.pods.map((p) => ({ pod: p.name, node: n.name, ip: run.podAddress(p.name) })))
    .filter((p): p is { pod: string; node: string; ip: string } => p.ip !== undefined);
  const pairs: [number, number][] = [];
  const all = live.length * (live.length - 1) <= (opts.maxPairs ?? 20_000);
  if (all) {
    for (let a = 0; a < live.length; a++) for (let b = 0; b < live.length; b++) if (a !== b) pairs.push([a, b]);
  } else {
    const byNode = new Map<string, number[]>();
    live.forEach((p, i) => byNode.set(p.node, [...(byNode.get(p.node) ?? []), i]));
    const groups = [...byNode.values()];
    let turn = 0;
    for (const ga of groups) for (const gb of groups) {
      const a = ga[turn % ga.length];
      let b = gb[(turn + 1) % gb.length];
      if (a === b) b = gb[(turn + 2) % gb.length];
      turn++;
      if (a !== b) pairs.push([a, b]);
    }
  }
  let delivered = 0;
  for (const [a, b] of pairs) {
    const from = live[a];
    const to = live[b];
    const t = net.walk({ from: from.pod, to: to.ip, proto: 'icmp' });
    const last = t.hops[t.hops.length - 1]?.node;
    if (t.disposition === 'DELIVERED' && last === to.pod) delivered++;
    else add(`${from.pod} (${from.ip}, ${from.node}) -> ${to.pod} (${to.ip}, ${to.node}): ${t.disposition}${last && last !== to.pod ? ` at ${last}` : ''}`);
  }
  const owners = new Map<string, string[]>();
  for (const [name, ns] of net.namespaces) {
    for (const [dev, ifc] of ns.ifaces) {
      if (dev === 'lo') continue;
      for (const a of ifc.addrs) {
        const k = `${a.addr >>> 24}.${(a.addr >>> 16) & 255}.${(a.addr >>> 8) & 255}.${a.addr & 255}`;
        owners.set(k, [...(owners.get(k) ?? []), `${name}/${dev}`]);
      }
    }
  }
  for (const [addr, where] of owners) if (where.length > 1) add(`address ${addr} is in two places: ${where.join(', ')}`);
  for (const v of run.violations()) add(v);
  return {
    ok: violations.length === 0,
    nodes: cluster.nodes.length,
    liveNodes: liveNodes.length,
    pods: cluster.pods.length,
    livePods: live.length,
    pairs: pairs.length,
    delivered,
    coverage: all ? 'all' : 'node-pairs',
    violations,
  };
}
