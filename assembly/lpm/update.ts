// Incremental refresh. Changes to the store are logged (changes.ts); the
// first lookup after changes applies each one to the lookup structure by
// rebuilding the smallest part that holds it: the node whose 6-bit span
// contains the prefix's last bits (its subtree, subtree.ts), or the direct
// entries the prefix covers (build.ts). A full rebuild happens instead when
// the log overflows, a prefix covers over 1/4 of the direct level, the table
// has doubled or halved since the last full build (the direct level should
// be resized), or garbage passes 1/8.
import {
  LPM_H_WORDS, LPM_H_DIRTY, LPM_H_DIR, LPM_H_DIRBITS, LPM_H_NCHANGES, LPM_H_CHANGES,
  LPM_H_NODES, LPM_H_NNODES, LPM_H_NLEAVES, LPM_H_GARBAGE_NODES, LPM_H_GARBAGE_LEAVES, LPM_NODE_BYTES, LPM_DIR_NODE,
} from "../shared/lpm";
import { hget, hset } from "./header";
import { build, rebuildRange } from "./build";
import { rebuildNode } from "./subtree";
import { chunk } from "./tmp";
import { fillWindow } from "./window";
import { refresh6 } from "./sorted6-lookup";

const NODE: u32 = LPM_DIR_NODE;

/** Applies one logged change; false when it took a full rebuild. */
function apply(t: usize, hi: u64, lo: u64, len: u32): bool {
  const s = hget(t, LPM_H_DIRBITS);
  const di = <u32>(hi >> (64 - s));
  if (len <= s) {
    const span: u32 = 1 << (s - len);
    if (span * 4 > (<u32>1) << s) {
      build(t);
      return false;
    }
    rebuildRange(t, di, span);
    return true;
  }
  const e = load<u32>(<usize>hget(t, LPM_H_DIR) + (<usize>di << 2));
  if ((e & NODE) == 0) {
    rebuildRange(t, di, 1);
    return true;
  }
  // Descend while the prefix lies inside one child of the current node.
  const nodes = <usize>hget(t, LPM_H_NODES);
  let x = e & ~NODE;
  let off = s;
  while (len > off + 6) {
    const np = nodes + <usize>x * LPM_NODE_BYTES;
    const v = chunk(hi, lo, off);
    const vec = load<u64>(np);
    if ((vec & ((<u64>1) << v)) == 0) break;
    x = load<u32>(np, 16) + <u32>popcnt(vec & (((<u64>2) << v) - 1)) - 1;
    off += 6;
  }
  rebuildNode(t, x, off, hi, lo);
  return true;
}

/** Brings the lookup structure up to date after changes. */
export function refresh(t: usize): void {
  const state = hget(t, LPM_H_DIRTY);
  if (state == 0) return;
  if (hget(t, LPM_H_WORDS) == 4) {
    refresh6(t);
    return;
  }
  if (state == 1) {
    build(t);
    return;
  }
  const v6 = hget(t, LPM_H_WORDS) == 4;
  const nc = hget(t, LPM_H_NCHANGES);
  for (let i: u32 = 0; i < nc; i++) {
    const p = LPM_H_CHANGES + i * 20;
    const hi: u64 = ((<u64>hget(t, p)) << 32) | (v6 ? <u64>hget(t, p + 4) : 0);
    const lo: u64 = v6 ? ((<u64>hget(t, p + 8)) << 32) | <u64>hget(t, p + 12) : 0;
    if (!apply(t, hi, lo, hget(t, p + 16))) return;
  }
  hset(t, LPM_H_NCHANGES, 0);
  hset(t, LPM_H_DIRTY, 0);
  if (hget(t, LPM_H_GARBAGE_NODES) * 8 > hget(t, LPM_H_NNODES) + 64 || hget(t, LPM_H_GARBAGE_LEAVES) * 8 > hget(t, LPM_H_NLEAVES) + 64) build(t);
  else fillWindow(t);
}
