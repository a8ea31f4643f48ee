// The poptrie's node and leaf arrays (layout in build.ts): growing them for
// appended nodes and leaves, giving back slack after a full build, and
// counting a subtree for garbage accounting. Shared by the full and range
// builds (build.ts) and by one node's rebuild (subtree.ts).
import { LPM_NODE_BYTES } from "../shared/lpm";
import { hget, hset } from "./header";

/** Counts the nodes and leaves of the subtree under node `x` (for garbage accounting): nodes << 32 | leaves. */
export function countSubtree(nodes: usize, x: u32): u64 {
  const np = nodes + <usize>x * LPM_NODE_BYTES;
  const vec = load<u64>(np);
  let total: u64 = (<u64>1 << 32) | <u64>popcnt(load<u64>(np, 8));
  const base = load<u32>(np, 16);
  const kids = <u32>popcnt(vec);
  for (let k: u32 = 0; k < kids; k++) total += countSubtree(nodes, base + k);
  return total;
}

/** Grows a u32/node array at header field `ptrOff` with capacity field `capOff` to hold `need` items of `size` bytes. */
export function reserve(t: usize, ptrOff: u32, capOff: u32, need: u32, size: u32): void {
  const cap = hget(t, capOff);
  if (need <= cap) return;
  const ncap = need + max<u32>(16, need >> 4);
  const old = <usize>hget(t, ptrOff);
  const p = old == 0 ? heap.alloc(<usize>ncap * size) : heap.realloc(old, <usize>ncap * size);
  hset(t, ptrOff, <u32>p);
  hset(t, capOff, ncap);
}

/** Gives back the capacity beyond `used` items (the reserve slack after a full build). */
export function shrink(t: usize, ptrOff: u32, capOff: u32, used: u32, size: u32): void {
  const n = max<u32>(used, 1);
  if (hget(t, capOff) <= n) return;
  hset(t, ptrOff, <u32>heap.realloc(<usize>hget(t, ptrOff), <usize>n * size));
  hset(t, capOff, n);
}
