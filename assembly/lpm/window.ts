// The window: a second direct level for tables whose long prefixes all sit
// under one prefix P/L (a Calico IP pool such as 10.0.0.0/8). The main
// direct level must stay small for such tables (memory bound), so lookups
// inside the pool would walk several nodes before reaching the blocks. The
// window indexes the `winbits` bits after P/L (L + winbits lands on a node
// depth of the main trie) and holds, for each value, the entry the main trie
// reaches at that depth: a leaf, or the node to continue from. Addresses
// outside P/L use the main direct level. The window is only a shortcut into
// the same nodes, so it is correct for any content; it is recomputed after
// every rebuild and chosen anew at each full build.
import {
  LPM_H_WORDS, LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_DIR, LPM_H_DIRBITS, LPM_H_NODES, LPM_H_LEAVES,
  LPM_H_WINBITS, LPM_H_WINLEN, LPM_H_WINPREFIX, LPM_H_WIN, LPM_DIR_NODE, LPM_NODE_BYTES,
} from "../shared/lpm";
import { hget, hset } from "./header";

const NODE: u32 = LPM_DIR_NODE;
/** Largest window: 12 bits, 16 KiB. */
const MAX_WINBITS: u32 = 12;

/** Frees the window. */
export function freeWindow(t: usize): void {
  if (hget(t, LPM_H_WIN) != 0) heap.free(<usize>hget(t, LPM_H_WIN));
  hset(t, LPM_H_WIN, 0);
  hset(t, LPM_H_WINBITS, 0);
}

/** Chooses the window of an IPv4 table (direct level of s bits already chosen) and allocates it. */
export function chooseWindow(t: usize): void {
  freeWindow(t);
  if (hget(t, LPM_H_WORDS) != 1) return;
  const s = hget(t, LPM_H_DIRBITS);
  const cap = hget(t, LPM_H_CAP);
  const keys = <usize>hget(t, LPM_H_KEYS);
  const lens = <usize>hget(t, LPM_H_LENS);
  // Longest prefix shared by every prefix longer than s.
  let first: u32 = 0, diff: u32 = 0, minLen: u32 = 33;
  for (let i: u32 = 0; i < cap; i++) {
    const l = <u32>load<u8>(lens + i);
    if (l == 0 || l - 1 <= s) continue;
    const a = load<u32>(keys + (<usize>i << 2));
    if (minLen == 33) first = a;
    diff |= a ^ first;
    minLen = min<u32>(minLen, l - 1);
  }
  if (minLen == 33) return;
  const len = min<u32>(<u32>clz(diff), minLen);
  if (len == 0) return;
  // L + winbits must be a node depth of the main trie (s + 6k) and deeper than s.
  let bits = MAX_WINBITS;
  while (bits > 0 && ((len + bits) % 6 != s % 6 || len + bits > 32)) bits--;
  if (bits == 0 || len + bits <= s) return;
  hset(t, LPM_H_WINBITS, bits);
  hset(t, LPM_H_WINLEN, len);
  hset(t, LPM_H_WINPREFIX, first >>> (32 - len));
  hset(t, LPM_H_WIN, <u32>heap.alloc(<usize>4 << bits));
}

/** Recomputes the window entries from the main trie. */
export function fillWindow(t: usize): void {
  const bits = hget(t, LPM_H_WINBITS);
  if (bits == 0) return;
  const len = hget(t, LPM_H_WINLEN);
  const depth = len + bits;
  const base = hget(t, LPM_H_WINPREFIX) << (32 - len);
  const win = <usize>hget(t, LPM_H_WIN);
  const dir = <usize>hget(t, LPM_H_DIR);
  const s = hget(t, LPM_H_DIRBITS);
  const nodes = <usize>hget(t, LPM_H_NODES);
  const leaves = <usize>hget(t, LPM_H_LEAVES);
  const n: u32 = 1 << bits;
  for (let i: u32 = 0; i < n; i++) {
    const a = base | (i << (32 - depth));
    const key = (<u64>a) << 32;
    let e = load<u32>(dir + (<usize>(a >>> (32 - s)) << 2));
    let off = s;
    while ((e & NODE) != 0 && off < depth) {
      const np = nodes + <usize>(e & ~NODE) * LPM_NODE_BYTES;
      const v = (key >> (58 - off)) & 63;
      const below: u64 = ((<u64>2) << v) - 1;
      const vec = load<u64>(np);
      if (vec & ((<u64>1) << v)) e = NODE | (load<u32>(np, 16) + <u32>popcnt(vec & below) - 1);
      else e = load<u32>(leaves + ((<usize>(load<u32>(np, 20) + <u32>popcnt(load<u64>(np, 8) & below) - 1)) << 2));
      off += 6;
    }
    store<u32>(win + (<usize>i << 2), e);
  }
}

/** Bytes of the window. */
export function windowBytes(t: usize): u32 {
  return hget(t, LPM_H_WINBITS) == 0 ? 0 : (<u32>4) << hget(t, LPM_H_WINBITS);
}
