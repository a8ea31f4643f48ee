// The sorted store's lookup side (the store itself is sorted6.ts): after
// changes, refresh6 merges the tail and computes each entry's parent and the
// bucket index; lookups then read only those.
//
// Lookup of address A (after refresh: no tail, no tombstones): the last
// entry whose key is <= A is either the longest match or lies inside it
// (sorted by start, the longest prefix containing A has the largest start
// among those that contain it, and any entry after it and <= A starts
// inside it, so is nested in it); walking that entry's parents (nearest
// enclosing prefix, computed at refresh with a stack) to the first one that
// contains A gives the longest match.
//
// The binary search is narrowed by a bucket index (refresh): all keys share
// a common prefix of C bits (the pool of a Calico table, 2001:db8::/32 ...);
// the next b bits, 2^b <= n/4, pick a bucket, and the index holds the first
// entry of each bucket (<= 1 B per prefix). A lookup inside the common
// prefix searches one bucket (a few entries) instead of the whole array:
// two cache misses instead of a chain of log2(n) dependent reads.
import {
  LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_DIRTY, LPM_H_USED, LPM_H_NSORTED, LPM_H_TOMBS, LPM_H_PARENTS, LPM_H_PARCAP,
  LPM_H_IDX, LPM_H_IDXBITS, LPM_H_IDXOFF, LPM_H_COMMON,
} from "../shared/lpm";
import { hget, hset } from "./header";
import { bitsAt } from "./tmp";
import { kHi, kLo, compact } from "./sorted6";

const NONE: u32 = 0xffffffff;

/** Whether the first `m` bits of a:b and c:d agree. */
@inline function samePrefix(ahi: u64, alo: u64, chi: u64, clo: u64, m: u32): bool {
  if (m == 0) return true;
  if (m < 64) return ((ahi ^ chi) >> (64 - m)) == 0;
  if (ahi != chi) return false;
  if (m == 64) return true;
  return ((alo ^ clo) >> (128 - m)) == 0;
}

/** Merges the tail, then computes each entry's parent (nearest enclosing prefix). */
export function refresh6(t: usize): void {
  if (hget(t, LPM_H_USED) != hget(t, LPM_H_NSORTED) || hget(t, LPM_H_TOMBS) != 0) compact(t);
  const n = hget(t, LPM_H_NSORTED);
  if (hget(t, LPM_H_PARENTS) != 0) heap.free(<usize>hget(t, LPM_H_PARENTS));
  const par = heap.alloc(<usize>max<u32>(n, 1) << 2);
  hset(t, LPM_H_PARENTS, <u32>par);
  hset(t, LPM_H_PARCAP, max<u32>(n, 1));
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
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
  buildIndex(t, n);
  hset(t, LPM_H_DIRTY, 0);
}

/** Number of leading bits where hi:lo and chi:clo agree. */
@inline function commonBits(ahi: u64, alo: u64, chi: u64, clo: u64): u32 {
  if (ahi != chi) return <u32>clz(ahi ^ chi);
  if (alo != clo) return 64 + <u32>clz(alo ^ clo);
  return 128;
}

/** Bucket of hi:lo: its b bits after the first c. */
@inline function bucketOf(hi: u64, lo: u64, c: u32, b: u32): u32 {
  return b == 0 ? 0 : <u32>bitsAt(hi, lo, c, b);
}

/** Builds the bucket index over the n sorted keys. */
function buildIndex(t: usize, n: u32): void {
  if (hget(t, LPM_H_IDX) != 0) heap.free(<usize>hget(t, LPM_H_IDX));
  const keys = <usize>hget(t, LPM_H_KEYS);
  let c: u32 = 128, b: u32 = 0;
  let start: u32 = 0, end: u32 = 0;
  if (n > 0) {
    // The common prefix of all but the first and last 1/64 of the keys: a
    // few short or outlying prefixes (a /24 in a table of /48-/128 under
    // 2001:db8::/32) must not shrink it to bits every key shares. Keys
    // sharing it are the contiguous range [start, end).
    const p0 = n >>> 6, p1 = n - 1 - (n >>> 6);
    const h0 = kHi(keys, p0), l0 = kLo(keys, p0);
    c = commonBits(h0, l0, kHi(keys, p1), kLo(keys, p1));
    start = p0;
    while (start > 0 && samePrefix(kHi(keys, start - 1), kLo(keys, start - 1), h0, l0, c)) start--;
    end = p1 + 1;
    while (end < n && samePrefix(kHi(keys, end), kLo(keys, end), h0, l0, c)) end++;
    while (b < 24 && ((<u32>4) << b) <= end - start) b++;
    b = min<u32>(b, 128 - c);
    memory.copy(t + LPM_H_COMMON, keys + (<usize>p0 << 4), 16);
  }
  const nb: u32 = (<u32>1) << b;
  const idx = heap.alloc(<usize>(nb + 1) << 2);
  let i = start;
  for (let v: u32 = 0; v < nb; v++) {
    while (i < end && bucketOf(kHi(keys, i), kLo(keys, i), c, b) < v) i++;
    store<u32>(idx + (<usize>v << 2), i);
  }
  store<u32>(idx + (<usize>nb << 2), end);
  hset(t, LPM_H_IDX, <u32>idx);
  hset(t, LPM_H_IDXBITS, b);
  hset(t, LPM_H_IDXOFF, c);
}

/** Longest-prefix match of hi:lo (the table must be refreshed). */
export function lookup6s(t: usize, hi: u64, lo: u64): i32 {
  const keys = <usize>hget(t, LPM_H_KEYS);
  let a: u32 = 0, b = hget(t, LPM_H_NSORTED);
  const c = hget(t, LPM_H_IDXOFF);
  const ch = t + LPM_H_COMMON;
  if (b != 0 && samePrefix(((<u64>load<u32>(ch)) << 32) | <u64>load<u32>(ch, 4), ((<u64>load<u32>(ch, 8)) << 32) | <u64>load<u32>(ch, 12), hi, lo, c)) {
    // Inside the common prefix: only the address's bucket can hold keys
    // between the previous bucket's (all below) and the next's (all above).
    const ip = <usize>hget(t, LPM_H_IDX) + (<usize>bucketOf(hi, lo, c, hget(t, LPM_H_IDXBITS)) << 2);
    a = load<u32>(ip);
    b = load<u32>(ip, 4);
  }
  // First entry whose key is > hi:lo.
  while (a < b) {
    const m = (a + b) >>> 1;
    const h = kHi(keys, m);
    if (h < hi || (h == hi && kLo(keys, m) <= lo)) a = m + 1;
    else b = m;
  }
  const lens = <usize>hget(t, LPM_H_LENS);
  const par = <usize>hget(t, LPM_H_PARENTS);
  let i = a - 1;
  while (i != NONE) {
    if (samePrefix(kHi(keys, i), kLo(keys, i), hi, lo, <u32>load<u8>(lens + i) - 1)) return load<i32>(<usize>hget(t, LPM_H_NHS) + (<usize>i << 2));
    i = load<u32>(par + (<usize>i << 2));
  }
  return -1;
}

/** `n` lookups: 4 network-order u32 words per address at `addrs`, i32 results to `out`. */
export function lookup6sBatch(t: usize, addrs: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const p = addrs + (<usize>i << 4);
    const hi = ((<u64>load<u32>(p)) << 32) | <u64>load<u32>(p, 4);
    const lo = ((<u64>load<u32>(p, 8)) << 32) | <u64>load<u32>(p, 12);
    store<i32>(out + (<usize>i << 2), lookup6s(t, hi, lo));
  }
}

/**
 * `n` IPv4 lookups on an IPv4 table kept in the sorted store (sparse
 * tables, see docs/lpm.md): u32 per address at `addrs`, the address is
 * the top 32 bits of the 128-bit key (IPv4 prefixes /0-/32 are stored so).
 */
export function lookup4sBatch(t: usize, addrs: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<i32>(out + (<usize>i << 2), lookup6s(t, (<u64>load<u32>(addrs + (<usize>i << 2))) << 32, 0));
  }
}
