/**
 * Builds the bit-vector classification chunks (Lakshman & Stiliadis 1998)
 * the WASM engine uses to skip over long runs of rules.
 *
 * A rule is *simple* when every match is a range (or the complement of a
 * range) over one of seven packet fields: source, destination, protocol,
 * source port, destination port, input and output interface (`-s -d -p -i -o`,
 * `--sport/--dport`, `-m multiport --sports/--dports`). Its target may be
 * anything: the chunk only answers "which is the next rule at or after
 * rule k that matches", the engine then runs that rule as usual, so jumps,
 * RETURN, MARK and NAT keep their meaning and first-match order is exact.
 * Marks, conntrack state, sets, addrtype and the like are not dimensions, so
 * rules using them end a run and are scanned one by one.
 *
 * Why bit vectors: the lookup cost is one binary search per dimension plus
 * an AND of R/32 words (SIMD, 128 bits at a time), independent of how many
 * rules overlap, and the structure is exact for arbitrary ranges and
 * negations; memory is (intervals x R/8) bytes per dimension, bounded by
 * cutting runs into chunks of at most `chunkRules` rules.
 */
import * as L from '../../assembly/shared/ipt.js';
import type { RuleRef } from './reference.js';

/** A compiled match op before layout (`b` of MPORT is relative to the pair area). */
export interface OpRec {
  op: number;
  code: number;
  a: number;
  b: number;
  c: number;
  neg: boolean;
  pairs?: readonly (readonly [number, number])[];
}

type Ranges = [number, number][];

const DIM_MAX = [0xffffffff, 0xffffffff, 255, 65535, 65535, 0, 0];
const PORT_PROTOS: Ranges = [
  [6, 6],
  [17, 17],
  [132, 132],
  [136, 136],
];

function complement(r: Ranges, max: number): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of r) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= max) out.push([next, max]);
  return out;
}

function intersect(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i][0], b[j][0]);
    const hi = Math.min(a[i][1], b[j][1]);
    if (lo <= hi) out.push([lo, hi]);
    if (a[i][1] < b[j][1]) i++;
    else j++;
  }
  return out;
}

function normal(r: readonly (readonly [number, number])[]): Ranges {
  const s = [...r].map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
  const out: Ranges = [];
  for (const x of s) {
    const last = out[out.length - 1];
    if (last && x[0] <= last[1] + 1) last[1] = Math.max(last[1], x[1]);
    else out.push(x);
  }
  return out;
}

/** The accepted values per dimension of a simple rule (undefined = unconstrained), or null if not simple. */
export function dimensions(ops: readonly OpRec[], ifaceMax: number): (Ranges | undefined)[] | null {
  const max = DIM_MAX.map((m, d) => (d >= 5 ? ifaceMax : m));
  const dims: (Ranges | undefined)[] = new Array(L.DIMS).fill(undefined);
  const add = (d: number, r: Ranges, neg: boolean): void => {
    const s = neg ? complement(r, max[d]) : r;
    dims[d] = dims[d] ? intersect(dims[d]!, s) : s;
  };
  for (const o of ops) {
    switch (o.op) {
      case L.OP_SRC:
        add(0, [[o.a >>> 0, o.b >>> 0]], o.neg);
        break;
      case L.OP_DST:
        add(1, [[o.a >>> 0, o.b >>> 0]], o.neg);
        break;
      case L.OP_PROTO:
        add(2, o.a === 0 ? [[0, 255]] : [[o.a, o.a]], o.neg);
        break;
      case L.OP_IN:
      case L.OP_OUT:
        add(o.op === L.OP_IN ? 5 : 6, [[o.a, o.b]], o.neg);
        break;
      case L.OP_SPORT:
      case L.OP_DPORT:
        add(2, [[o.c, o.c]], false);
        add(o.op === L.OP_SPORT ? 3 : 4, [[o.a, o.b]], o.neg);
        break;
      case L.OP_MPORT:
        if (o.a === 2) return null;
        add(2, PORT_PROTOS, false);
        add(o.a === 0 ? 3 : 4, normal(o.pairs!), o.neg);
        break;
      default:
        return null;
    }
  }
  return dims;
}

/** Chunk records and their data, laid out from word `base` of the program. */
export interface Chunks {
  words: Int32Array;
  records: number;
  scratchWords: number;
  /** Chunk of each program rule, -1 for none. */
  ruleChunk: Int32Array;
  covered: number;
}

/** Finds runs of simple rules and builds one chunk per at most `chunkRules` of them. */
export function buildChunks(ops: readonly OpRec[][], refs: readonly (RuleRef | undefined)[], base: number, ifaceMax: number, chunkRules: number, minRun: number): Chunks {
  const n = ops.length;
  const ruleChunk = new Int32Array(n).fill(-1);
  const runs: { start: number; dims: (Ranges | undefined)[][] }[] = [];
  let i = 0;
  while (i < n) {
    const dims: (Ranges | undefined)[][] = [];
    let j = i;
    while (j < n && dims.length < chunkRules && refs[j] && !refs[j]!.policy) {
      const d = dimensions(ops[j], ifaceMax);
      if (!d) break;
      dims.push(d);
      j++;
    }
    if (dims.length >= minRun) runs.push({ start: i, dims });
    i = j === i ? i + 1 : j;
  }
  const head = align4(runs.length * L.CHUNK_STRIDE);
  const parts: Int32Array[] = [];
  let off = base + head;
  let scratch = 0;
  let covered = 0;
  const records = new Int32Array(head);
  runs.forEach((run, ci) => {
    const R = run.dims.length;
    const words = Math.ceil(R / 128) * 4;
    const rec = ci * L.CHUNK_STRIDE;
    records.set([run.start, run.start + R, words, scratch], rec);
    scratch += 4 + words;
    covered += R;
    for (let r = 0; r < R; r++) ruleChunk[run.start + r] = ci;
    for (let d = 0; d < L.DIMS; d++) {
      const at = rec + L.C_DIM + d * 3;
      if (run.dims.every((x) => x[d] === undefined)) {
        records.set([0, 0, 0], at);
        continue;
      }
      const max = d >= 5 ? ifaceMax : DIM_MAX[d];
      const cut = new Set<number>([0]);
      for (const x of run.dims) for (const [lo, hi] of x[d] ?? []) {
        cut.add(lo);
        if (hi < max) cut.add(hi + 1);
      }
      const bounds = Uint32Array.from([...cut].sort((a, b) => a - b));
      const E = bounds.length;
      const find = (v: number): number => {
        let lo = 0;
        let hi = E - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (bounds[mid] <= v) lo = mid;
          else hi = mid - 1;
        }
        return lo;
      };
      const vec = new Int32Array(E * words);
      const wild = new Int32Array(words);
      run.dims.forEach((x, r) => {
        const bit = 1 << (r & 31);
        const w = r >> 5;
        const ranges = x[d];
        if (!ranges) {
          wild[w] |= bit;
          return;
        }
        for (const [lo, hi] of ranges) {
          const jhi = hi >= max ? E - 1 : find(hi + 1) - 1;
          for (let j = find(lo); j <= jhi; j++) vec[j * words + w] |= bit;
        }
      });
      for (let j = 0; j < E; j++) for (let w = 0; w < words; w++) vec[j * words + w] |= wild[w];
      const boundsOff = off;
      const padded = align4(E);
      const data = new Int32Array(padded + vec.length);
      data.set(new Int32Array(bounds.buffer), 0);
      data.set(vec, padded);
      parts.push(data);
      records.set([boundsOff, E, boundsOff + padded], at);
      off += data.length;
    }
  });
  const words = new Int32Array(off - base);
  words.set(records, 0);
  let at = head;
  for (const p of parts) {
    words.set(p, at);
    at += p.length;
  }
  return { words, records: runs.length, scratchWords: scratch, ruleChunk, covered };
}

function align4(x: number): number {
  return (x + 3) & ~3;
}
