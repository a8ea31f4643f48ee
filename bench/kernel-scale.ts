/**
 * Programming a cluster's kernel state, at 100 / 1,000 / 5,000 nodes:
 *
 * - Calico-shaped: every node has `eth0` on one fabric segment and 30 pods
 *   (a namespace each, with a `caliXXXX` veth pair); its main table gets a
 *   `/26` block route per remote node (`B/26 via NODEIP dev eth0 proto
 *   bird`), a `blackhole` for its own block and a `/32 dev caliXXXX scope
 *   link` per local pod, in one bulk load.
 * - Flannel-shaped (VXLAN): per remote node a route `X.0/24 via X.0 dev
 *   flannel.1 onlink`, a permanent neighbour `X.0 lladdr VTEPMAC dev
 *   flannel.1` and an FDB entry `VTEPMAC dev flannel.1 dst NODEIP self
 *   permanent`, each kind in one bulk load per node.
 *
 * Everything goes through the door (typed inputs, bulk loads). Reported
 * per case: seconds, peak RSS (sampled while programming), JS heap and
 * WASM memory after it, and bytes per namespace, route, neighbour and
 * FDB entry (growth of heap + WASM memory over each phase, after a full
 * GC, divided by what the phase added). Namespaces of the previous case
 * are disposed before the next; WASM memory never shrinks, so each case
 * runs on a fresh core. Baseline: none in the same run makes sense for
 * memory; the 100-node row is the growth baseline (ratio = seconds per
 * node at 100 nodes / seconds per node here: 1 means linear growth).
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';
import { createCore, type Core } from '../src/core/core.js';
import { Codec } from '../src/codec/wasm.js';
import { SimClock } from '../src/store/clock.js';
import { SimNetwork } from '../src/kernel/network.js';
import { Segment } from '../src/kernel/segment.js';
import { VxlanFdb } from '../src/kernel/fdb.js';
import type { KRoute } from '../src/kernel/route.js';
import type { NeighLoadEntry } from '../src/kernel/neigh-types.js';
import type { VxlanFdbLoadEntry } from '../src/kernel/fdb.js';
import { formatIPv4 } from '../src/net/ip.js';

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
}

const nodeIp = (i: number) => (0x0a000000 + 0x100 + i) >>> 0; // 10.0.1.0 + i, in 10.0.0.0/16
const calicoBlock = (i: number) => (0x0a800000 + i * 64) >>> 0; // 10.128.0.0/13 in /26 blocks
const flannelNet = (i: number) => (0x0a800000 + i * 256) >>> 0; // 10.128.0.0/9 in /24s
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const mac = (kind: number, i: number) => `02:${hex(kind, 2)}:${hex((i >>> 16) & 255, 2)}:${hex((i >>> 8) & 255, 2)}:${hex(i & 255, 2)}:01`;
const vtepMac = (i: number) => `0a:${hex((i >>> 16) & 255, 2)}:${hex((i >>> 8) & 255, 2)}:${hex(i & 255, 2)}:00:01`;

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

class Peak {
  rss = 0;
  sample(): void {
    const r = process.memoryUsage.rss();
    if (r > this.rss) this.rss = r;
  }
}

function network(core: Core): SimNetwork {
  const net = new SimNetwork(core, new Codec(core), new SimClock());
  net.segments.set('fabric', new Segment('fabric', net.clock));
  return net;
}

/** Programs a Calico-shaped cluster of `n` nodes; returns its figures. */
export async function programCalico(n: number, pods = PODS_PER_NODE): Promise<ScaleFigures> {
  const core = await createCore();
  const net = network(core);
  const peak = new Peak();
  const seg = net.segments.get('fabric')!;
  const m0 = memory(core);
  const clock = new Clock();
  clock.start();
  // Phase 1: namespaces, devices, addresses (host and pods).
  for (let i = 0; i < n; i++) {
    const host = net.addNamespace(`node${i}`, `node${i}`);
    const eth0 = host.addIface('eth0', 'phys', mac(1, i));
    seg.attach(eth0);
    host.addAddress(eth0, { addr: nodeIp(i), len: 16 });
    for (let p = 0; p < pods; p++) {
      const pod = net.addNamespace(`node${i}-pod${p}`, `node${i}`);
      const cali = `cali${hex(i, 5)}${hex(p, 2)}`;
      const a = pod.addIface('eth0', 'veth', mac(2, i * 64 + p));
      const b = host.addIface(cali, 'veth', 'ee:ee:ee:ee:ee:ee');
      a.peer = b;
      b.peer = a;
      pod.addAddress(a, { addr: calicoBlock(i) + p + 1, len: 32 });
      pod.fib.load('main', [
        { table: 'main', type: 'unicast', prefix: 0xa9fe0101, len: 32, dev: 'eth0', onlink: false, scope: 'link', proto: 'boot' },
        { table: 'main', type: 'unicast', prefix: 0, len: 0, via: 0xa9fe0101, dev: 'eth0', onlink: false, scope: 'global', proto: 'boot' },
      ]);
    }
    if ((i & 63) === 0) peak.sample();
  }
  clock.stop();
  const m1 = memory(core);
  // Phase 2: each node's main table in one bulk load.
  const remote: KRoute[] = [];
  for (let j = 0; j < n; j++) remote.push({ table: 'main', type: 'unicast', prefix: calicoBlock(j), len: 26, via: nodeIp(j), dev: 'eth0', onlink: false, scope: 'global', proto: 'bird' });
  clock.start();
  let routes = 0;
  for (let i = 0; i < n; i++) {
    const batch: KRoute[] = new Array(n + pods);
    for (let j = 0; j < n; j++) batch[j] = j === i ? { table: 'main', type: 'blackhole', prefix: calicoBlock(i), len: 26, onlink: false, scope: 'global', proto: 'bird' } : remote[j];
    for (let p = 0; p < pods; p++) batch[n + p] = { table: 'main', type: 'unicast', prefix: calicoBlock(i) + p + 1, len: 32, dev: `cali${hex(i, 5)}${hex(p, 2)}`, onlink: false, scope: 'link', proto: 'boot' };
    net.ns(`node${i}`).fib.load('main', batch);
    routes += batch.length;
    if ((i & 63) === 0) peak.sample();
  }
  clock.stop();
  peak.sample();
  const m2 = memory(core);
  const namespaces = n * (1 + pods);
  const fig: ScaleFigures = {
    shape: 'calico', nodes: n, seconds: clock.wall, cpuSeconds: clock.cpu, rssPeakBytes: peak.rss, heapBytes: m2.heap, wasmBytes: m2.wasm, namespaces, routes, neighbours: 0, fdbEntries: 0,
    bytesPerNamespace: (m1.heap + m1.wasm - m0.heap - m0.wasm) / namespaces,
    bytesPerRoute: (m2.heap + m2.wasm - m1.heap - m1.wasm) / routes,
    bytesPerNeighbour: 0, bytesPerFdbEntry: 0,
  };
  net.dispose();
  return fig;
}

/** Programs a Flannel-shaped (VXLAN) cluster of `n` nodes; returns its figures. */
export async function programFlannel(n: number): Promise<ScaleFigures> {
  const core = await createCore();
  const net = network(core);
  const peak = new Peak();
  const seg = net.segments.get('fabric')!;
  const m0 = memory(core);
  const clock = new Clock();
  clock.start();
  for (let i = 0; i < n; i++) {
    const host = net.addNamespace(`node${i}`, `node${i}`);
    const eth0 = host.addIface('eth0', 'phys', mac(1, i));
    seg.attach(eth0);
    host.addAddress(eth0, { addr: nodeIp(i), len: 16 });
    const vx = host.addIface('flannel.1', 'vxlan', vtepMac(i), 1450);
    vx.vxlan = { vni: 1, local: nodeIp(i), dev: 'eth0', dstport: 8472, learning: false, fdb: new VxlanFdb('flannel.1', net.clock, { learning: false }) };
    host.addAddress(vx, { addr: flannelNet(i), len: 32 });
    if ((i & 63) === 0) peak.sample();
  }
  clock.stop();
  const m1 = memory(core);
  const phase = (f: (i: number) => number): { bytes: number; count: number } => {
    const before = memory(core);
    clock.start();
    let count = 0;
    for (let i = 0; i < n; i++) {
      count += f(i);
      if ((i & 63) === 0) peak.sample();
    }
    clock.stop();
    const after = memory(core);
    return { bytes: after.heap + after.wasm - before.heap - before.wasm, count };
  };
  const routeOf: KRoute[] = [];
  const neighOf: NeighLoadEntry[] = [];
  const fdbOf: VxlanFdbLoadEntry[] = [];
  for (let j = 0; j < n; j++) {
    routeOf.push({ table: 'main', type: 'unicast', prefix: flannelNet(j), len: 24, via: flannelNet(j), dev: 'flannel.1', onlink: true, scope: 'global', proto: 'boot' });
    neighOf.push({ dst: formatIPv4(flannelNet(j)), dev: 'flannel.1', lladdr: vtepMac(j), nud: 'permanent' });
    fdbOf.push({ mac: vtepMac(j), dst: formatIPv4(nodeIp(j)), state: 'permanent' });
  }
  const others = <T>(all: T[], i: number): T[] => all.filter((_, j) => j !== i);
  const r = phase((i) => {
    const b = others(routeOf, i);
    net.ns(`node${i}`).fib.load('main', b);
    return b.length;
  });
  const ne = phase((i) => {
    const b = others(neighOf, i);
    net.ns(`node${i}`).neigh.load(b);
    return b.length;
  });
  const fd = phase((i) => {
    const b = others(fdbOf, i);
    net.ns(`node${i}`).iface('flannel.1').vxlan!.fdb.load(b);
    return b.length;
  });
  peak.sample();
  const m2 = memory(core);
  const fig: ScaleFigures = {
    shape: 'flannel', nodes: n, seconds: clock.wall, cpuSeconds: clock.cpu, rssPeakBytes: peak.rss, heapBytes: m2.heap, wasmBytes: m2.wasm, namespaces: n, routes: r.count, neighbours: ne.count, fdbEntries: fd.count,
    bytesPerNamespace: (m1.heap + m1.wasm - m0.heap - m0.wasm) / n,
    bytesPerRoute: r.bytes / r.count, bytesPerNeighbour: ne.bytes / ne.count, bytesPerFdbEntry: fd.bytes / fd.count,
  };
  net.dispose();
  return fig;
}

/** The suite: Calico and Flannel at 100 / 1,000 / 5,000 nodes (quick: 20 / 100). */
export async function run(ctx: BenchContext): Promise<Result[]> {
  const sizes = ctx.quick ? [20, 100] : [100, 1000, 5000];
  const rows: Result[] = [];
  for (const shape of ['calico', 'flannel'] as const) {
    let perNode0 = 0;
    for (const n of sizes) {
      const f = shape === 'calico' ? await programCalico(n, ctx.quick ? 4 : PODS_PER_NODE) : await programFlannel(n);
      const name = `${shape} ${n} nodes`;
      const perNode = f.seconds / n;
      if (!perNode0) perNode0 = perNode;
      ctx.log(`${name}: ${f.seconds.toFixed(2)} s, peak RSS ${(f.rssPeakBytes / 2 ** 20).toFixed(0)} MiB, heap ${(f.heapBytes / 2 ** 20).toFixed(0)} MiB, WASM ${(f.wasmBytes / 2 ** 20).toFixed(0)} MiB; ` +
        `${f.namespaces} namespaces ${f.bytesPerNamespace.toFixed(0)} B each, ${f.routes} routes ${f.bytesPerRoute.toFixed(1)} B each` +
        (shape === 'flannel' ? `, ${f.neighbours} neighbours ${f.bytesPerNeighbour.toFixed(1)} B, ${f.fdbEntries} FDB entries ${f.bytesPerFdbEntry.toFixed(1)} B` : ''));
      const row = (metric: string, value: number, unit: string, extra: Partial<Result> = {}): Result => ({ suite: 'kernel-scale', case: name, metric, value, unit, ...extra });
      const base = `${shape} ${sizes[0]} nodes`;
      rows.push(
        row('seconds', f.seconds, 's', n === sizes[0] ? {} : { baseline: base, ratio: perNode0 / perNode }),
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
