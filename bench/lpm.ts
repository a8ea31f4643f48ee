/**
 * The lpm benchmark suite: WASM poptrie (batched, addresses in place)
 * against a hand-written JS DIR-24-8, the npm packages `longest-prefix-match`
 * and `arkime-iptrie` (native), and the TS reference on small tables. Same
 * table and addresses for every contender; results are checked against the
 * DIR-24-8 before timing, so a wrong answer fails the run.
 *
 * The npm baselines and the real-world table are optional: `arkime-iptrie`
 * is an optional dependency (a native addon that needs a C++ compiler to
 * install), and `longest-prefix-match` and `@ip-location-db/asn` are
 * development dependencies (absent from an installed cnikit). Whatever is
 * missing is skipped, and the run says which and why.
 */
import { createRequire } from 'node:module';
import { timeBatches, type BatchTask, type BenchContext } from './harness.js';
import type { Result } from './results.js';
import { asnTable, calicoTable, insideAddrs, randomAddrs, type Prefixes } from './lpm-tables.js';
import { Dir248 } from './lpm-dir24.js';
import { runV6 } from './lpm6.js';
import { createCore } from '../src/core/core.js';
import { RouteTable } from '../src/lpm/route-table.js';
import { ReferenceTable } from '../src/lpm/reference.js';
import { formatIPv4 } from '../src/net/ip.js';

const require = createRequire(import.meta.url);

interface NpmLpm {
  addPrefix(p: string, data: unknown): void;
  getMatch(p: string): unknown[];
}
interface ArkimeTrie {
  add(ip: string, len: number, v: unknown): void;
  find(ip: string): unknown;
}

/** An npm LPM package measured against the WASM table. */
interface NpmBaseline {
  name: string;
  /** Addresses per timed call (the packages are slow; the rate is what counts). */
  perCall: { quick: number; full: number };
  /** The package's query for a dotted quad (made before timing, so the timed loop is the package's own work). */
  key(addr: string): string;
  /** A table of the prefixes (`strs[i]/lens[i]` -> `nhs[i]`) and its lookup of a {@link key} (-1 if none). */
  build(p: Prefixes, strs: string[]): (key: string) => number;
}

const NPM_BASELINES: { name: string; why: string; load: () => NpmBaseline }[] = [
  {
    name: 'longest-prefix-match',
    why: 'a devDependency: run the bench from a clone after npm install',
    load: () => {
      const Ctor = require('longest-prefix-match') as new () => NpmLpm;
      return {
        name: 'longest-prefix-match',
        perCall: { quick: 2000, full: 20000 },
        key: (a) => `${a}/32`,
        build(p, strs) {
          const t = new Ctor();
          for (let i = 0; i < p.count; i++) t.addPrefix(`${strs[i]}/${p.lens[i]}`, p.nhs[i]);
          return (a) => {
            const m = t.getMatch(a);
            return m.length ? (m[0] as number) : -1;
          };
        },
      };
    },
  },
  {
    name: 'arkime-iptrie',
    why: 'an optional dependency, a native addon: npm skips it where it cannot compile it (no C++ compiler or node-gyp)',
    load: () => {
      const { IPTrie } = require('arkime-iptrie') as { IPTrie: new () => ArkimeTrie };
      return {
        name: 'arkime-iptrie',
        perCall: { quick: 10000, full: 100000 },
        key: (a) => a,
        build(p, strs) {
          const t = new IPTrie();
          for (let i = 0; i < p.count; i++) t.add(strs[i], p.lens[i], p.nhs[i]);
          return (a) => (t.find(a) as number | undefined) ?? -1;
        },
      };
    },
  },
];

/** The npm baselines that load here; each one that does not is logged with the reason. */
export function loadNpmBaselines(log: (line: string) => void): NpmBaseline[] {
  const got: NpmBaseline[] = [];
  for (const b of NPM_BASELINES) {
    try {
      got.push(b.load());
    } catch (e) {
      log(`skipped baseline ${b.name}: not loadable (${b.why}): ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    }
  }
  return got;
}

/** The real-world table, or undefined (logged) when @ip-location-db/asn is not installed. */
function loadAsnTable(log: (line: string) => void): Prefixes[] {
  try {
    return [asnTable()];
  } catch (e) {
    log(`skipped table asn: @ip-location-db/asn is not installed (a devDependency: run the bench from a clone after npm install): ${((e as Error).message ?? String(e)).split('\n')[0]}`);
    return [];
  }
}

function ms(t0: number): number {
  return performance.now() - t0;
}

/** Runs the suite. `--quick`: 100k addresses, 1 round, smaller Calico set. */
export async function run(ctx: BenchContext): Promise<Result[]> {
  const quick = ctx.quick;
  const nAddr = quick ? 100_000 : 1_000_000;
  const rounds = quick ? 1 : 5;
  const rows: Result[] = [];
  const targets: string[] = [];
  const npms = loadNpmBaselines(ctx.log);
  const tables: Prefixes[] = [...loadAsnTable(ctx.log), ...(quick ? [100, 5000] : [100, 1000, 5000]).map((n) => calicoTable(n))];
  for (const p of tables) {
    const short = p.name.split(' ')[0] + (p.name.startsWith('calico') ? p.name.split(' ')[1] : '');
    ctx.log(`-- table ${p.name}`);
    const strs: string[] = [];
    for (let i = 0; i < p.count; i++) strs.push(formatIPv4(p.addrs[i]));

    const core = await createCore();
    let t0 = performance.now();
    const wasm = new RouteTable(core, { family: 4 });
    for (let i = 0; i < p.count; i++) wasm.insertPrefix(p.addrs[i], p.lens[i], p.nhs[i]);
    wasm.build();
    const wasmBuild = ms(t0);
    t0 = performance.now();
    const dir = new Dir248(p);
    const dirBuild = ms(t0);
    const finds = npms.map((b) => {
      const t = performance.now();
      const find = b.build(p, strs);
      return { b, find, build: ms(t) };
    });
    const small = p.count <= 5000;
    let ref: ReferenceTable | undefined;
    let refBuild = 0;
    if (small) {
      t0 = performance.now();
      ref = new ReferenceTable({ family: 4 });
      for (let i = 0; i < p.count; i++) ref.insert(`${strs[i]}/${p.lens[i]}`, p.nhs[i]);
      refBuild = ms(t0);
    }
    const bytes = wasm.memoryBytes;
    const bound = 65536 + 32 * p.count;
    rows.push(
      { suite: 'lpm', case: `${short} wasm-poptrie`, metric: 'build', value: wasmBuild, unit: 'ms' },
      { suite: 'lpm', case: `${short} js-dir24-8`, metric: 'build', value: dirBuild, unit: 'ms' },
      ...finds.map((f): Result => ({ suite: 'lpm', case: `${short} ${f.b.name}`, metric: 'build', value: f.build, unit: 'ms' })),
      { suite: 'lpm', case: `${short} wasm-poptrie`, metric: 'bytes/prefix', value: bytes / p.count, unit: 'B', baseline: `${short} js-dir24-8`, ratio: dir.memoryBytes / bytes },
      { suite: 'lpm', case: `${short} js-dir24-8`, metric: 'bytes/prefix', value: dir.memoryBytes / p.count, unit: 'B' },
    );
    if (ref) rows.push({ suite: 'lpm', case: `${short} ts-reference`, metric: 'build', value: refBuild, unit: 'ms' });
    targets.push(`${bytes <= bound ? 'MET ' : 'MISS'} memory ${short}: ${bytes} B <= 64 KiB + 32 B x ${p.count} = ${bound} B`);

    for (const [wl, addrs] of [['random', randomAddrs(nAddr)], ['inside', insideAddrs(p, nAddr)]] as const) {
      const out = new Int32Array(nAddr);
      dir.lookupBatch(addrs, out);
      wasm.batchView(nAddr).set(addrs);
      const got = wasm.lookupBatchInPlace(nAddr);
      for (let i = 0; i < nAddr; i++) if (got[i] !== out[i]) throw new Error(`lpm bench: WASM and DIR-24-8 disagree on ${formatIPv4(addrs[i])}: ${got[i]} vs ${out[i]}`);
      const strAddrs = Array.from(addrs.subarray(0, 200), formatIPv4);
      for (let i = 0; i < 200; i++) {
        const want = out[i];
        for (const f of finds) if (f.find(f.b.key(strAddrs[i])) !== want) throw new Error(`lpm bench: ${f.b.name} disagrees on ${strAddrs[i]}`);
        if (ref && ref.lookup(addrs[i]) !== want) throw new Error(`lpm bench: reference disagrees on ${strAddrs[i]}`);
      }
      const tasks: BatchTask[] = [
        { name: 'wasm-poptrie', opsPerCall: nAddr, fn: () => void wasm.lookupBatchInPlace(nAddr) },
        { name: 'js-dir24-8', opsPerCall: nAddr, fn: () => dir.lookupBatch(addrs, out) },
      ];
      for (const f of finds) {
        const sub = Array.from(addrs.subarray(0, quick ? f.b.perCall.quick : f.b.perCall.full), (a) => f.b.key(formatIPv4(a)));
        tasks.push({ name: f.b.name, opsPerCall: sub.length, fn: () => { for (const s of sub) f.find(s); } });
      }
      if (ref) {
        const r = ref;
        const sub = addrs.subarray(0, quick ? 1000 : 5000);
        tasks.push({ name: 'ts-reference', opsPerCall: sub.length, fn: () => { for (const a of sub) r.lookup(a); } });
      }
      const times = await timeBatches(tasks, { rounds, iterations: quick ? 3 : 5 });
      const by = new Map(times.map((t) => [t.name, t]));
      const npmBest = finds.length ? finds.map((f) => f.b.name).reduce((b, n) => (by.get(n)!.opsPerSec > by.get(b)!.opsPerSec ? n : b)) : undefined;
      for (const t of times) {
        const c = `${short} ${wl} ${t.name}`;
        const base = t.name === 'js-dir24-8' ? undefined : `${short} ${wl} js-dir24-8`;
        const ratio = base ? t.opsPerSec / by.get('js-dir24-8')!.opsPerSec : undefined;
        rows.push({ suite: 'lpm', case: c, metric: 'lookups/s', value: t.opsPerSec, unit: 'lookups/s', ...(base ? { baseline: base, ratio } : {}) });
        rows.push({ suite: 'lpm', case: c, metric: 'ns/lookup', value: t.nsPerOp, unit: 'ns' });
      }
      const w = by.get('wasm-poptrie')!.opsPerSec;
      const vsNpm = npmBest ? w / by.get(npmBest)!.opsPerSec : undefined;
      if (vsNpm !== undefined) rows.push({ suite: 'lpm', case: `${short} ${wl} wasm-poptrie`, metric: 'vs fastest npm', value: w, unit: 'lookups/s', baseline: `${short} ${wl} ${npmBest}`, ratio: vsNpm });
      if (short.startsWith('asn')) {
        const need = wl === 'random' ? 2.0 : 1.5;
        const vsDir = w / by.get('js-dir24-8')!.opsPerSec;
        targets.push(`${vsDir >= need ? 'MET ' : 'MISS'} ${short} ${wl}: wasm ${vsDir.toFixed(2)}x js-dir24-8 (target >= ${need}x)`);
        if (vsNpm !== undefined) targets.push(`${vsNpm >= 50 ? 'MET ' : 'MISS'} ${short} ${wl}: wasm ${vsNpm.toFixed(1)}x fastest npm package, ${npmBest} (target >= 50x)`);
      }
    }
    // One route change then one lookup, what an incremental update costs:
    // a /32 (a borrowed pod, a host route) inside a random prefix of the table.
    const changes = quick ? 20 : 100;
    const hosts = insideAddrs(p, changes, 99);
    t0 = performance.now();
    for (let i = 0; i < changes; i++) {
      wasm.insertPrefix(hosts[i], 32, i);
      wasm.lookup(hosts[i]);
    }
    rows.push({ suite: 'lpm', case: `${short} wasm-poptrie`, metric: 'change+lookup', value: ms(t0) / changes, unit: 'ms' });
    wasm.dispose();
  }
  await runV6(ctx, rows, targets);
  ctx.log('lpm targets:');
  for (const t of targets) ctx.log(`  ${t}`);
  return rows;
}
