// The prefix store of one route table: an open-addressing hash (linear
// probing, backward-shift deletion) from (prefix, length) to next hop, kept
// as struct-of-arrays in unmanaged memory. It is the source of truth; the
// poptrie (build.ts) is derived from it lazily. 9 bytes per IPv4 slot; the
// load stays between 0.2 and 0.8 (or the minimum size). IPv6 tables use the
// sorted store of sorted6.ts instead (same arrays, created here), and so do
// IPv4 tables over the memory bound as a poptrie (key a:0:0:0, see
// src/lpm/route-table.ts and "Sparse IPv4 tables" in docs/lpm.md).
import {
  LPM_HEADER_BYTES, LPM_H_WORDS, LPM_H_COUNT, LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_DIRTY,
} from "../shared/lpm";
import { hget, hset } from "./header";
import { markChanged } from "./changes";
import { put6, get6, delete6, free6, parentBytes } from "./sorted6";

const MIN_CAP: u32 = 16;

@inline function mix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

@inline function hashKey(w0: u32, w1: u32, w2: u32, w3: u32, len: u32): u32 {
  return mix(w0 ^ mix(w1 ^ mix(w2 ^ mix(w3 ^ (len * 0x9e3779b1)))));
}

/** Two network-order words as one u64. */
@inline function hi6(a: u32, b: u32): u64 {
  return ((<u64>a) << 32) | <u64>b;
}

/** The key of store slot `i` as hi:lo (IPv4 in the top 32 bits of hi). */
@inline export function keyHi(keys: usize, words: u32, i: u32): u64 {
  const k = keys + ((<usize>(i * words)) << 2);
  return words == 1 ? (<u64>load<u32>(k)) << 32 : ((<u64>load<u32>(k)) << 32) | <u64>load<u32>(k, 4);
}
@inline export function keyLo(keys: usize, words: u32, i: u32): u64 {
  const k = keys + ((<usize>(i * words)) << 2);
  return words == 1 ? 0 : ((<u64>load<u32>(k, 8)) << 32) | <u64>load<u32>(k, 12);
}

@inline function keyWord(t: usize, slot: u32, i: u32): u32 {
  const w = hget(t, LPM_H_WORDS);
  return load<u32>(hget(t, LPM_H_KEYS) + (((slot * w) + i) << 2));
}

function allocArrays(t: usize, cap: u32): void {
  const w = hget(t, LPM_H_WORDS);
  const keys = heap.alloc(cap * w * 4);
  const lens = heap.alloc(cap);
  const nhs = heap.alloc(cap * 4);
  memory.fill(lens, 0, cap);
  hset(t, LPM_H_KEYS, <u32>keys);
  hset(t, LPM_H_LENS, <u32>lens);
  hset(t, LPM_H_NHS, <u32>nhs);
  hset(t, LPM_H_CAP, cap);
}

/** Allocates a table header and an empty store for `words` key words (1 or 4). */
export function storeCreate(words: u32): usize {
  const t = heap.alloc(LPM_HEADER_BYTES);
  memory.fill(t, 0, LPM_HEADER_BYTES);
  hset(t, LPM_H_WORDS, words);
  hset(t, LPM_H_DIRTY, 1);
  allocArrays(t, MIN_CAP);
  return t;
}

/** Frees the store arrays (not the header). */
export function storeFree(t: usize): void {
  free6(t);
  heap.free(<usize>hget(t, LPM_H_KEYS));
  heap.free(<usize>hget(t, LPM_H_LENS));
  heap.free(<usize>hget(t, LPM_H_NHS));
}

/** Slot of the key if present (>= 0), else -(first empty slot) - 1. */
function find(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32): i32 {
  const mask = hget(t, LPM_H_CAP) - 1;
  const words = hget(t, LPM_H_WORDS);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  let i = hashKey(w0, w1, w2, w3, len) & mask;
  while (true) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0) return -(<i32>i) - 1;
    if (l == len + 1) {
      const k = keys + ((i * words) << 2);
      if (load<u32>(k) == w0 && (words == 1 || (load<u32>(k, 4) == w1 && load<u32>(k, 8) == w2 && load<u32>(k, 12) == w3))) return <i32>i;
    }
    i = (i + 1) & mask;
  }
}

function putNew(t: usize, slot: u32, w0: u32, w1: u32, w2: u32, w3: u32, len: u32, nh: i32): void {
  const words = hget(t, LPM_H_WORDS);
  const k = <usize>hget(t, LPM_H_KEYS) + ((slot * words) << 2);
  store<u32>(k, w0);
  if (words == 4) {
    store<u32>(k, w1, 4);
    store<u32>(k, w2, 8);
    store<u32>(k, w3, 12);
  }
  store<u8>(<usize>hget(t, LPM_H_LENS) + slot, <u8>(len + 1));
  store<i32>(<usize>hget(t, LPM_H_NHS) + (slot << 2), nh);
}

/** Rehashes into `cap` slots. */
function resize(t: usize, cap: u32): void {
  const oldCap = hget(t, LPM_H_CAP);
  const oldKeys = <usize>hget(t, LPM_H_KEYS);
  const oldLens = <usize>hget(t, LPM_H_LENS);
  const oldNhs = <usize>hget(t, LPM_H_NHS);
  const words = hget(t, LPM_H_WORDS);
  allocArrays(t, cap);
  for (let i: u32 = 0; i < oldCap; i++) {
    const l = <u32>load<u8>(oldLens + i);
    if (l == 0) continue;
    const k = oldKeys + ((i * words) << 2);
    const w0 = load<u32>(k);
    let w1: u32 = 0, w2: u32 = 0, w3: u32 = 0;
    if (words == 4) {
      w1 = load<u32>(k, 4);
      w2 = load<u32>(k, 8);
      w3 = load<u32>(k, 12);
    }
    const s = find(t, w0, w1, w2, w3, l - 1);
    putNew(t, <u32>(-s - 1), w0, w1, w2, w3, l - 1, load<i32>(oldNhs + (i << 2)));
  }
  heap.free(oldKeys);
  heap.free(oldLens);
  heap.free(oldNhs);
}

/** Inserts or replaces; returns the previous next hop or -1. Marks the table dirty on change. */
export function storePut(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32, nh: i32): i32 {
  if (hget(t, LPM_H_WORDS) == 4) return put6(t, hi6(w0, w1), hi6(w2, w3), len, nh);
  let s = find(t, w0, w1, w2, w3, len);
  if (s >= 0) {
    const p = <usize>hget(t, LPM_H_NHS) + (<usize>s << 2);
    const prev = load<i32>(p);
    if (prev != nh) {
      store<i32>(p, nh);
      markChanged(t, w0, w1, w2, w3, len);
    }
    return prev;
  }
  const count = hget(t, LPM_H_COUNT) + 1;
  const cap = hget(t, LPM_H_CAP);
  if (count * 5 > cap * 4) {
    resize(t, cap << 1);
    s = find(t, w0, w1, w2, w3, len);
  }
  putNew(t, <u32>(-s - 1), w0, w1, w2, w3, len, nh);
  hset(t, LPM_H_COUNT, count);
  markChanged(t, w0, w1, w2, w3, len);
  return -1;
}

/** Exact match: the next hop of (prefix, len) or -1. */
export function storeGet(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32): i32 {
  if (hget(t, LPM_H_WORDS) == 4) return get6(t, hi6(w0, w1), hi6(w2, w3), len);
  const s = find(t, w0, w1, w2, w3, len);
  return s >= 0 ? load<i32>(<usize>hget(t, LPM_H_NHS) + (<usize>s << 2)) : -1;
}

/** Removes (prefix, len); returns its next hop or -1 when absent. */
export function storeDelete(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32): i32 {
  if (hget(t, LPM_H_WORDS) == 4) return delete6(t, hi6(w0, w1), hi6(w2, w3), len);
  const s = find(t, w0, w1, w2, w3, len);
  if (s < 0) return -1;
  const nhs = <usize>hget(t, LPM_H_NHS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const words = hget(t, LPM_H_WORDS);
  const mask = hget(t, LPM_H_CAP) - 1;
  const prev = load<i32>(nhs + (<usize>s << 2));
  // Backward-shift deletion: pull later entries of the probe run into the hole.
  let hole = <u32>s;
  let j = hole;
  while (true) {
    j = (j + 1) & mask;
    const l = <u32>load<u8>(lens + j);
    if (l == 0) break;
    const home = hashKey(keyWord(t, j, 0), words == 4 ? keyWord(t, j, 1) : 0, words == 4 ? keyWord(t, j, 2) : 0, words == 4 ? keyWord(t, j, 3) : 0, l - 1) & mask;
    // The entry at j may move to the hole unless its home lies cyclically in (hole, j].
    const stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    memory.copy(keys + ((hole * words) << 2), keys + ((j * words) << 2), words << 2);
    store<u8>(lens + hole, <u8>l);
    store<i32>(nhs + (hole << 2), load<i32>(nhs + (j << 2)));
    hole = j;
  }
  store<u8>(lens + hole, 0);
  const count = hget(t, LPM_H_COUNT) - 1;
  hset(t, LPM_H_COUNT, count);
  markChanged(t, w0, w1, w2, w3, len);
  const cap = mask + 1;
  if (cap > MIN_CAP && count * 5 < cap) resize(t, cap >> 1);
  return prev;
}

/** Bytes the store's arrays occupy. */
export function storeBytes(t: usize): u32 {
  const cap = hget(t, LPM_H_CAP);
  return cap * hget(t, LPM_H_WORDS) * 4 + cap + cap * 4 + parentBytes(t);
}
