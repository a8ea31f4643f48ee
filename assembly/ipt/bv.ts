// Bit-vector classification (Lakshman & Stiliadis, "High-speed policy-based
// packet forwarding using efficient multi-dimensional range matching",
// SIGCOMM 1998): for a run of rules whose matches are all ranges over packet
// fields, each dimension is cut into elementary intervals and each interval
// holds the bit set of rules that accept it. The rules matching a packet are
// the AND of one vector per dimension; the first set bit at or after the
// current rule is the next matching rule, so first-match order (and resuming
// after a RETURN) is kept exactly.
import {
  H_CHUNKS, CHUNK_STRIDE, C_START, C_END, C_WORDS, C_CACHE, C_DIM, DIMS,
  P_SRC, P_DST, P_PROTO, P_SPORT, P_DPORT, P_IN, P_OUT,
} from "../shared/ipt";

// Packet field feeding each dimension, in C_DIM order.
@inline function dimValue(pkt: usize, d: i32): u32 {
  switch (d) {
    case 0: return load<u32>(pkt, P_SRC << 2);
    case 1: return load<u32>(pkt, P_DST << 2);
    case 2: return load<u32>(pkt, P_PROTO << 2);
    case 3: return load<u32>(pkt, P_SPORT << 2);
    case 4: return load<u32>(pkt, P_DPORT << 2);
    case 5: return load<u32>(pkt, P_IN << 2);
    default: return load<u32>(pkt, P_OUT << 2);
  }
}

/** Index of the elementary interval holding v: the last bound <= v (bounds[0] == 0). */
@inline function interval(bounds: usize, n: i32, v: u32): i32 {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (load<u32>(bounds + (<usize>mid << 2)) <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The first rule at or after `from` in chunk `ch` that matches the packet,
 * or the chunk's end. `stamp` identifies the packet's current field values:
 * the AND of the dimension vectors is cached under it.
 */
export function chunkNext(prog: usize, scratch: usize, ch: i32, from: i32, pkt: usize, stamp: i32): i32 {
  const rec = prog + (<usize>(load<i32>(prog, H_CHUNKS << 2) + ch * CHUNK_STRIDE) << 2);
  const start = load<i32>(rec, C_START << 2);
  const end = load<i32>(rec, C_END << 2);
  const words = load<i32>(rec, C_WORDS << 2);
  const cache = scratch + (<usize>load<i32>(rec, C_CACHE << 2) << 2);
  const acc = cache + 16;
  if (load<i32>(cache) != stamp) {
    memory.fill(acc, 0xff, <usize>words << 2);
    for (let d = 0; d < DIMS; d++) {
      const dr = rec + (<usize>(C_DIM + d * 3) << 2);
      const n = load<i32>(dr, 4);
      if (n == 0) continue;
      const j = interval(prog + (<usize>load<i32>(dr) << 2), n, dimValue(pkt, d));
      const vec = prog + (<usize>(load<i32>(dr, 8) + j * words) << 2);
      for (let k = 0; k < words; k += 4) {
        const o = <usize>k << 2;
        v128.store(acc + o, v128.and(v128.load(acc + o), v128.load(vec + o)));
      }
    }
    store<i32>(cache, stamp);
  }
  let bit = from - start;
  let wi = bit >>> 5;
  let word = load<u32>(acc + (<usize>wi << 2)) & (0xffffffff << (bit & 31));
  while (word == 0) {
    wi++;
    if (wi >= words) return end;
    word = load<u32>(acc + (<usize>wi << 2));
  }
  const r = start + (wi << 5) + <i32>ctz(word);
  return r < end ? r : end;
}
