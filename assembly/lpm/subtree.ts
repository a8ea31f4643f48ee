// Rebuilding one node's subtree after a change under it. The node keeps its
// index (its parent's child array is untouched); its entries are re-expanded
// from the prefixes of the store that overlap its span, its new descendants
// and leaves are appended to the arrays, and the old ones become garbage.
import {
  LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_WORDS, LPM_H_NODES, LPM_H_NNODES, LPM_H_LEAVES, LPM_H_NLEAVES,
  LPM_H_NODECAP, LPM_H_LEAFCAP, LPM_H_GARBAGE_NODES, LPM_H_GARBAGE_LEAVES, LPM_NODE_BYTES, LPM_DIR_NODE,
} from "../shared/lpm";
import { hget, hset } from "./header";
import { keyHi, keyLo } from "./store";
import { countSubtree, reserve } from "./nodes";
import { newNode, slotOf, tmpNodes, tmpFree, expandNode, tmpLeaves } from "./tmp";

const NODE: u32 = LPM_DIR_NODE;

/** Whether the first `m` bits of a:b and c:d agree. */
@inline function samePrefix(ahi: u64, alo: u64, chi: u64, clo: u64, m: u32): bool {
  if (m == 0) return true;
  if (m < 64) return ((ahi ^ chi) & ~((~(<u64>0)) >> m)) == 0;
  if (ahi != chi) return false;
  if (m == 64) return true;
  if (m < 128) return ((alo ^ clo) & ~((~(<u64>0)) >> (m - 64))) == 0;
  return alo == clo;
}

/** Rebuilds the subtree of node `x`, which sits at bit depth `d` under prefix qhi:qlo/d. */
export function rebuildNode(t: usize, x: u32, d: u32, qhi: u64, qlo: u64): void {
  const words = hget(t, LPM_H_WORDS);
  const cap = hget(t, LPM_H_CAP);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const nhs = <usize>hget(t, LPM_H_NHS);
  // One scan of the store collects the prefixes that cover or lie inside
  // q/d (IPv4: one masked compare per slot); a counting sort of just those
  // orders them by length.
  let hitsCap: u32 = 64;
  let hits = heap.alloc(<usize>hitsCap << 2);
  let n: u32 = 0;
  const starts = heap.alloc(130 << 2);
  memory.fill(starts, 0, 130 << 2);
  const q4 = <u32>(qhi >> 32);
  for (let i: u32 = 0; i < cap; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0) continue;
    const m = min<u32>(l - 1, d);
    let hit: bool;
    if (words == 1) hit = m == 0 || ((load<u32>(keys + (<usize>i << 2)) ^ q4) >>> (32 - m)) == 0;
    else hit = samePrefix(keyHi(keys, words, i), keyLo(keys, words, i), qhi, qlo, m);
    if (!hit) continue;
    if (n == hitsCap) {
      hitsCap <<= 1;
      hits = heap.realloc(hits, <usize>hitsCap << 2);
    }
    store<u32>(hits + (<usize>n << 2), i);
    n++;
    store<u32>(starts + (<usize>l << 2), load<u32>(starts + (<usize>l << 2)) + 1);
  }
  let sum: u32 = 0;
  for (let l: u32 = 0; l < 130; l++) {
    const k = load<u32>(starts + (<usize>l << 2));
    store<u32>(starts + (<usize>l << 2), sum);
    sum += k;
  }
  const order = heap.alloc(<usize>max<u32>(n, 1) << 2);
  for (let j: u32 = 0; j < n; j++) {
    const i = load<u32>(hits + (<usize>j << 2));
    const p = starts + (<usize>load<u8>(lens + i) << 2);
    const at = load<u32>(p);
    store<u32>(order + (<usize>at << 2), i);
    store<u32>(p, at + 1);
  }
  heap.free(hits);
  heap.free(starts);
  const root = newNode(0);
  for (let j: u32 = 0; j < n; j++) {
    const i = load<u32>(order + (<usize>j << 2));
    const len = <u32>load<u8>(lens + i) - 1;
    const val = <u32>load<i32>(nhs + (<usize>i << 2)) + 1;
    // Covering prefixes come first (shorter), so longer ones overwrite them.
    if (len <= d) for (let k: u32 = 0; k < 64; k++) store<u32>(slotOf(root, k), val);
    else expandNode(root, d, keyHi(keys, words, i), keyLo(keys, words, i), len, val);
  }
  heap.free(order);
  const old = countSubtree(<usize>hget(t, LPM_H_NODES), x);
  hset(t, LPM_H_GARBAGE_NODES, hget(t, LPM_H_GARBAGE_NODES) + <u32>(old >> 32) - 1);
  hset(t, LPM_H_GARBAGE_LEAVES, hget(t, LPM_H_GARBAGE_LEAVES) + <u32>old);
  layoutNode(t, x);
}

/** Lays out the temporary trie rooted at temporary node 0 as node `x` plus appended descendants. */
function layoutNode(t: usize, x: u32): void {
  const tn = tmpNodes();
  let nleaves: u32 = 0;
  for (let y: u32 = 0; y < tn; y++) nleaves += tmpLeaves(y);
  const nbase = hget(t, LPM_H_NNODES);
  const lbase = hget(t, LPM_H_NLEAVES);
  reserve(t, LPM_H_NODES, LPM_H_NODECAP, nbase + tn - 1, LPM_NODE_BYTES);
  reserve(t, LPM_H_LEAVES, LPM_H_LEAFCAP, lbase + nleaves, 4);
  const nodes = <usize>hget(t, LPM_H_NODES);
  const leaves = <usize>hget(t, LPM_H_LEAVES);
  const queue = heap.alloc(<usize>tn << 2);
  store<u32>(queue, 0);
  let qt: u32 = 1;
  let lt = lbase;
  for (let p: u32 = 0; p < qt; p++) {
    const y = load<u32>(queue + (<usize>p << 2));
    let vec: u64 = 0, lv: u64 = 0;
    // Queue position q > 0 becomes node nbase + q - 1.
    const base0 = nbase + qt - 1, base1 = lt;
    let prev: u32 = 0xffffffff;
    for (let k: u32 = 0; k < 64; k++) {
      const e = load<u32>(slotOf(y, k));
      if (e & NODE) {
        vec |= (<u64>1) << k;
        store<u32>(queue + (<usize>qt << 2), e & ~NODE);
        qt++;
        continue;
      }
      if (e != prev) {
        lv |= (<u64>1) << k;
        store<u32>(leaves + (<usize>lt << 2), e);
        lt++;
      }
      prev = e;
    }
    const np = nodes + <usize>(p == 0 ? x : nbase + p - 1) * LPM_NODE_BYTES;
    store<u64>(np, vec);
    store<u64>(np, lv, 8);
    store<u32>(np, base0, 16);
    store<u32>(np, base1, 20);
  }
  heap.free(queue);
  tmpFree();
  hset(t, LPM_H_NNODES, nbase + qt - 1);
  hset(t, LPM_H_NLEAVES, lt);
}
