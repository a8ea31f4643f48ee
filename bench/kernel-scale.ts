/**
 * Programming a cluster's kernel state through the door (netlink.ts, typed
 * inputs), at 100 / 1,000 / 5,000 nodes:
 *
 * - Calico-shaped: every node has `eth0` on one fabric segment and 30 pods,
 *   each added as the CNI plugin does (namespace, `caliXXXX` veth pair,
 *   address, the pod's two routes and the host's `/32 dev caliXXXX scope
 *   link`); then the node's main table gets a `/26` block route per remote
 *   node (`B/26 via NODEIP dev eth0 proto bird`) and a `blackhole` for its
 *   own block, in one bulk load (what BIRD programs).
 * - Flannel-shaped (VXLAN): per remote node a route `X.0/24 via X.0 dev
 *   flannel.1 onlink`, a permanent neighbour `X.0 lladdr VTEPMAC dev
 *   flannel.1` and an FDB entry `VTEPMAC dev flannel.1 dst NODEIP self
 *   permanent`, each kind in one bulk load per node.
 *
 * The batches are built from one desired-state object per remote node, as
 * a control plane holds them (the door converts each object once).
 * Reported per case: wall and CPU seconds of programming (the GCs run for
 * measuring memory are not counted), CPU seconds per phase, peak RSS, JS
 * heap and WASM memory at the end, and bytes per namespace, route,
 * neighbour and FDB entry: the growth of heap + WASM memory over a phase,
 * after a full GC, divided by what the phase added. A full run programs
 * each case in a child process of its own (see `measure`). Baseline: the
 * smallest row of the same shape; ratio = its seconds per programmed entry
 * (namespaces, routes, neighbours, FDB entries) / this row's, so 1 means
 * time linear in the state programmed.
 */
import { spawnSync } from 'node:child_process';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';
import { createCore, type Core } from '../src/core/core.js';
import { createNetwork } from '../src/kernel/build.js';
import type { SimNetwork } from '../src/kernel/network.js';
import { Netlink } from '../src/kernel/netlink.js';
import type { FdbSpec, NeighSpec, RouteSpec } from '../src/kernel/netlink-spec.js';
import { planCalico, planFlannel } from '../src/topology/index.js';

/** Pods per Calico node. */
export const PODS_PER_NODE = 30;

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** One programmed cluster's figures. */
export interface ScaleFigures {
  shape: 'calico' | 'flannel';
  nodes: number;
  /** Wall-clock seconds of programming (GC included; the runs for memory are not). */
  seconds: number;
  /** CPU seconds of this process over the same phases (the machine may be shared). */
  cpuSeconds: number;
  rssPeakBytes: number;
  heapBytes: number;
  wasmBytes: number;
  namespaces: number;
  routes: number;
  neighbours: number;
  fdbEntries: number;
  bytesPerNamespace: number;
  bytesPerRoute: number;
  bytesPerNeighbour: number;
  bytesPerFdbEntry: number;
  /** CPU seconds per phase (namespaces and devices; routes; neighbours; FDB). */
  phaseCpu: Record<string, number>;
}

/** Calico's IP pool and Flannel's network, large enough for 5,000 nodes (a /26 block or a /24 lease each). */
export const CALICO_POOL = '10.128.0.0/13';
export const FLANNEL_NETWORK = '10.128.0.0/9';

/** Memory now (after a full GC): JS heap (used) and WASM memory. */
function memory(core: Core): { heap: number; wasm: number } {
  gc();
  return { heap: process.memoryUsage().heapUsed, wasm: core.exports.memory.buffer.byteLength };
}

/** Wall and CPU time over the phases being measured. */
class Clock {
  wall = 0;
  cpu = 0;
  private t = 0;
  private c = 0;
  start(): void {
    this.t = performance.now();
    const u = process.cpuUsage();
    this.c = u.user + u.system;
  }
  stop(): void {
    this.wall += (performance.now() - this.t) / 1000;
    const u = process.cpuUsage();
    this.cpu += (u.user + u.system - this.c) / 1e6;
  }
}

/** Peak RSS, sampled while programming. */
class Peak {
  rss = 0;
  sample(): void {
    const r = process.memoryUsage.rss();
    if (r > this.rss) this.rss = r;
  }
}

/** A phase over every node: its memory growth (heap + WASM, after GC) and what it added. */
function phase(core: Core, n: number, clock: Clock, peak: Peak, f: (i: number) => number): { bytes: number; count: number; cpu: number } {
  const before = memory(core);
  const cpu0 = clock.cpu;
  clock.start();
  let count = 0;
  for (let i = 0; i < n; i++) {
    count += f(i);
    if ((i & 63) === 0) peak.sample();
  }
  clock.stop();
  peak.sample();
  const after = memory(core);
  return { bytes: after.heap + after.wasm - before.heap - before.wasm, count, cpu: clock.cpu - cpu0 };
}

/** The batch of every remote node's item: `all` without item `i` (a control plane's desired state, shared objects). */
function others<T>(all: readonly T[], i: number): T[] {
  const out = all.slice(0, i);
  for (let j = i + 1; j < all.length; j++) out.push(all[j]);
  return out;
}

/** A new network with the plan's segments, and the clock and peak meter of one case. */
async function fresh(racks: readonly { segment: string }[]) {
  const core = await createCore();
  const net = createNetwork(core);
  const nl = Netlink.of(net);
  for (const r of racks) nl.segmentAdd(r.segment);
  return { core, net, nl, peak: new Peak(), clock: new Clock() };
}

/**
 * Programs a Calico-shaped cluster of `n` nodes through the door; returns
 * its figures. Pods come first (CNI ADD: namespace, veth pair, address,
 * routes, and the host's `/32 dev caliX` route), then each node's block
 * routes in one bulk load (what BIRD programs).
 */
export async function programCalico(n: number, pods = PODS_PER_NODE, inspect?: (net: SimNetwork) => void): Promise<ScaleFigures> {
  // Every address, MAC and name from the topology generator (not timed).
  const plan = planCalico({ nodes: n, podsPerNode: pods, pool: CALICO_POOL, defaultRoute: false });
  const { core, net, nl, peak, clock } = await fresh(plan.racks);
  const podRoutes: RouteSpec[] = [{ dst: '169.254.1.1', dev: 'eth0', scope: 'link' }, { dst: 'default', via: '169.254.1.1', dev: 'eth0' }];
  const hosts = phase(core, n, clock, peak, (i) => {
    const node = plan.nodes[i];
    nl.netnsAdd(node.name, { ipForward: true });
    nl.linkAdd(node.name, { kind: 'phys', name: 'eth0', segment: node.segment, mac: node.mac });
    nl.addrAdd(node.name, 'eth0', `${node.address}/${node.prefixLen}`);
    for (const p of node.pods) {
      nl.podAdd(node.name, { name: p.name, address: `${p.address}/32`, mac: p.mac, hostVeth: p.hostVeth, hostVethMac: p.hostVethMac, routes: podRoutes, hostRoutes: [{ dst: p.address, dev: p.hostVeth, scope: 'link' }] });
    }
    return 1 + node.pods.length;
  });
  // BIRD's routes to the other nodes' blocks: one object per remote block.
  const remote: RouteSpec[] = plan.nodes.map((node) => ({ dst: node.podCidr, via: node.address, dev: 'eth0', proto: 'bird' }));
  const routes = phase(core, n, clock, peak, (i) => {
    const batch = others(remote, i);
    batch.push({ dst: plan.nodes[i].podCidr, type: 'blackhole', proto: 'bird' });
    nl.routeLoad(plan.nodes[i].name, batch);
    return batch.length + plan.nodes[i].pods.length;
  });
  const m = memory(core);
  const fig: ScaleFigures = {
    shape: 'calico', nodes: n, seconds: clock.wall, cpuSeconds: clock.cpu, rssPeakBytes: peak.rss, heapBytes: m.heap, wasmBytes: m.wasm,
    namespaces: hosts.count, routes: routes.count, neighbours: 0, fdbEntries: 0,
    // The pods' host routes were added with their namespaces: counted with the routes, not the namespaces.
    bytesPerNamespace: hosts.bytes / hosts.count, bytesPerRoute: routes.bytes / (routes.count - n * pods), bytesPerNeighbour: 0, bytesPerFdbEntry: 0,
    phaseCpu: { 'namespaces+pods': hosts.cpu, routes: routes.cpu },
  };
  inspect?.(net);
  net.dispose();
  return fig;
}

/** Programs a Flannel-shaped (VXLAN) cluster of `n` nodes through the door; returns its figures. */
export async function programFlannel(n: number, inspect?: (net: SimNetwork) => void): Promise<ScaleFigures> {
  // Every address, MAC and name from the topology generator (not timed).
  const plan = planFlannel({ nodes: n, podsPerNode: 0, network: FLANNEL_NETWORK, defaultRoute: false });
  const { core, net, nl, peak, clock } = await fresh(plan.racks);
  // flannel.1's address: the lease's network address, as a /32.
  const vtepIp = (j: number) => plan.nodes[j].podCidr.split('/')[0];
  const hosts = phase(core, n, clock, peak, (i) => {
    const node = plan.nodes[i];
    nl.netnsAdd(node.name, { ipForward: true });
    nl.linkAdd(node.name, { kind: 'phys', name: 'eth0', segment: node.segment, mac: node.mac });
    nl.addrAdd(node.name, 'eth0', `${node.address}/${node.prefixLen}`);
    nl.linkAdd(node.name, { kind: 'vxlan', name: 'flannel.1', id: plan.vni, local: node.address, dev: 'eth0', dstport: plan.port, learning: false, mac: plan.vtepMacs[i], mtu: plan.podMtu });
    nl.addrAdd(node.name, 'flannel.1', `${vtepIp(i)}/32`);
    return 1;
  });
  // flanneld's entries for each remote lease: one object per remote node and kind.
  const routeOf: RouteSpec[] = [];
  const neighOf: NeighSpec[] = [];
  const fdbOf: FdbSpec[] = [];
  for (let j = 0; j < n; j++) {
    routeOf.push({ dst: plan.nodes[j].podCidr, via: vtepIp(j), dev: 'flannel.1', onlink: true });
    neighOf.push({ dst: vtepIp(j), dev: 'flannel.1', lladdr: plan.vtepMacs[j] });
    fdbOf.push({ mac: plan.vtepMacs[j], dev: 'flannel.1', dst: plan.nodes[j].address });
  }
  const r = phase(core, n, clock, peak, (i) => {
    const b = others(routeOf, i);
    nl.routeLoad(plan.nodes[i].name, b);
    return b.length;
  });
  const ne = phase(core, n, clock, peak, (i) => {
    const b = others(neighOf, i);
    nl.neighLoad(plan.nodes[i].name, b);
    return b.length;
  });
  const fd = phase(core, n, clock, peak, (i) => {
    const b = others(fdbOf, i);
    nl.fdbLoad(plan.nodes[i].name, b);
    return b.length;
  });
  const m = memory(core);
  const fig: ScaleFigures = {
    shape: 'flannel', nodes: n, seconds: clock.wall, cpuSeconds: clock.cpu, rssPeakBytes: peak.rss, heapBytes: m.heap, wasmBytes: m.wasm,
    namespaces: n, routes: r.count, neighbours: ne.count, fdbEntries: fd.count,
    bytesPerNamespace: hosts.bytes / n, bytesPerRoute: r.bytes / r.count, bytesPerNeighbour: ne.bytes / ne.count, bytesPerFdbEntry: fd.bytes / fd.count,
    phaseCpu: { namespaces: hosts.cpu, routes: r.cpu, neighbours: ne.cpu, fdb: fd.cpu },
  };
  inspect?.(net);
  net.dispose();
  return fig;
}

/**
 * One case. A full run programs each case in a child process of its own,
 * so that its peak RSS (the child's `VmHWM`, see peak-rss.ts) is its own and not what an
 * earlier, larger case left the process holding; the quick run (tests)
 * stays in this process.
 */
function measure(shape: 'calico' | 'flannel', n: number, pods: number, quick: boolean): Promise<ScaleFigures> | ScaleFigures {
  if (quick) return shape === 'calico' ? programCalico(n, pods) : programFlannel(n);
  const call = shape === 'calico' ? `programCalico(${n}, ${pods})` : `programFlannel(${n})`;
  const code = `const m = await import(${JSON.stringify(import.meta.url)}); const p = await import(${JSON.stringify(new URL('./peak-rss.js', import.meta.url).href)}); const f = await m.${call}; f.rssPeakBytes = Math.max(f.rssPeakBytes, p.peakRssBytes()); console.log(JSON.stringify(f));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`kernel-scale ${shape} ${n}: child exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ScaleFigures;
}

/** The suite: Calico and Flannel at 100 / 1,000 / 5,000 nodes (quick: 20 / 100). */
export async function run(ctx: BenchContext): Promise<Result[]> {
  const sizes = ctx.quick ? [20, 100] : [100, 1000, 5000];
  const rows: Result[] = [];
  for (const shape of ['calico', 'flannel'] as const) {
    let perEntry0 = 0;
    for (const n of sizes) {
      const f = await measure(shape, n, ctx.quick ? 4 : PODS_PER_NODE, ctx.quick);
      const name = `${shape} ${n} nodes`;
      const perEntry = f.seconds / (f.namespaces + f.routes + f.neighbours + f.fdbEntries);
      if (!perEntry0) perEntry0 = perEntry;
      ctx.log(`${name}: ${f.seconds.toFixed(2)} s (CPU ${f.cpuSeconds.toFixed(2)} s), peak RSS ${(f.rssPeakBytes / 2 ** 20).toFixed(0)} MiB, heap ${(f.heapBytes / 2 ** 20).toFixed(0)} MiB, WASM ${(f.wasmBytes / 2 ** 10).toFixed(0)} KiB; ` +
        `${f.namespaces} namespaces ${f.bytesPerNamespace.toFixed(0)} B each, ${f.routes} routes ${f.bytesPerRoute.toFixed(1)} B each` +
        (shape === 'flannel' ? `, ${f.neighbours} neighbours ${f.bytesPerNeighbour.toFixed(1)} B, ${f.fdbEntries} FDB entries ${f.bytesPerFdbEntry.toFixed(1)} B` : '') +
        `; CPU by phase: ${Object.entries(f.phaseCpu).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
      const row = (metric: string, value: number, unit: string, extra: Partial<Result> = {}): Result => ({ suite: 'kernel-scale', case: name, metric, value, unit, ...extra });
      const base = `${shape} ${sizes[0]} nodes`;
      rows.push(
        row('seconds', f.seconds, 's', n === sizes[0] ? {} : { baseline: base, ratio: perEntry0 / perEntry }),
        row('CPU seconds', f.cpuSeconds, 's'),
        row('peak RSS', f.rssPeakBytes / 2 ** 20, 'MiB'),
        row('JS heap', f.heapBytes / 2 ** 20, 'MiB'),
        row('WASM memory', f.wasmBytes / 2 ** 20, 'MiB'),
        row('bytes/namespace', f.bytesPerNamespace, 'B'),
        row('bytes/route', f.bytesPerRoute, 'B'),
      );
      if (shape === 'flannel') rows.push(row('bytes/neighbour', f.bytesPerNeighbour, 'B'), row('bytes/FDB entry', f.bytesPerFdbEntry, 'B'));
    }
  }
  return rows;
}
