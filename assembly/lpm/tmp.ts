// The temporary, uncompressed trie that builds expand prefixes into: nodes
// of 64 u32 entries (leaf = nextHop + 1, or NODE | index), grown by
// doubling, freed after each layout. One per module instance: builds do not
// nest.
import { LPM_DIR_NODE } from "../shared/lpm";

const NODE: u32 = LPM_DIR_NODE;

let tmp: usize = 0;
let tmpCap: u32 = 0;
let tmpCount: u32 = 0;

/** The 6 bits at bit offset `off` (0 = most significant) of the 128-bit key hi:lo. */
@inline export function chunk(hi: u64, lo: u64, off: u32): u32 {
  if (off <= 58) return <u32>(hi >> (58 - off)) & 63;
  if (off < 64) return <u32>((hi << (off - 58)) | (lo >> (122 - off))) & 63;
  if (off <= 122) return <u32>(lo >> (122 - off)) & 63;
  return <u32>(lo << (off - 122)) & 63;
}

/** The `n` (<= 60) bits at bit offset `off` of the 128-bit key hi:lo. */
@inline export function bitsAt(hi: u64, lo: u64, off: u32, n: u32): u64 {
  let top: u64;
  if (off == 0) top = hi;
  else if (off < 64) top = (hi << off) | (lo >> (64 - off));
  else if (off == 64) top = lo;
  else top = lo << (off - 64);
  return top >> (64 - n);
}

/** A new temporary node with every entry set to `fill`; returns its index. */
export function newNode(fill: u32): u32 {
  if (tmpCount == tmpCap) {
    tmpCap = tmpCap == 0 ? 64 : tmpCap << 1;
    tmp = tmp == 0 ? heap.alloc(<usize>tmpCap << 8) : heap.realloc(tmp, <usize>tmpCap << 8);
  }
  const p = tmp + (<usize>tmpCount << 8);
  for (let k = 0; k < 64; k++) store<u32>(p + (k << 2), fill);
  return tmpCount++;
}

/** Address of entry `v` of temporary node `node`. */
@inline export function slotOf(node: u32, v: u32): usize {
  return tmp + (<usize>node << 8) + (<usize>v << 2);
}

/** Number of temporary nodes. */
export function tmpNodes(): u32 {
  return tmpCount;
}

/** Frees the temporary trie. */
export function tmpFree(): void {
  if (tmp != 0) heap.free(tmp);
  tmp = 0;
  tmpCap = 0;
  tmpCount = 0;
}

/**
 * Expands prefix hi:lo/len (len > off) under temporary node `node` at bit
 * depth `off`: creates the missing nodes (each inheriting the leaf it
 * replaces) and fills the entries the prefix covers in its last node.
 */
export function expandNode(node: u32, off: u32, hi: u64, lo: u64, len: u32, val: u32): void {
  while (true) {
    const v = chunk(hi, lo, off);
    if (len <= off + 6) {
      const n: u32 = 1 << (off + 6 - len);
      for (let k: u32 = 0; k < n; k++) store<u32>(slotOf(node, v + k), val);
      return;
    }
    const e = load<u32>(slotOf(node, v));
    if (e & NODE) node = e & ~NODE;
    else {
      const ch = newNode(e);
      store<u32>(slotOf(node, v), NODE | ch);
      node = ch;
    }
    off += 6;
  }
}

/** Leaves of temporary node `x` after leaf-vector compression. */
export function tmpLeaves(x: u32): u32 {
  let n: u32 = 0;
  let prev: u32 = 0xffffffff;
  for (let k: u32 = 0; k < 64; k++) {
    const e = load<u32>(slotOf(x, k));
    if (e & NODE) continue;
    if (e != prev) n++;
    prev = e;
  }
  return n;
}
