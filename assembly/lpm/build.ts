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
import {
  LPM_H_WORDS, LPM_H_COUNT, LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_DIRTY, LPM_H_DIR, LPM_H_DIRBITS,
  LPM_H_NODES, LPM_H_NNODES, LPM_H_LEAVES, LPM_H_NLEAVES, LPM_NODE_BYTES, LPM_DIR_NODE,
} from "../shared/lpm";
import { hget, hset } from "./store";

const NODE: u32 = LPM_DIR_NODE;

/** The 6 bits at bit offset `off` (0 = most significant) of the 128-bit key hi:lo. */
@inline export function chunk(hi: u64, lo: u64, off: u32): u32 {
  if (off <= 58) return <u32>(hi >> (58 - off)) & 63;
  if (off < 64) return <u32>((hi << (off - 58)) | (lo >> (122 - off))) & 63;
  if (off <= 122) return <u32>(lo >> (122 - off)) & 63;
  return <u32>(lo << (off - 122)) & 63;
}

/**
 * Bits of the direct level for `n` prefixes spread over `spread` distinct
 * /14s (IPv4). The level costs 4 << s bytes and saves node hops only where
 * prefixes are, so it is sized to the table (memory bound: 64 KiB + 32 B per
 * prefix). IPv4: 18 bits (1 MiB) from 131072 prefixes; 14 bits (64 KiB)
 * from 4096 prefixes spread over at least 1024 /14s (a table concentrated
 * in a few /14s, like a Calico pool, gains nothing from it); else 8 bits
 * (1 KiB). IPv6: 16 bits from 65536 prefixes, else 8 bits.
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

// Temporary nodes: 64 u32 entries each (leaf = nextHop + 1, or NODE | index).
let tmp: usize = 0;
let tmpCap: u32 = 0;
let tmpCount: u32 = 0;

function newNode(fill: u32): u32 {
  if (tmpCount == tmpCap) {
    tmpCap = tmpCap == 0 ? 64 : tmpCap << 1;
    tmp = tmp == 0 ? heap.alloc(<usize>tmpCap << 8) : heap.realloc(tmp, <usize>tmpCap << 8);
  }
  const p = tmp + (<usize>tmpCount << 8);
  for (let k = 0; k < 64; k++) store<u32>(p + (k << 2), fill);
  return tmpCount++;
}

@inline function slotOf(node: u32, v: u32): usize {
  return tmp + (<usize>node << 8) + (<usize>v << 2);
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
}

/** Expands one prefix into the direct level and the temporary nodes. */
function expand(dir: usize, s: u32, hi: u64, lo: u64, len: u32, val: u32): void {
  const di = <u32>(hi >> (64 - s));
  if (len <= s) {
    const n: u32 = 1 << (s - len);
    for (let k: u32 = 0; k < n; k++) store<u32>(dir + ((<usize>(di + k)) << 2), val);
    return;
  }
  let e = load<u32>(dir + (<usize>di << 2));
  let node: u32;
  if (e & NODE) node = e & ~NODE;
  else {
    node = newNode(e);
    store<u32>(dir + (<usize>di << 2), NODE | node);
  }
  let off = s;
  while (true) {
    const v = chunk(hi, lo, off);
    if (len <= off + 6) {
      const n: u32 = 1 << (off + 6 - len);
      for (let k: u32 = 0; k < n; k++) store<u32>(slotOf(node, v + k), val);
      return;
    }
    e = load<u32>(slotOf(node, v));
    if (e & NODE) node = e & ~NODE;
    else {
      const c = newNode(e);
      store<u32>(slotOf(node, v), NODE | c);
      node = c;
    }
    off += 6;
  }
}

/** Rebuilds the lookup structure of `t` from its store. */
export function build(t: usize): void {
  freeLookup(t);
  const words = hget(t, LPM_H_WORDS);
  const n = hget(t, LPM_H_COUNT);
  const cap = hget(t, LPM_H_CAP);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const nhs = <usize>hget(t, LPM_H_NHS);
  // Counting sort of the slots by prefix length (0..128).
  const starts = heap.alloc(130 << 2);
  memory.fill(starts, 0, 130 << 2);
  for (let i: u32 = 0; i < cap; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l != 0) store<u32>(starts + (<usize>l << 2), load<u32>(starts + (<usize>l << 2)) + 1);
  }
  let sum: u32 = 0;
  for (let l: u32 = 0; l < 130; l++) {
    const c = load<u32>(starts + (<usize>l << 2));
    store<u32>(starts + (<usize>l << 2), sum);
    sum += c;
  }
  const order = heap.alloc(<usize>(n > 0 ? n : 1) << 2);
  for (let i: u32 = 0; i < cap; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0) continue;
    const p = starts + (<usize>l << 2);
    const at = load<u32>(p);
    store<u32>(order + (<usize>at << 2), i);
    store<u32>(p, at + 1);
  }
  heap.free(starts);

  const s = directBits(words, n, words == 1 && n >= 4096 && n < 131072 ? spreadV4(t) : 0);
  const dsize: u32 = 1 << s;
  const dir = heap.alloc(<usize>dsize << 2);
  memory.fill(dir, 0, <usize>dsize << 2);
  tmpCount = 0;
  for (let j: u32 = 0; j < n; j++) {
    const i = load<u32>(order + (<usize>j << 2));
    const k = keys + ((<usize>(i * words)) << 2);
    let hi: u64, lo: u64 = 0;
    if (words == 1) hi = (<u64>load<u32>(k)) << 32;
    else {
      hi = ((<u64>load<u32>(k)) << 32) | <u64>load<u32>(k, 4);
      lo = ((<u64>load<u32>(k, 8)) << 32) | <u64>load<u32>(k, 12);
    }
    expand(dir, s, hi, lo, <u32>load<u8>(lens + i) - 1, <u32>load<i32>(nhs + (<usize>i << 2)) + 1);
  }
  heap.free(order);
  layout(t, dir, s);
}

/** Lays the temporary trie out as poptrie nodes, breadth-first, and frees it. */
function layout(t: usize, dir: usize, s: u32): void {
  const tn = tmpCount;
  // Pass 1: how many leaves after leaf-vector compression.
  let nleaves: u32 = 0;
  for (let x: u32 = 0; x < tn; x++) {
    let prev: u32 = 0xffffffff;
    for (let k: u32 = 0; k < 64; k++) {
      const e = load<u32>(slotOf(x, k));
      if (e & NODE) continue;
      if (e != prev) nleaves++;
      prev = e;
    }
  }
  const nodes = heap.alloc(<usize>(tn > 0 ? tn : 1) * LPM_NODE_BYTES);
  const leaves = heap.alloc(<usize>(nleaves > 0 ? nleaves : 1) << 2);
  const queue = heap.alloc(<usize>(tn > 0 ? tn : 1) << 2);
  let qt: u32 = 0;
  const dsize: u32 = 1 << s;
  for (let d: u32 = 0; d < dsize; d++) {
    const e = load<u32>(dir + (<usize>d << 2));
    if (e & NODE) {
      store<u32>(queue + (<usize>qt << 2), e & ~NODE);
      store<u32>(dir + (<usize>d << 2), NODE | qt);
      qt++;
    }
  }
  let lt: u32 = 0;
  for (let p: u32 = 0; p < qt; p++) {
    const x = load<u32>(queue + (<usize>p << 2));
    let vec: u64 = 0, lv: u64 = 0;
    const base0 = qt, base1 = lt;
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
    const np = nodes + <usize>p * LPM_NODE_BYTES;
    store<u64>(np, vec);
    store<u64>(np, lv, 8);
    store<u32>(np, base0, 16);
    store<u32>(np, base1, 20);
  }
  heap.free(queue);
  if (tmp != 0) heap.free(tmp);
  tmp = 0;
  tmpCap = 0;
  tmpCount = 0;
  hset(t, LPM_H_DIR, <u32>dir);
  hset(t, LPM_H_DIRBITS, s);
  hset(t, LPM_H_NODES, <u32>nodes);
  hset(t, LPM_H_NNODES, tn);
  hset(t, LPM_H_LEAVES, <u32>leaves);
  hset(t, LPM_H_NLEAVES, nleaves);
  hset(t, LPM_H_DIRTY, 0);
}

/** Bytes of the lookup structure. */
export function lookupBytes(t: usize): u32 {
  if (hget(t, LPM_H_DIR) == 0) return 0;
  return (4 << hget(t, LPM_H_DIRBITS)) + max<u32>(hget(t, LPM_H_NNODES), 1) * LPM_NODE_BYTES + max<u32>(hget(t, LPM_H_NLEAVES), 1) * 4;
}
