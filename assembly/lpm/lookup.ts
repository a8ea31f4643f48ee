// Poptrie lookups (see build.ts for the layout). A lookup reads the direct
// level, then walks 6-bit nodes: if the address's chunk has a child bit in
// `vector`, the child index is base0 + popcount(vector up to the chunk) - 1;
// otherwise the leaf index is base1 + popcount(leafvec up to the chunk) - 1.
// Leaves hold nextHop + 1 (0 = no route), so the result is leaf - 1.
import {
  LPM_H_DIR, LPM_H_DIRBITS, LPM_H_NODES, LPM_H_LEAVES, LPM_H_WIN, LPM_H_WINBITS, LPM_H_WINLEN, LPM_H_WINPREFIX, LPM_DIR_NODE, LPM_NODE_BYTES,
} from "../shared/lpm";
import { hget } from "./header";

const NODE: u32 = LPM_DIR_NODE;
/** Addresses walked in lockstep by the batch lookup. */
const LANES = 32;

/** Where a lookup starts: the window when the address is inside it, else the direct level. */
@unmanaged class Start {
  dir: usize;
  s: u32;
  win: usize;
  wbits: u32;
  wlen: u32;
  wprefix: u32;
}

@inline function startOf(t: usize, st: Start): void {
  st.dir = <usize>hget(t, LPM_H_DIR);
  st.s = hget(t, LPM_H_DIRBITS);
  st.wbits = hget(t, LPM_H_WINBITS);
  st.win = <usize>hget(t, LPM_H_WIN);
  st.wlen = hget(t, LPM_H_WINLEN);
  st.wprefix = hget(t, LPM_H_WINPREFIX);
}

// Static scratch for the start parameters (no allocation in lookups).
const START = changetype<Start>(memory.data(offsetof<Start>()));

/** Finishes a lookup from entry `e` at chunk shift `off`; returns nextHop or -1. */
@inline function walkFrom(nodes: usize, leaves: usize, e: u32, off: u64, a: u32): i32 {
  const key = (<u64>a) << 32;
  while (e & NODE) {
    const np = nodes + <usize>(e & ~NODE) * LPM_NODE_BYTES;
    const v = (key >> off) & 63;
    const below: u64 = ((<u64>2) << v) - 1;
    const vec = load<u64>(np);
    if (vec & ((<u64>1) << v)) {
      e = NODE | (load<u32>(np, 16) + <u32>popcnt(vec & below) - 1);
      off -= 6;
      continue;
    }
    const lv = load<u64>(np, 8);
    return <i32>load<u32>(leaves + ((<usize>(load<u32>(np, 20) + <u32>popcnt(lv & below) - 1)) << 2)) - 1;
  }
  return <i32>e - 1;
}

@inline function walk4(dir: usize, s: u32, nodes: usize, leaves: usize, a: u32): i32 {
  const st = START;
  if (st.wbits != 0 && (a >>> (32 - st.wlen)) == st.wprefix) {
    return walkFrom(nodes, leaves, load<u32>(st.win + (<usize>((a << st.wlen) >>> (32 - st.wbits)) << 2)), <u64>(58 - st.wlen - st.wbits), a);
  }
  return walkFrom(nodes, leaves, load<u32>(dir + (<usize>(a >>> (32 - s)) << 2)), <u64>(58 - s), a);
}

/** Longest-prefix match of one IPv4 address (the table must be built). */
export function lookup4(t: usize, a: u32): i32 {
  startOf(t, START);
  return walk4(<usize>hget(t, LPM_H_DIR), hget(t, LPM_H_DIRBITS), <usize>hget(t, LPM_H_NODES), <usize>hget(t, LPM_H_LEAVES), a);
}


/**
 * `n` IPv4 lookups: u32 addresses at `addrs`, i32 next hops (or -1) to `out`.
 * Lookups run level-synchronously over blocks of LANES addresses: first all
 * first-level reads (window or direct level), then one node level at a time
 * for the lanes still on a node, with `out` holding each lane's current
 * entry. The reads of one level are independent of each other, so their
 * cache misses overlap instead of forming one dependent chain per address.
 * Tables with and without a window get separate loops (a loop-invariant
 * test in the hot loop cost 30% on tables without one).
 */
export function lookup4Batch(t: usize, addrs: usize, out: usize, n: i32): void {
  startOf(t, START);
  if (START.wbits != 0) {
    lookup4BatchWindow(t, addrs, out, n);
    return;
  }
  const dir = START.dir;
  const s = START.s;
  const ds = 32 - s;
  const nodes = <usize>hget(t, LPM_H_NODES);
  const leaves = <usize>hget(t, LPM_H_LEAVES);
  for (let b = 0; b < n; b += LANES) {
    const m = min(LANES, n - b);
    const ap = addrs + (<usize>b << 2);
    const op = out + (<usize>b << 2);
    let pending: u32 = 0;
    for (let k = 0; k < m; k++) {
      const e = load<u32>(dir + (<usize>(load<u32>(ap + (<usize>k << 2)) >>> ds) << 2));
      store<u32>(op + (<usize>k << 2), e);
      pending |= e;
    }
    let off: u64 = <u64>(58 - s);
    while (pending & NODE) {
      pending = 0;
      for (let k = 0; k < m; k++) {
        let e = load<u32>(op + (<usize>k << 2));
        if ((e & NODE) == 0) continue;
        const np = nodes + <usize>(e & ~NODE) * LPM_NODE_BYTES;
        const v = (((<u64>load<u32>(ap + (<usize>k << 2))) << 32) >> off) & 63;
        const below: u64 = ((<u64>2) << v) - 1;
        const vec = load<u64>(np);
        if (vec & ((<u64>1) << v)) {
          e = NODE | (load<u32>(np, 16) + <u32>popcnt(vec & below) - 1);
          pending = NODE;
        } else {
          e = load<u32>(leaves + ((<usize>(load<u32>(np, 20) + <u32>popcnt(load<u64>(np, 8) & below) - 1)) << 2));
        }
        store<u32>(op + (<usize>k << 2), e);
      }
      off -= 6;
    }
    for (let k = 0; k < m; k++) store<i32>(op + (<usize>k << 2), load<i32>(op + (<usize>k << 2)) - 1);
  }
}

/** The batch loop of a table with a window (see window.ts). */
function lookup4BatchWindow(t: usize, addrs: usize, out: usize, n: i32): void {
  const st = START;
  const dir = st.dir;
  const s = st.s;
  const ds = 32 - s;
  const win = st.win;
  const wbits = st.wbits;
  const wlen = st.wlen;
  const wprefix = st.wprefix;
  const wshift = 32 - wlen;
  const wds = 32 - wbits;
  const nodes = <usize>hget(t, LPM_H_NODES);
  const leaves = <usize>hget(t, LPM_H_LEAVES);
  // Every lane left on a node after the first phase is at the window's
  // depth: lanes outside the window that hit a node (only a long prefix
  // added outside it since the last full build causes that) are finished
  // on the spot.
  const off0: u64 = <u64>(58 - wlen - wbits);
  for (let b = 0; b < n; b += LANES) {
    const m = min(LANES, n - b);
    const ap = addrs + (<usize>b << 2);
    const op = out + (<usize>b << 2);
    let pending: u32 = 0;
    for (let k = 0; k < m; k++) {
      const a = load<u32>(ap + (<usize>k << 2));
      let e: u32;
      if ((a >>> wshift) == wprefix) e = load<u32>(win + (<usize>((a << wlen) >>> wds) << 2));
      else {
        e = load<u32>(dir + (<usize>(a >>> ds) << 2));
        if (e & NODE) e = <u32>(walkFrom(nodes, leaves, e, <u64>(58 - s), a) + 1);
      }
      store<u32>(op + (<usize>k << 2), e);
      pending |= e;
    }
    let off = off0;
    while (pending & NODE) {
      pending = 0;
      for (let k = 0; k < m; k++) {
        let e = load<u32>(op + (<usize>k << 2));
        if ((e & NODE) == 0) continue;
        const np = nodes + <usize>(e & ~NODE) * LPM_NODE_BYTES;
        const v = (((<u64>load<u32>(ap + (<usize>k << 2))) << 32) >> off) & 63;
        const below: u64 = ((<u64>2) << v) - 1;
        const vec = load<u64>(np);
        if (vec & ((<u64>1) << v)) {
          e = NODE | (load<u32>(np, 16) + <u32>popcnt(vec & below) - 1);
          pending = NODE;
        } else {
          e = load<u32>(leaves + ((<usize>(load<u32>(np, 20) + <u32>popcnt(load<u64>(np, 8) & below) - 1)) << 2));
        }
        store<u32>(op + (<usize>k << 2), e);
      }
      off -= 6;
    }
    for (let k = 0; k < m; k++) store<i32>(op + (<usize>k << 2), load<i32>(op + (<usize>k << 2)) - 1);
  }
}
