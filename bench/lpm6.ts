/**
 * IPv6 part of the lpm suite: sparse tables that a trie handles worst, the
 * shape of a Calico IPv6 node table (random /122 blocks in one /48 pool) and
 * random /24-/128 prefixes under 2001:db8::/32. Memory against the table
 * bound (64 KiB + 32 B per prefix, LPM_BUDGET_* in assembly/shared/lpm.ts), batched lookups (random addresses and
 * addresses inside prefixes) against the TS reference, and one change then
 * one lookup. There is no IPv6 speed target; the numbers are reported.
 */
import { timeBatches, type BenchContext } from './harness.js';
import type { Result } from './results.js';
import { rng } from './lpm-tables.js';
import { createCore } from '../src/core/core.js';
import { RouteTable } from '../src/lpm/route-table.js';
import { ReferenceTable } from '../src/lpm/reference.js';
import { formatCidr, maskV6, type Ip6 } from '../src/net/ip.js';

/** An IPv6 table as prefixes (masked words) and lengths. */
interface Table6 {
  name: string;
  addrs: Ip6[];
  lens: number[];
}

/** `n` distinct random /122 blocks in fd00:10:244::/48 (Calico's default IPv6 block size, random placement). */
export function calico6(n: number, seed = 5): Table6 {
  const r = rng(seed);
  const seen = new Set<string>();
  const t: Table6 = { name: `calico6N=${n}`, addrs: [], lens: [] };
  while (t.addrs.length < n) {
    const a: Ip6 = [0xfd000010, (0x02440000 | (r() & 0xffff)) >>> 0, r(), (r() & ~63) >>> 0];
    const k = a.join(':');
    if (seen.has(k)) continue;
    seen.add(k);
    t.addrs.push(a);
    t.lens.push(122);
  }
  return t;
}

/** `n` random prefixes /24-/128 under 2001:db8::/32 (duplicates kept: replace semantics). */
export function random6(n: number, seed = 9): Table6 {
  const r = rng(seed);
  const t: Table6 = { name: `random6N=${n}`, addrs: [], lens: [] };
  for (let i = 0; i < n; i++) {
    const len = 24 + (r() % 105);
    t.addrs.push(maskV6([0x20010db8, r() & 0xffff00ff, r(), r()], len));
    t.lens.push(len);
  }
  return t;
}

/** Four words per address: random under the table's /32 or /48, or inside a random prefix. */
function addrs6(t: Table6, n: number, inside: boolean, seed: number): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n * 4);
  for (let i = 0; i < n; i++) {
    let w: Ip6 = [t.addrs[0][0], inside ? r() : t.name.startsWith('calico') ? (0x02440000 | (r() & 0xffff)) >>> 0 : r(), r(), r()];
    if (inside) {
      const k = r() % t.addrs.length;
      const m = maskV6(w, t.lens[k]);
      w = w.map((v, j) => (t.addrs[k][j] | (v & ~m[j])) >>> 0) as Ip6;
    }
    out.set(w, i * 4);
  }
  return out;
}

/** Runs the IPv6 tables; pushes rows and MET/MISS lines. */
export async function runV6(ctx: BenchContext, rows: Result[], targets: string[]): Promise<void> {
  const quick = ctx.quick;
  const nAddr = quick ? 100_000 : 1_000_000;
  const tables = [...[100, 1000, 5000, 20000].map((n) => calico6(n)), random6(5000), random6(70000)];
  for (const p of tables) {
    ctx.log(`-- table ${p.name}`);
    const core = await createCore();
    let t0 = performance.now();
    const wasm = new RouteTable(core, { family: 6 });
    for (let i = 0; i < p.addrs.length; i++) wasm.insertPrefix(p.addrs[i], p.lens[i], i);
    wasm.build();
    const build = performance.now() - t0;
    const ref = new ReferenceTable({ family: 6 });
    for (let i = 0; i < p.addrs.length; i++) ref.insert(formatCidr({ family: 6, addr: p.addrs[i], len: p.lens[i] }), i);
    const bytes = wasm.memoryBytes;
    const bound = 65536 + 32 * wasm.size;
    targets.push(`${bytes <= bound ? 'MET ' : 'MISS'} memory ${p.name}: ${bytes} B <= 64 KiB + 32 B x ${wasm.size} = ${bound} B`);
    rows.push(
      { suite: 'lpm', case: `${p.name} wasm-sorted6`, metric: 'build', value: build, unit: 'ms' },
      { suite: 'lpm', case: `${p.name} wasm-sorted6`, metric: 'bytes/prefix', value: bytes / wasm.size, unit: 'B' },
    );
    for (const [wl, inside] of [['random', false], ['inside', true]] as const) {
      const a = addrs6(p, nAddr, inside, inside ? 13 : 17);
      wasm.batchView(nAddr).set(a);
      const got = wasm.lookupBatchInPlace(nAddr);
      for (let i = 0; i < 500; i++) {
        const w = Array.from(a.subarray(i * 4, i * 4 + 4)) as Ip6;
        if (got[i] !== ref.lookup(w)) throw new Error(`lpm bench: WASM and reference disagree on ${p.name} address ${i}`);
      }
      const sub: Ip6[] = [];
      for (let i = 0; i < 1000; i++) sub.push(Array.from(a.subarray(i * 4, i * 4 + 4)) as Ip6);
      const times = await timeBatches(
        [
          { name: 'wasm-sorted6', opsPerCall: nAddr, fn: () => void wasm.lookupBatchInPlace(nAddr) },
          { name: 'ts-reference', opsPerCall: sub.length, fn: () => { for (const w of sub) ref.lookup(w); } },
        ],
        { rounds: quick ? 1 : 5, iterations: quick ? 3 : 5 },
      );
      const by = new Map(times.map((t) => [t.name, t]));
      for (const t of times) {
        const c = `${p.name} ${wl} ${t.name}`;
        const base = t.name === 'ts-reference' ? undefined : `${p.name} ${wl} ts-reference`;
        rows.push({ suite: 'lpm', case: c, metric: 'ns/lookup', value: t.nsPerOp, unit: 'ns', ...(base ? { baseline: base, ratio: by.get('ts-reference')!.nsPerOp / t.nsPerOp } : {}) });
      }
    }
    // One change then one lookup: a /128 inside a random prefix (merges the tail, recomputes parents).
    const changes = quick ? 20 : 100;
    const hosts = addrs6(p, changes, true, 99);
    t0 = performance.now();
    for (let i = 0; i < changes; i++) {
      const w = Array.from(hosts.subarray(i * 4, i * 4 + 4)) as Ip6;
      wasm.insertPrefix(w, 128, i);
      wasm.lookup(w);
    }
    rows.push({ suite: 'lpm', case: `${p.name} wasm-sorted6`, metric: 'change+lookup', value: (performance.now() - t0) / changes, unit: 'ms' });
    wasm.dispose();
  }
}
