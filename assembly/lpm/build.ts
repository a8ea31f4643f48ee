// Builds the lookup structure of a table from its prefix store: a poptrie
// (Asai & Ohara, SIGCOMM 2015): a direct-pointing first level of s bits, then
// 6-bit nodes whose child and leaf arrays are compressed with popcount
// bitmaps (`vector` marks children, `leafvec` marks where a run of equal
// leaves starts, so consecutive equal leaves are stored once).
//
// Construction: prefixes are taken in increasing length (counting sort) and
// expanded into uncompressed 64-entry temporary nodes, so a longer prefix
// overwrites a shorter one (controlled prefix expansion) and a new child
// node inherits the leaf it replaces. The temporary trie is then laid out
// breadth-first so that each node's children are contiguous, as the
// popcount indexing requires, and freed.
//
// Updates (update.ts, subtree.ts) rebuild only the part a change touches:
// a range of direct entries here, or one node's subtree; the prefixes that
// overlap it are found by a scan of the store, the new nodes and leaves are
// appended, the replaced ones become garbage, and a full rebuild compacts
// once garbage passes 1/8 of the arrays.
import {
  LPM_H_WORDS, LPM_H_COUNT, LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_DIRTY, LPM_H_DIR, LPM_H_DIRBITS,
  LPM_H_NODES, LPM_H_NNODES, LPM_H_LEAVES, LPM_H_NLEAVES, LPM_H_NODECAP, LPM_H_LEAFCAP, LPM_H_GARBAGE_NODES,
  LPM_H_GARBAGE_LEAVES, LPM_H_NFULL, LPM_H_NCHANGES, LPM_NODE_BYTES, LPM_DIR_NODE,
} from "../shared/lpm";
import { hget, hset } from "./header";
import { keyHi, keyLo } from "./store";
import { countSubtree, reserve, shrink } from "./nodes";
import { newNode, slotOf, tmpNodes, tmpFree, expandNode, tmpLeaves } from "./tmp";
import { chooseWindow, fillWindow, freeWindow, windowBytes } from "./window";

const NODE: u32 = LPM_DIR_NODE;

/**
 * Bits of the direct level for `n` prefixes spread over `spread` distinct
 * /14s (IPv4). The level costs 4 << s bytes and saves node hops only where
 * prefixes are, so it is sized to the table (memory bound: 64 KiB + 32 B per
 * prefix). IPv4: 18 bits (1 MiB) from 131072 prefixes; 14 bits (64 KiB)
 * from 4096 prefixes spread over at least 1024 /14s (a table concentrated
 * in a few /14s, like a Calico pool, gains nothing from it); else 8 bits
 * (1 KiB). (IPv6 tables are sorted arrays, sorted6.ts; this is kept
 * general: 16 bits from 65536 prefixes, else 8.)
 */
export function directBits(words: u32, n: u32, spread: u32): u32 {
  if (words == 1) return n >= 131072 ? 18 : n >= 4096 && spread >= 1024 ? 14 : 8;
  return n >= 65536 ? 16 : 8;
}

/** Distinct /14s among the IPv4 prefixes of the store. */
function spreadV4(t: usize): u32 {
  const cap = hget(t, LPM_H_CAP);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const bits = heap.alloc(2048);
  memory.fill(bits, 0, 2048);
  let count: u32 = 0;
  for (let i: u32 = 0; i < cap; i++) {
    if (load<u8>(lens + i) == 0) continue;
    const top = load<u32>(keys + (<usize>i << 2)) >>> 18;
    const p = bits + (<usize>top >>> 3);
    const m: u32 = (<u32>1) << (top & 7);
    const b = <u32>load<u8>(p);
    if ((b & m) == 0) {
      store<u8>(p, <u8>(b | m));
      count++;
    }
  }
  heap.free(bits);
  return count;
}

/** Frees the lookup structure (not the store). */
export function freeLookup(t: usize): void {
  if (hget(t, LPM_H_DIR) != 0) heap.free(<usize>hget(t, LPM_H_DIR));
  if (hget(t, LPM_H_NODES) != 0) heap.free(<usize>hget(t, LPM_H_NODES));
  if (hget(t, LPM_H_LEAVES) != 0) heap.free(<usize>hget(t, LPM_H_LEAVES));
  hset(t, LPM_H_DIR, 0);
  hset(t, LPM_H_NODES, 0);
  hset(t, LPM_H_LEAVES, 0);
  hset(t, LPM_H_NNODES, 0);
  hset(t, LPM_H_NLEAVES, 0);
  hset(t, LPM_H_NODECAP, 0);
  hset(t, LPM_H_LEAFCAP, 0);
  hset(t, LPM_H_GARBAGE_NODES, 0);
  hset(t, LPM_H_GARBAGE_LEAVES, 0);
  freeWindow(t);
}

/**
 * Expands one prefix into `local` (the direct entries d0..d0+c) and the
 * temporary nodes; a short prefix only fills the part of its span inside
 * the range.
 */
function expand(local: usize, d0: u32, c: u32, s: u32, hi: u64, lo: u64, len: u32, val: u32): void {
  const di = <u32>(hi >> (64 - s));
  if (len <= s) {
    const from = max<u32>(di, d0);
    const to = min<u32>(di + ((<u32>1) << (s - len)), d0 + c);
    for (let k = from; k < to; k++) store<u32>(local + ((<usize>(k - d0)) << 2), val);
    return;
  }
  const dp = local + ((<usize>(di - d0)) << 2);
  const e = load<u32>(dp);
  let node: u32;
  if (e & NODE) node = e & ~NODE;
  else {
    node = newNode(e);
    store<u32>(dp, NODE | node);
  }
  expandNode(node, s, hi, lo, len, val);
}

/** Whether the prefix at slot i overlaps direct entries d0..d0+c. */
@inline function overlaps(keys: usize, words: u32, i: u32, len: u32, s: u32, d0: u32, c: u32): bool {
  const di = <u32>(keyHi(keys, words, i) >> (64 - s));
  const span: u32 = len <= s ? (<u32>1) << (s - len) : 1;
  return di < d0 + c && d0 < di + span;
}

/**
 * Rebuilds the direct entries d0..d0+c of `t` (direct level of s bits
 * already allocated) from the prefixes of the store that overlap them.
 */
export function rebuildRange(t: usize, d0: u32, c: u32): void {
  const words = hget(t, LPM_H_WORDS);
  const cap = hget(t, LPM_H_CAP);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const nhs = <usize>hget(t, LPM_H_NHS);
  const s = hget(t, LPM_H_DIRBITS);
  // Counting sort, by prefix length, of the slots that overlap the range.
  const starts = heap.alloc(130 << 2);
  memory.fill(starts, 0, 130 << 2);
  let n: u32 = 0;
  for (let i: u32 = 0; i < cap; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0 || !overlaps(keys, words, i, l - 1, s, d0, c)) continue;
    store<u32>(starts + (<usize>l << 2), load<u32>(starts + (<usize>l << 2)) + 1);
    n++;
  }
  let sum: u32 = 0;
  for (let l: u32 = 0; l < 130; l++) {
    const k = load<u32>(starts + (<usize>l << 2));
    store<u32>(starts + (<usize>l << 2), sum);
    sum += k;
  }
  const order = heap.alloc(<usize>max<u32>(n, 1) << 2);
  for (let i: u32 = 0; i < cap; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0 || !overlaps(keys, words, i, l - 1, s, d0, c)) continue;
    const p = starts + (<usize>l << 2);
    const at = load<u32>(p);
    store<u32>(order + (<usize>at << 2), i);
    store<u32>(p, at + 1);
  }
  heap.free(starts);

  const local = heap.alloc(<usize>c << 2);
  memory.fill(local, 0, <usize>c << 2);
  for (let j: u32 = 0; j < n; j++) {
    const i = load<u32>(order + (<usize>j << 2));
    expand(local, d0, c, s, keyHi(keys, words, i), keyLo(keys, words, i), <u32>load<u8>(lens + i) - 1, <u32>load<i32>(nhs + (<usize>i << 2)) + 1);
  }
  heap.free(order);

  // The subtrees being replaced become garbage.
  const dir = <usize>hget(t, LPM_H_DIR);
  const nodes = <usize>hget(t, LPM_H_NODES);
  let garbage: u64 = 0;
  for (let d = d0; d < d0 + c; d++) {
    const e = load<u32>(dir + (<usize>d << 2));
    if (e & NODE) garbage += countSubtree(nodes, e & ~NODE);
  }
  hset(t, LPM_H_GARBAGE_NODES, hget(t, LPM_H_GARBAGE_NODES) + <u32>(garbage >> 32));
  hset(t, LPM_H_GARBAGE_LEAVES, hget(t, LPM_H_GARBAGE_LEAVES) + <u32>garbage);
  layout(t, local, d0, c);
  heap.free(local);
}

/**
 * Appends the temporary trie as poptrie nodes, breadth-first from the
 * entries of `local`, writes direct entries d0..d0+c, and frees the trie.
 */
function layout(t: usize, local: usize, d0: u32, c: u32): void {
  const tn = tmpNodes();
  let nleaves: u32 = 0;
  for (let x: u32 = 0; x < tn; x++) nleaves += tmpLeaves(x);
  const nbase = hget(t, LPM_H_NNODES);
  const lbase = hget(t, LPM_H_NLEAVES);
  reserve(t, LPM_H_NODES, LPM_H_NODECAP, nbase + tn, LPM_NODE_BYTES);
  reserve(t, LPM_H_LEAVES, LPM_H_LEAFCAP, lbase + nleaves, 4);
  const nodes = <usize>hget(t, LPM_H_NODES);
  const leaves = <usize>hget(t, LPM_H_LEAVES);
  const dir = <usize>hget(t, LPM_H_DIR);
  const queue = heap.alloc(<usize>max<u32>(tn, 1) << 2);
  let qt: u32 = 0;
  for (let d: u32 = 0; d < c; d++) {
    const e = load<u32>(local + (<usize>d << 2));
    if (e & NODE) {
      store<u32>(queue + (<usize>qt << 2), e & ~NODE);
      store<u32>(dir + (<usize>(d0 + d) << 2), NODE | (nbase + qt));
      qt++;
    } else store<u32>(dir + (<usize>(d0 + d) << 2), e);
  }
  let lt = lbase;
  for (let p: u32 = 0; p < qt; p++) {
    const x = load<u32>(queue + (<usize>p << 2));
    let vec: u64 = 0, lv: u64 = 0;
    const base0 = nbase + qt, base1 = lt;
    let prev: u32 = 0xffffffff;
    for (let k: u32 = 0; k < 64; k++) {
      const e = load<u32>(slotOf(x, k));
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
    const np = nodes + <usize>(nbase + p) * LPM_NODE_BYTES;
    store<u64>(np, vec);
    store<u64>(np, lv, 8);
    store<u32>(np, base0, 16);
    store<u32>(np, base1, 20);
  }
  heap.free(queue);
  tmpFree();
  hset(t, LPM_H_NNODES, nbase + qt);
  hset(t, LPM_H_NLEAVES, lt);
}

/** Rebuilds the whole lookup structure of `t` from its store, sizing the direct level anew. */
export function build(t: usize): void {
  freeLookup(t);
  const words = hget(t, LPM_H_WORDS);
  const n = hget(t, LPM_H_COUNT);
  const s = directBits(words, n, words == 1 && n >= 4096 && n < 131072 ? spreadV4(t) : 0);
  const dsize: u32 = 1 << s;
  const dir = heap.alloc(<usize>dsize << 2);
  memory.fill(dir, 0, <usize>dsize << 2);
  hset(t, LPM_H_DIR, <u32>dir);
  hset(t, LPM_H_DIRBITS, s);
  rebuildRange(t, 0, dsize);
  shrink(t, LPM_H_NODES, LPM_H_NODECAP, hget(t, LPM_H_NNODES), LPM_NODE_BYTES);
  shrink(t, LPM_H_LEAVES, LPM_H_LEAFCAP, hget(t, LPM_H_NLEAVES), 4);
  chooseWindow(t);
  fillWindow(t);
  hset(t, LPM_H_NFULL, n);
  hset(t, LPM_H_NCHANGES, 0);
  hset(t, LPM_H_DIRTY, 0);
}

/** Bytes of the lookup structure (allocated, garbage included). */
export function lookupBytes(t: usize): u32 {
  if (hget(t, LPM_H_DIR) == 0) return 0;
  return (4 << hget(t, LPM_H_DIRBITS)) + hget(t, LPM_H_NODECAP) * LPM_NODE_BYTES + hget(t, LPM_H_LEAFCAP) * 4 + windowBytes(t);
}
