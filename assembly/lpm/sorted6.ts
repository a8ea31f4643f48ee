// The IPv6 route table: one array of prefixes sorted by (address, length),
// which is both the prefix store and the lookup structure (issue #2: every
// table within 64 KiB + 32 B per prefix). A hash store plus a poptrie with
// skip nodes cost 88-99 B/prefix on sparse IPv6 tables (random /122 Calico
// blocks in a /48, random prefixes under a /32): each prefix needed its own
// chain of nodes. Here a prefix costs its slot (16 B key, 1 B length, 4 B
// next hop) times 1.125 slack, plus a 4 B parent index: ~28 B.
//
// Same struct-of-arrays as the IPv4 hash store (keys u32[cap * 4], lens u8[cap]
// = length + 1, nhs i32[cap]), so iteration is shared: slots [0, nsorted) are
// sorted, [nsorted, used) an unsorted tail of recent inserts, the rest empty
// (length 0). A removed sorted entry stays as a tombstone (next hop -1) so
// the order holds. get/insert/remove: binary search of the sorted part, then
// a scan of the tail. The tail and the tombstones are merged away (compact)
// when they reach 64 + n/64 entries, and before the first lookup after changes.
//
// Lookup of address A (after refresh: no tail, no tombstones): the last
// entry whose key is <= A is either the longest match or lies inside it
// (sorted by start, the longest prefix containing A has the largest start
// among those that contain it, and any entry after it and <= A starts
// inside it, so is nested in it); walking that entry's parents (nearest
// enclosing prefix, computed at refresh with a stack) to the first one that
// contains A gives the longest match.
import {
  LPM_H_COUNT, LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_DIRTY,
  LPM_H_USED, LPM_H_NSORTED, LPM_H_TOMBS, LPM_H_PARENTS, LPM_H_PARCAP,
} from "../shared/lpm";

const NONE: u32 = 0xffffffff;

@inline function hg(t: usize, off: u32): u32 {
  return load<u32>(t + off);
}
@inline function hs(t: usize, off: u32, v: u32): void {
  store<u32>(t + off, v);
}
@inline function kHi(keys: usize, i: u32): u64 {
  const k = keys + (<usize>i << 4);
  return ((<u64>load<u32>(k)) << 32) | <u64>load<u32>(k, 4);
}
@inline function kLo(keys: usize, i: u32): u64 {
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

/** Whether the first `m` bits of a:b and c:d agree. */
@inline function samePrefix(ahi: u64, alo: u64, chi: u64, clo: u64, m: u32): bool {
  if (m == 0) return true;
  if (m < 64) return ((ahi ^ chi) >> (64 - m)) == 0;
  if (ahi != chi) return false;
  if (m == 64) return true;
  return ((alo ^ clo) >> (128 - m)) == 0;
}

/** Slot of (hi, lo, len) (a tombstone included), or -1. */
function find6(t: usize, hi: u64, lo: u64, len: u32): i32 {
  const keys = <usize>hg(t, LPM_H_KEYS);
  const lens = <usize>hg(t, LPM_H_LENS);
  let a: u32 = 0, b = hg(t, LPM_H_NSORTED);
  while (a < b) {
    const m = (a + b) >>> 1;
    const c = cmpKey(keys, lens, m, hi, lo, len);
    if (c == 0) return <i32>m;
    if (c < 0) a = m + 1;
    else b = m;
  }
  const used = hg(t, LPM_H_USED);
  for (let i = hg(t, LPM_H_NSORTED); i < used; i++) {
    if (kHi(keys, i) == hi && kLo(keys, i) == lo && <u32>load<u8>(lens + i) == len + 1) return <i32>i;
  }
  return -1;
}

/** Tail plus tombstones allowed before a compaction. */
@inline function slack(t: usize): u32 {
  return 64 + (hg(t, LPM_H_COUNT) >>> 6);
}

/** Copies entry i of (keys, lens, nhs) to entry o of (nk, nl, nn). */
@inline function copyEntry(keys: usize, lens: usize, nhs: usize, i: u32, nk: usize, nl: usize, nn: usize, o: u32): void {
  memory.copy(nk + (<usize>o << 4), keys + (<usize>i << 4), 16);
  store<u8>(nl + o, load<u8>(lens + i));
  store<i32>(nn + (<usize>o << 2), load<i32>(nhs + (<usize>i << 2)));
}

/**
 * Sorts the tail (insertion sort: it holds at most 64 + n/64 entries) and
 * merges it with the live sorted entries into arrays of n + n/8 + 16 slots.
 */
function compact(t: usize): void {
  const keys = <usize>hg(t, LPM_H_KEYS);
  const lens = <usize>hg(t, LPM_H_LENS);
  const nhs = <usize>hg(t, LPM_H_NHS);
  const ns = hg(t, LPM_H_NSORTED);
  const used = hg(t, LPM_H_USED);
  const tmpK = heap.alloc(16);
  for (let i = ns + 1; i < used; i++) {
    const hi = kHi(keys, i), lo = kLo(keys, i);
    const l = <u32>load<u8>(lens + i) - 1;
    const nh = load<i32>(nhs + (<usize>i << 2));
    memory.copy(tmpK, keys + (<usize>i << 4), 16);
    let j = i;
    while (j > ns && cmpKey(keys, lens, j - 1, hi, lo, l) > 0) {
      copyEntry(keys, lens, nhs, j - 1, keys, lens, nhs, j);
      j--;
    }
    memory.copy(keys + (<usize>j << 4), tmpK, 16);
    store<u8>(lens + j, <u8>(l + 1));
    store<i32>(nhs + (<usize>j << 2), nh);
  }
  heap.free(tmpK);
  const n = hg(t, LPM_H_COUNT);
  const cap = n + (n >>> 3) + 16;
  const nk = heap.alloc(<usize>cap << 4);
  const nl = heap.alloc(cap);
  const nn = heap.alloc(<usize>cap << 2);
  memory.fill(nl, 0, cap);
  let i: u32 = 0, j = ns, o: u32 = 0;
  while (i < ns || j < used) {
    if (j >= used || (i < ns && cmpKey(keys, lens, i, kHi(keys, j), kLo(keys, j), <u32>load<u8>(lens + j) - 1) < 0)) {
      if (load<i32>(nhs + (<usize>i << 2)) != -1) copyEntry(keys, lens, nhs, i, nk, nl, nn, o++);
      i++;
    } else copyEntry(keys, lens, nhs, j++, nk, nl, nn, o++);
  }
  heap.free(keys);
  heap.free(lens);
  heap.free(nhs);
  hs(t, LPM_H_KEYS, <u32>nk);
  hs(t, LPM_H_LENS, <u32>nl);
  hs(t, LPM_H_NHS, <u32>nn);
  hs(t, LPM_H_CAP, cap);
  hs(t, LPM_H_USED, o);
  hs(t, LPM_H_NSORTED, o);
  hs(t, LPM_H_TOMBS, 0);
}

/** Inserts or replaces; returns the previous next hop or -1. */
export function put6(t: usize, hi: u64, lo: u64, len: u32, nh: i32): i32 {
  const i = find6(t, hi, lo, len);
  if (i >= 0) {
    const p = <usize>hg(t, LPM_H_NHS) + (<usize>i << 2);
    const prev = load<i32>(p);
    if (prev == nh) return prev;
    store<i32>(p, nh);
    if (prev == -1) {
      // A tombstone comes back to life.
      hs(t, LPM_H_TOMBS, hg(t, LPM_H_TOMBS) - 1);
      hs(t, LPM_H_COUNT, hg(t, LPM_H_COUNT) + 1);
    }
    hs(t, LPM_H_DIRTY, 1);
    return prev;
  }
  if (hg(t, LPM_H_USED) == hg(t, LPM_H_CAP) || hg(t, LPM_H_USED) - hg(t, LPM_H_NSORTED) + hg(t, LPM_H_TOMBS) >= slack(t)) compact(t);
  const u = hg(t, LPM_H_USED);
  const k = <usize>hg(t, LPM_H_KEYS) + (<usize>u << 4);
  store<u32>(k, <u32>(hi >> 32));
  store<u32>(k, <u32>hi, 4);
  store<u32>(k, <u32>(lo >> 32), 8);
  store<u32>(k, <u32>lo, 12);
  store<u8>(<usize>hg(t, LPM_H_LENS) + u, <u8>(len + 1));
  store<i32>(<usize>hg(t, LPM_H_NHS) + (<usize>u << 2), nh);
  hs(t, LPM_H_USED, u + 1);
  hs(t, LPM_H_COUNT, hg(t, LPM_H_COUNT) + 1);
  hs(t, LPM_H_DIRTY, 1);
  return -1;
}

/** Exact match: the next hop or -1. */
export function get6(t: usize, hi: u64, lo: u64, len: u32): i32 {
  const i = find6(t, hi, lo, len);
  return i < 0 ? -1 : load<i32>(<usize>hg(t, LPM_H_NHS) + (<usize>i << 2));
}

/** Removes; returns the next hop or -1 when absent. */
export function delete6(t: usize, hi: u64, lo: u64, len: u32): i32 {
  const i = find6(t, hi, lo, len);
  if (i < 0) return -1;
  const keys = <usize>hg(t, LPM_H_KEYS);
  const lens = <usize>hg(t, LPM_H_LENS);
  const nhs = <usize>hg(t, LPM_H_NHS);
  const prev = load<i32>(nhs + (<usize>i << 2));
  if (prev == -1) return -1;
  if (<u32>i < hg(t, LPM_H_NSORTED)) {
    store<i32>(nhs + (<usize>i << 2), -1);
    hs(t, LPM_H_TOMBS, hg(t, LPM_H_TOMBS) + 1);
  } else {
    // The tail is unordered: the last entry fills the hole.
    const last = hg(t, LPM_H_USED) - 1;
    copyEntry(keys, lens, nhs, last, keys, lens, nhs, <u32>i);
    store<u8>(lens + last, 0);
    hs(t, LPM_H_USED, last);
  }
  hs(t, LPM_H_COUNT, hg(t, LPM_H_COUNT) - 1);
  hs(t, LPM_H_DIRTY, 1);
  if (hg(t, LPM_H_USED) - hg(t, LPM_H_NSORTED) + hg(t, LPM_H_TOMBS) >= slack(t)) compact(t);
  return prev;
}

/** Merges the tail, then computes each entry's parent (nearest enclosing prefix). */
export function refresh6(t: usize): void {
  if (hg(t, LPM_H_USED) != hg(t, LPM_H_NSORTED) || hg(t, LPM_H_TOMBS) != 0) compact(t);
  const n = hg(t, LPM_H_NSORTED);
  if (hg(t, LPM_H_PARENTS) != 0) heap.free(<usize>hg(t, LPM_H_PARENTS));
  const par = heap.alloc(<usize>max<u32>(n, 1) << 2);
  hs(t, LPM_H_PARENTS, <u32>par);
  hs(t, LPM_H_PARCAP, max<u32>(n, 1));
  const keys = <usize>hg(t, LPM_H_KEYS);
  const lens = <usize>hg(t, LPM_H_LENS);
  // Stack of the enclosing prefixes of the current entry (at most 129 nested).
  const stack = heap.alloc(130 << 2);
  let sp: i32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const hi = kHi(keys, i), lo = kLo(keys, i);
    while (sp > 0) {
      const top = load<u32>(stack + (<usize>(sp - 1) << 2));
      if (samePrefix(kHi(keys, top), kLo(keys, top), hi, lo, <u32>load<u8>(lens + top) - 1)) break;
      sp--;
    }
    store<u32>(par + (<usize>i << 2), sp > 0 ? load<u32>(stack + (<usize>(sp - 1) << 2)) : NONE);
    store<u32>(stack + (<usize>sp << 2), i);
    sp++;
  }
  heap.free(stack);
  hs(t, LPM_H_DIRTY, 0);
}

/** Longest-prefix match of hi:lo (the table must be refreshed). */
export function lookup6s(t: usize, hi: u64, lo: u64): i32 {
  const keys = <usize>hg(t, LPM_H_KEYS);
  let a: u32 = 0, b = hg(t, LPM_H_NSORTED);
  // First entry whose key is > hi:lo.
  while (a < b) {
    const m = (a + b) >>> 1;
    const h = kHi(keys, m);
    if (h < hi || (h == hi && kLo(keys, m) <= lo)) a = m + 1;
    else b = m;
  }
  const lens = <usize>hg(t, LPM_H_LENS);
  const par = <usize>hg(t, LPM_H_PARENTS);
  let i = a - 1;
  while (i != NONE) {
    if (samePrefix(kHi(keys, i), kLo(keys, i), hi, lo, <u32>load<u8>(lens + i) - 1)) return load<i32>(<usize>hg(t, LPM_H_NHS) + (<usize>i << 2));
    i = load<u32>(par + (<usize>i << 2));
  }
  return -1;
}

/** Addresses searched in lockstep by the batch lookup. */
const LANES = 32;
// Per-lane search position (static scratch: no allocation in lookups).
const BASES = memory.data(LANES * 4);

/** Whether entry i's key is <= hi:lo. */
@inline function keyLE(keys: usize, i: u32, hi: u64, lo: u64): bool {
  const h = kHi(keys, i);
  return h < hi || (h == hi && kLo(keys, i) <= lo);
}

/**
 * `n` lookups: 4 network-order u32 words per address at `addrs`, i32
 * results to `out`. A branch-free binary search takes the same number of
 * steps (log2 n) for every address, so blocks of LANES addresses advance in
 * lockstep, one step at a time: the reads of one step are independent and
 * their cache misses overlap (on a 70k-prefix table, 1.1 MiB of keys, this
 * is what keeps a lookup near 100 ns instead of one miss chain per address).
 * The parent walk that follows is short and done per address.
 */
export function lookup6sBatch(t: usize, addrs: usize, out: usize, n: i32): void {
  const keys = <usize>hg(t, LPM_H_KEYS);
  const lens = <usize>hg(t, LPM_H_LENS);
  const nhs = <usize>hg(t, LPM_H_NHS);
  const par = <usize>hg(t, LPM_H_PARENTS);
  const ns = hg(t, LPM_H_NSORTED);
  for (let b = 0; b < n; b += LANES) {
    const m = min(LANES, n - b);
    const ap = addrs + (<usize>b << 4);
    const op = out + (<usize>b << 2);
    if (ns == 0) {
      for (let k = 0; k < m; k++) store<i32>(op + (<usize>k << 2), -1);
      continue;
    }
    memory.fill(BASES, 0, LANES * 4);
    let len = ns;
    while (len > 1) {
      const half = len >>> 1;
      for (let k = 0; k < m; k++) {
        const p = ap + (<usize>k << 4);
        const hi = ((<u64>load<u32>(p)) << 32) | <u64>load<u32>(p, 4);
        const lo = ((<u64>load<u32>(p, 8)) << 32) | <u64>load<u32>(p, 12);
        const bp = BASES + (<usize>k << 2);
        const j = load<u32>(bp) + half;
        if (keyLE(keys, j, hi, lo)) store<u32>(bp, j);
      }
      len -= half;
    }
    for (let k = 0; k < m; k++) {
      const p = ap + (<usize>k << 4);
      const hi = ((<u64>load<u32>(p)) << 32) | <u64>load<u32>(p, 4);
      const lo = ((<u64>load<u32>(p, 8)) << 32) | <u64>load<u32>(p, 12);
      const base = load<u32>(BASES + (<usize>k << 2));
      // base is the last entry <= the address unless base == 0 and entry 0 is above it.
      let i = keyLE(keys, base, hi, lo) ? base : NONE;
      let r: i32 = -1;
      while (i != NONE) {
        if (samePrefix(kHi(keys, i), kLo(keys, i), hi, lo, <u32>load<u8>(lens + i) - 1)) {
          r = load<i32>(nhs + (<usize>i << 2));
          break;
        }
        i = load<u32>(par + (<usize>i << 2));
      }
      store<i32>(op + (<usize>k << 2), r);
    }
  }
}

/** Bytes of the parent array (the store's arrays are counted by storeBytes). */
export function parentBytes(t: usize): u32 {
  return hg(t, LPM_H_PARCAP) << 2;
}

/** Frees the parent array. */
export function free6(t: usize): void {
  if (hg(t, LPM_H_PARENTS) != 0) heap.free(<usize>hg(t, LPM_H_PARENTS));
  hs(t, LPM_H_PARENTS, 0);
  hs(t, LPM_H_PARCAP, 0);
}
