// The IPv6 route table: one array of prefixes sorted by (address, length),
// which is both the prefix store and the lookup structure (so that every
// table stays within 64 KiB + 32 B per prefix). A hash store plus a poptrie
// with skip nodes cost 88-99 B/prefix on sparse IPv6 tables (random /122
// Calico blocks in a /48, random prefixes under a /32): each prefix needed
// its own chain of nodes. Here a prefix costs its slot (16 B key, 1 B
// length, 4 B next hop) times 1.125 slack, plus a 4 B parent index: ~28 B.
//
// Same struct-of-arrays as the IPv4 hash store (keys u32[cap * 4], lens u8[cap]
// = length + 1, nhs i32[cap]), so iteration is shared: slots [0, nsorted) are
// sorted, [nsorted, used) an unsorted tail of recent inserts, the rest empty
// (length 0). A removed sorted entry stays as a tombstone (next hop -1) so
// the order holds. get/insert/remove: binary search of the sorted part, then
// a scan of the tail. The tail and the tombstones are merged away (compact)
// when they reach 64 + n/64 entries, and before the first lookup after changes.
// The parents, the bucket index and the lookups are in sorted6-lookup.ts.
import {
  LPM_H_COUNT, LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_DIRTY,
  LPM_H_USED, LPM_H_NSORTED, LPM_H_TOMBS, LPM_H_PARENTS, LPM_H_PARCAP, LPM_H_IDX, LPM_H_IDXBITS,
} from "../shared/lpm";
import { hget, hset } from "./header";

/** Entry i's key, high and low 64 bits. */
@inline export function kHi(keys: usize, i: u32): u64 {
  const k = keys + (<usize>i << 4);
  return ((<u64>load<u32>(k)) << 32) | <u64>load<u32>(k, 4);
}
@inline export function kLo(keys: usize, i: u32): u64 {
  const k = keys + (<usize>i << 4);
  return ((<u64>load<u32>(k, 8)) << 32) | <u64>load<u32>(k, 12);
}

/** Order of entry i against (hi, lo, len): -1, 0, 1. */
@inline function cmpKey(keys: usize, lens: usize, i: u32, hi: u64, lo: u64, len: u32): i32 {
  const a = kHi(keys, i);
  if (a != hi) return a < hi ? -1 : 1;
  const b = kLo(keys, i);
  if (b != lo) return b < lo ? -1 : 1;
  const l = <u32>load<u8>(lens + i) - 1;
  return l < len ? -1 : l > len ? 1 : 0;
}

/** Slot of (hi, lo, len) (a tombstone included), or -1. */
function find6(t: usize, hi: u64, lo: u64, len: u32): i32 {
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  let a: u32 = 0, b = hget(t, LPM_H_NSORTED);
  while (a < b) {
    const m = (a + b) >>> 1;
    const c = cmpKey(keys, lens, m, hi, lo, len);
    if (c == 0) return <i32>m;
    if (c < 0) a = m + 1;
    else b = m;
  }
  const used = hget(t, LPM_H_USED);
  for (let i = hget(t, LPM_H_NSORTED); i < used; i++) {
    if (kHi(keys, i) == hi && kLo(keys, i) == lo && <u32>load<u8>(lens + i) == len + 1) return <i32>i;
  }
  return -1;
}

/** Tail plus tombstones allowed before a compaction. */
@inline function slack(t: usize): u32 {
  return 64 + (hget(t, LPM_H_COUNT) >>> 6);
}

/** Copies entry i of (keys, lens, nhs) to entry o of (nk, nl, nn). */
@inline function copyEntry(keys: usize, lens: usize, nhs: usize, i: u32, nk: usize, nl: usize, nn: usize, o: u32): void {
  memory.copy(nk + (<usize>o << 4), keys + (<usize>i << 4), 16);
  store<u8>(nl + o, load<u8>(lens + i));
  store<i32>(nn + (<usize>o << 2), load<i32>(nhs + (<usize>i << 2)));
}

/** Whether entry a sorts before entry b. */
@inline function before(keys: usize, lens: usize, a: u32, b: u32): bool {
  return cmpKey(keys, lens, a, kHi(keys, b), kLo(keys, b), <u32>load<u8>(lens + b) - 1) < 0;
}

/** Heap sift-down over the u32 entry indices at `idx` (a max-heap of `n`). */
function siftDown(keys: usize, lens: usize, idx: usize, root: u32, n: u32): void {
  while (true) {
    let c = root * 2 + 1;
    if (c >= n) return;
    const pc = idx + (<usize>c << 2);
    if (c + 1 < n && before(keys, lens, load<u32>(pc), load<u32>(pc, 4))) c++;
    const pr = idx + (<usize>root << 2);
    const pk = idx + (<usize>c << 2);
    const r = load<u32>(pr), k = load<u32>(pk);
    if (!before(keys, lens, r, k)) return;
    store<u32>(pr, k);
    store<u32>(pk, r);
    root = c;
  }
}

/**
 * Sorts the tail's entry indices (heapsort, O(t log t) without extra
 * memory beyond the index array) and merges the tail with the live sorted
 * entries into arrays of n + n/8 + 16 slots.
 */
export function compact(t: usize): void {
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const nhs = <usize>hget(t, LPM_H_NHS);
  const ns = hget(t, LPM_H_NSORTED);
  const used = hget(t, LPM_H_USED);
  const tn = used - ns;
  const idx = heap.alloc(<usize>max<u32>(tn, 1) << 2);
  for (let i: u32 = 0; i < tn; i++) store<u32>(idx + (<usize>i << 2), ns + i);
  for (let i = tn >>> 1; i > 0; i--) siftDown(keys, lens, idx, i - 1, tn);
  for (let e = tn; e > 1; e--) {
    const last = idx + (<usize>(e - 1) << 2);
    const top = load<u32>(idx);
    store<u32>(idx, load<u32>(last));
    store<u32>(last, top);
    siftDown(keys, lens, idx, 0, e - 1);
  }
  const n = hget(t, LPM_H_COUNT);
  const cap = n + (n >>> 3) + 16;
  const nk = heap.alloc(<usize>cap << 4);
  const nl = heap.alloc(cap);
  const nn = heap.alloc(<usize>cap << 2);
  memory.fill(nl, 0, cap);
  let i: u32 = 0, j: u32 = 0, o: u32 = 0;
  while (i < ns || j < tn) {
    if (j >= tn || (i < ns && before(keys, lens, i, load<u32>(idx + (<usize>j << 2))))) {
      if (load<i32>(nhs + (<usize>i << 2)) != -1) copyEntry(keys, lens, nhs, i, nk, nl, nn, o++);
      i++;
    } else copyEntry(keys, lens, nhs, load<u32>(idx + (<usize>(j++) << 2)), nk, nl, nn, o++);
  }
  heap.free(idx);
  heap.free(keys);
  heap.free(lens);
  heap.free(nhs);
  hset(t, LPM_H_KEYS, <u32>nk);
  hset(t, LPM_H_LENS, <u32>nl);
  hset(t, LPM_H_NHS, <u32>nn);
  hset(t, LPM_H_CAP, cap);
  hset(t, LPM_H_USED, o);
  hset(t, LPM_H_NSORTED, o);
  hset(t, LPM_H_TOMBS, 0);
}

/** Inserts or replaces; returns the previous next hop or -1. */
export function put6(t: usize, hi: u64, lo: u64, len: u32, nh: i32): i32 {
  const i = find6(t, hi, lo, len);
  if (i >= 0) {
    const p = <usize>hget(t, LPM_H_NHS) + (<usize>i << 2);
    const prev = load<i32>(p);
    if (prev == nh) return prev;
    store<i32>(p, nh);
    if (prev == -1) {
      // A tombstone comes back to life.
      hset(t, LPM_H_TOMBS, hget(t, LPM_H_TOMBS) - 1);
      hset(t, LPM_H_COUNT, hget(t, LPM_H_COUNT) + 1);
    }
    hset(t, LPM_H_DIRTY, 1);
    return prev;
  }
  if (hget(t, LPM_H_USED) == hget(t, LPM_H_CAP) || hget(t, LPM_H_USED) - hget(t, LPM_H_NSORTED) + hget(t, LPM_H_TOMBS) >= slack(t)) compact(t);
  const u = hget(t, LPM_H_USED);
  const k = <usize>hget(t, LPM_H_KEYS) + (<usize>u << 4);
  store<u32>(k, <u32>(hi >> 32));
  store<u32>(k, <u32>hi, 4);
  store<u32>(k, <u32>(lo >> 32), 8);
  store<u32>(k, <u32>lo, 12);
  store<u8>(<usize>hget(t, LPM_H_LENS) + u, <u8>(len + 1));
  store<i32>(<usize>hget(t, LPM_H_NHS) + (<usize>u << 2), nh);
  hset(t, LPM_H_USED, u + 1);
  hset(t, LPM_H_COUNT, hget(t, LPM_H_COUNT) + 1);
  hset(t, LPM_H_DIRTY, 1);
  return -1;
}

/** Exact match: the next hop or -1. */
export function get6(t: usize, hi: u64, lo: u64, len: u32): i32 {
  const i = find6(t, hi, lo, len);
  return i < 0 ? -1 : load<i32>(<usize>hget(t, LPM_H_NHS) + (<usize>i << 2));
}

/** Removes; returns the next hop or -1 when absent. */
export function delete6(t: usize, hi: u64, lo: u64, len: u32): i32 {
  const i = find6(t, hi, lo, len);
  if (i < 0) return -1;
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  const nhs = <usize>hget(t, LPM_H_NHS);
  const prev = load<i32>(nhs + (<usize>i << 2));
  if (prev == -1) return -1;
  if (<u32>i < hget(t, LPM_H_NSORTED)) {
    store<i32>(nhs + (<usize>i << 2), -1);
    hset(t, LPM_H_TOMBS, hget(t, LPM_H_TOMBS) + 1);
  } else {
    // The tail is unordered: the last entry fills the hole.
    const last = hget(t, LPM_H_USED) - 1;
    copyEntry(keys, lens, nhs, last, keys, lens, nhs, <u32>i);
    store<u8>(lens + last, 0);
    hset(t, LPM_H_USED, last);
  }
  hset(t, LPM_H_COUNT, hget(t, LPM_H_COUNT) - 1);
  hset(t, LPM_H_DIRTY, 1);
  if (hget(t, LPM_H_USED) - hget(t, LPM_H_NSORTED) + hget(t, LPM_H_TOMBS) >= slack(t)) compact(t);
  return prev;
}

/** Bytes of the parent array and the bucket index (the store's arrays are counted by storeBytes). */
export function parentBytes(t: usize): u32 {
  return (hget(t, LPM_H_PARCAP) << 2) + (hget(t, LPM_H_IDX) != 0 ? (((<u32>1) << hget(t, LPM_H_IDXBITS)) + 1) << 2 : 0);
}

/** Frees the parent array. */
export function free6(t: usize): void {
  if (hget(t, LPM_H_PARENTS) != 0) heap.free(<usize>hget(t, LPM_H_PARENTS));
  hset(t, LPM_H_PARENTS, 0);
  hset(t, LPM_H_PARCAP, 0);
  if (hget(t, LPM_H_IDX) != 0) heap.free(<usize>hget(t, LPM_H_IDX));
  hset(t, LPM_H_IDX, 0);
}
