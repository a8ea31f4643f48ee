/**
 * A whole Flannel cluster built and converged from a cluster file, in one
 * process: N nodes on one underlay segment (192.168.0.0/16), 30 pods each,
 * net-conf `10.0.0.0/8` with /24s and the vxlan backend. Every flanneld
 * reads the config, takes its lease in the store (create-if-absent txn),
 * writes its iptables rules and subnet.env, watches the others' leases and
 * programs a neighbour, an FDB entry and a route per remote node through
 * the door; each pod's CNI ADD runs once its node is ready. So the state is
 * N namespaces + 30 N pods + 3 N (N - 1) table entries, and N joins fan out
 * to N (N - 1) / 2 watch events.
 *
 * Two ways to start: `rollout` (the DaemonSet applied to running nodes:
 * every flanneld takes its lease, then every one lists and watches, so the
 * peers come in one snapshot each, programmed as bulk loads) and
 * `sequential` (nodes join one by one: node k's join is an event to the
 * k - 1 before it, each programmed entry by entry).
 *
 * Baseline (same run, same sizes): the same end state programmed directly,
 * with no store and no daemons: the underlay, each node's flannel.1, cni0
 * and pods through the same CNI code, and its remote entries as three bulk
 * loads (what the kernel-scale suite measures). Ratio = baseline seconds /
 * control-plane seconds (1 would mean flanneld costs nothing over writing
 * the tables). Also reported: CPU seconds, peak RSS (each full-run case in
 * a child process of its own), store requests and watch events, and the
 * seconds per programmed entry against the smallest row (1 = linear).
 */
import { spawnSync } from 'node:child_process';
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';
import { createCore } from '../src/core/core.js';
import { buildCluster, buildUnderlay, parseCluster } from '../src/cluster/index.js';
import { createNetwork, Netlink } from '../src/kernel/index.js';
import { flannelDesign, FlannelCni } from '../src/flannel/index.js';
import { formatIPv4 } from '../src/net/ip.js';
import { peakRssBytes } from './peak-rss.js';

/** Pods per node. */
export const PODS = 30;

/** What one case measured. */
export interface FlannelFigures {
  nodes: number;
  seconds: number;
  cpuSeconds: number;
  rssPeakBytes: number;
  entries: number;
  requests: number;
  watchEvents: number;
}

/** How a case builds: flanneld as a DaemonSet rollout, flanneld node after node, or the end state written directly. */
export type Mode = 'rollout' | 'sequential' | 'direct';

/** The cluster file of a case. */
export function clusterText(n: number, pods: number, startup: 'rollout' | 'sequential' = 'rollout'): string {
  return `name: bench-${n}
underlay:
  racks: [ { name: lan, cidr: 192.168.0.0/16 } ]
nodes:
  - { generate: ${n}, prefix: node-, pods: ${pods} }
flannel:
  netConf: { Network: 10.0.0.0/8, SubnetLen: 24, Backend: { Type: vxlan } }
  startup: ${startup}
`;
}

/** Builds and converges the cluster with flanneld (or, `direct`, its end state without a control plane). */
export async function programCluster(n: number, pods: number, mode: Mode): Promise<FlannelFigures> {
  const core = await createCore();
  const direct = mode === 'direct';
  const cluster = parseCluster(clusterText(n, pods, mode === 'sequential' ? 'sequential' : 'rollout'), `bench-${n}.yaml`);
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  let entries = 0;
  let requests = 0;
  let watchEvents = 0;
  if (!direct) {
    const r = buildCluster(core, cluster, flannelDesign);
    const c = r.nl.counters;
    entries = c.netns + c.route + c.neigh + c.fdb;
    const st = r.backing.stats();
    requests = st.totalRequests;
    watchEvents = st.watchEventsDelivered;
  } else {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    buildUnderlay(nl, cluster);
    const subnets = cluster.nodes.map((_, i) => ({ addr: (10 << 24) + (i + 1) * 256, len: 24 }));
    const macs = cluster.nodes.map((_, i) => `0e:00:00:${formatIPv4(i).split('.').slice(1).map((x) => Number(x).toString(16).padStart(2, '0')).join(':')}`);
    const specs = cluster.nodes.map((node, i) => {
      const gw = formatIPv4(subnets[i].addr);
      return {
        neigh: { dst: gw, lladdr: macs[i], dev: 'flannel.1', nud: 'permanent' },
        fdb: { mac: macs[i], dev: 'flannel.1', dst: node.ip, state: 'permanent' },
        route: { dst: `${gw}/24`, via: gw, dev: 'flannel.1', onlink: true },
      };
    });
    cluster.nodes.forEach((node, i) => {
      nl.linkAdd(node.name, { kind: 'vxlan', name: 'flannel.1', id: 1, local: node.ip, dev: 'eth0', learning: false, mac: macs[i], mtu: 1450 });
      nl.addrAdd(node.name, 'flannel.1', `${formatIPv4(subnets[i].addr)}/32`);
      const cni = new FlannelCni(node.name, net, nl);
      for (const p of node.pods) cni.add(p, { network: '10.0.0.0/8', subnet: subnets[i], mtu: 1450 });
      const others = specs.filter((_, j) => j !== i);
      nl.neighLoad(node.name, others.map((s) => s.neigh));
      nl.fdbLoad(node.name, others.map((s) => s.fdb));
      nl.routeLoad(node.name, others.map((s) => s.route));
    });
    const c = nl.counters;
    entries = c.netns + c.route + c.neigh + c.fdb;
  }
  const u = process.cpuUsage(u0);
  return {
    nodes: n,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (u.user + u.system) / 1e6,
    rssPeakBytes: peakRssBytes(),
    entries,
    requests,
    watchEvents,
  };
}

/** One case, in a child process of its own on a full run (its own peak RSS). */
function measure(n: number, pods: number, mode: Mode, quick: boolean): Promise<FlannelFigures> | FlannelFigures {
  if (quick) return programCluster(n, pods, mode);
  const code = `const m = await import(${JSON.stringify(import.meta.url)}); console.log(JSON.stringify(await m.programCluster(${n}, ${pods}, '${mode}')));`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=4096', '--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`flannel ${n}: child exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FlannelFigures;
}

/** The suite: 100 and 1,000 nodes (quick: 10 and 40, 4 pods each). */
export async function run(ctx: BenchContext): Promise<Result[]> {
  const sizes = ctx.quick ? [10, 40] : [100, 1000];
  const pods = ctx.quick ? 4 : PODS;
  const rows: Result[] = [];
  const perEntry0 = { rollout: 0, sequential: 0 };
  for (const n of sizes) {
    const d = await measure(n, pods, 'direct', ctx.quick);
    const name = `flanneld ${n} nodes x ${pods} pods`;
    rows.push(
      { suite: 'flannel', case: `${name} direct`, metric: 'seconds', value: d.seconds, unit: 's' },
      { suite: 'flannel', case: `${name} direct`, metric: 'peak RSS', value: d.rssPeakBytes / 2 ** 20, unit: 'MiB' },
    );
    for (const mode of ['rollout', 'sequential'] as const) {
      const f = await measure(n, pods, mode, ctx.quick);
      const c = `${name} ${mode}`;
      const perEntry = f.seconds / f.entries;
      const first = `flanneld ${sizes[0]} nodes x ${pods} pods ${mode}`;
      if (n === sizes[0]) perEntry0[mode] = perEntry;
      const row = (metric: string, value: number, unit: string, extra: Partial<Result> = {}): Result => ({ suite: 'flannel', case: c, metric, value, unit, ...extra });
      rows.push(
        row('seconds', f.seconds, 's', { baseline: `${name} direct`, ratio: d.seconds / f.seconds }),
        row('CPU seconds', f.cpuSeconds, 's'),
        row('peak RSS', f.rssPeakBytes / 2 ** 20, 'MiB'),
        row('kernel entries', f.entries, 'entries'),
        row('seconds per entry', perEntry * 1e6, 'µs', n === sizes[0] ? {} : { baseline: first, ratio: perEntry0[mode] / perEntry }),
        row('store requests', f.requests, 'req'),
        row('watch events', f.watchEvents, 'events'),
      );
      ctx.log(`${c}: ${f.seconds.toFixed(2)} s (CPU ${f.cpuSeconds.toFixed(2)} s), peak RSS ${(f.rssPeakBytes / 2 ** 20).toFixed(0)} MiB, ${f.entries} kernel entries, ` +
        `${f.requests} store requests, ${f.watchEvents} watch events; direct: ${d.seconds.toFixed(2)} s, ${(d.rssPeakBytes / 2 ** 20).toFixed(0)} MiB`);
    }
  }
  return rows;
}
