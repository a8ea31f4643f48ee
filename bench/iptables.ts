/**
 * The iptables suite: packets per second through ClassBench-style 5-tuple
 * ACLs and Calico-shaped chains of 10 to 10,000 rules, in one run for
 * - the WASM engine with its bit-vector classification (`wasm-engine`),
 * - the same WASM engine scanning every rule (`wasm-linear`, the baseline
 *   for the classification structure),
 * - the TypeScript reference interpreter (`ts-reference`).
 * Each variant walks as many of the pre-generated packets (1M, 100k with
 * --quick) as fit in about a quarter second per call; ratios are per packet.
 * Before timing, the engine's and the linear scan's deciding rules are
 * compared on a sample (a fast wrong answer fails the run).
 *
 * Targets (docs/iptables.md): at 1,000 rules the engine >= 20x the reference; at
 * 10,000 rules the engine >= 10x the linear scan.
 */
import { performance } from 'node:perf_hooks';
import * as L from '../assembly/shared/ipt.js';
import { createCore } from '../src/core/core.js';
import { IptEngine, ReferenceEngine, parseRuleset, type Packet } from '../src/iptables/all.js';
import { timeBatches, type BenchContext } from './harness.js';
import type { Result } from './results.js';
import { calico, calicoTrace, classbench, classbenchTrace } from './iptables-gen.js';

const SIZES = [10, 100, 1000, 10000];

export async function run(ctx: BenchContext): Promise<Result[]> {
  const total = ctx.quick ? 100_000 : 1_000_000;
  const budgetMs = ctx.quick ? 40 : 250;
  const core = await createCore();
  const rows: Result[] = [];
  const targets: string[] = [];
  for (const kind of ['classbench', 'calico'] as const) {
    for (const n of SIZES) {
      const gen = kind === 'classbench' ? classbench(n) : calico(n);
      const packets: Packet[] = kind === 'classbench' ? classbenchTrace((gen as ReturnType<typeof classbench>).acl, total) : calicoTrace((gen as ReturnType<typeof calico>).endpoints, total);
      const rs = parseRuleset(gen.text);
      const t0 = performance.now();
      const eng = new IptEngine(core, rs);
      const buildMs = performance.now() - t0;
      const ref = new ReferenceEngine(rs);
      const orig = new Int32Array(total * L.PKT_STRIDE);
      packets.forEach((p, i) => eng.encode('FORWARD', p, orig, i * L.PKT_STRIDE));
      const work = new Int32Array(orig.length);

      // Same answers before timing: deciding rule of engine vs linear scan vs reference on a sample.
      const sample = Math.min(total, 2000);
      const a = orig.slice(0, sample * L.PKT_STRIDE);
      const b = a.slice();
      eng.evalRecords('FORWARD', a, sample, 'classified');
      eng.evalRecords('FORWARD', b, sample, 'linear');
      for (let i = 0; i < sample; i++) {
        const off = i * L.PKT_STRIDE + L.P_RULE;
        const want = ref.walk('FORWARD', packets[i]).rule;
        if (a[off] !== b[off] || JSON.stringify(eng.program.refs[a[off]]) !== JSON.stringify(want)) throw new Error(`iptables bench: engines disagree on packet ${i} of ${kind}-${n}`);
      }

      // Per-packet cost estimates size each task to about budgetMs per call.
      const estimate = (fn: (k: number) => void, k: number): number => {
        const s = performance.now();
        fn(k);
        return Math.max(1e-6, (performance.now() - s) / k);
      };
      const wasm = (mode: 'classified' | 'linear') => (k: number) => {
        work.set(orig.subarray(0, k * L.PKT_STRIDE));
        eng.evalRecords('FORWARD', work, k, mode);
      };
      const ts = (k: number) => {
        for (let i = 0; i < k; i++) ref.walk('FORWARD', packets[i]);
      };
      const count = (fn: (k: number) => void, probe: number): number => Math.max(200, Math.min(total, Math.floor(budgetMs / estimate(fn, Math.min(probe, total)))));
      const kE = count(wasm('classified'), 20000);
      const kL = count(wasm('linear'), 2000);
      const kR = count(ts, 200);
      const name = `${kind}-${n}`;
      const timings = await timeBatches(
        [
          { name: 'wasm-engine', opsPerCall: kE, fn: () => wasm('classified')(kE) },
          { name: 'wasm-linear', opsPerCall: kL, fn: () => wasm('linear')(kL) },
          { name: 'ts-reference', opsPerCall: kR, fn: () => ts(kR) },
        ],
        { rounds: ctx.quick ? 1 : 2, iterations: ctx.quick ? 2 : 3, warmup: 1 },
      );
      const pps = Object.fromEntries(timings.map((t) => [t.name, t.opsPerSec]));
      rows.push({ suite: 'iptables', case: `${name}/ts-reference`, metric: 'throughput', value: pps['ts-reference'], unit: 'packets/s' });
      rows.push({ suite: 'iptables', case: `${name}/wasm-linear`, metric: 'throughput', value: pps['wasm-linear'], unit: 'packets/s', baseline: `${name}/ts-reference`, ratio: pps['wasm-linear'] / pps['ts-reference'] });
      rows.push({ suite: 'iptables', case: `${name}/wasm-engine`, metric: 'throughput', value: pps['wasm-engine'], unit: 'packets/s', baseline: `${name}/ts-reference`, ratio: pps['wasm-engine'] / pps['ts-reference'] });
      rows.push({ suite: 'iptables', case: `${name}/wasm-engine`, metric: 'speedup over linear scan', value: pps['wasm-engine'] / pps['wasm-linear'], unit: 'x', baseline: `${name}/wasm-linear`, ratio: pps['wasm-engine'] / pps['wasm-linear'] });
      rows.push({ suite: 'iptables', case: `${name}/compile`, metric: 'build time', value: buildMs, unit: 'ms' });
      ctx.log(`${name}: ${eng.program.chunks} chunks over ${eng.program.chunkedRules} of ${eng.program.refs.length} program rules; packets per call engine ${kE}, linear ${kL}, reference ${kR}`);
      if (n === 1000) targets.push(`target ${name}: wasm engine >= 20x TS reference: ${(pps['wasm-engine'] / pps['ts-reference']).toFixed(1)}x ${pps['wasm-engine'] / pps['ts-reference'] >= 20 ? 'MET' : 'NOT MET'}`);
      if (n === 10000) targets.push(`target ${name}: wasm engine >= 10x WASM linear scan: ${(pps['wasm-engine'] / pps['wasm-linear']).toFixed(1)}x ${pps['wasm-engine'] / pps['wasm-linear'] >= 10 ? 'MET' : 'NOT MET'}`);
      eng.dispose();
    }
  }
  for (const t of targets) ctx.log(t);
  return rows;
}
