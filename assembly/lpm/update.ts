// Change tracking: which part of the lookup structure a store change makes
// stale. A prefix of length len <= s covers 2^(s - len) direct entries;
// a longer one lies under one entry. Up to LPM_MAX_RANGES disjoint dirty
// ranges are kept (overlapping or adjacent ones merge); beyond that, or for
// a range over 1/4 of the direct level, or when the table has doubled or
// halved since the last full build (the direct level should be resized),
// the next lookup rebuilds everything.
import {
  LPM_H_WORDS, LPM_H_COUNT, LPM_H_DIRTY, LPM_H_DIR, LPM_H_DIRBITS, LPM_H_NFULL, LPM_H_NRANGES, LPM_H_RANGES, LPM_MAX_RANGES,
} from "../shared/lpm";
import { hget, hset } from "./store";

/** Records that prefix w0..w3/len changed. */
export function markChanged(t: usize, w0: u32, w1: u32, len: u32): void {
  if (hget(t, LPM_H_DIRTY) == 1) return;
  const n = hget(t, LPM_H_COUNT);
  const nf = hget(t, LPM_H_NFULL);
  if (hget(t, LPM_H_DIR) == 0 || n > nf * 2 + 1024 || n * 2 + 1024 < nf) {
    hset(t, LPM_H_DIRTY, 1);
    return;
  }
  const s = hget(t, LPM_H_DIRBITS);
  const hi: u64 = hget(t, LPM_H_WORDS) == 1 ? (<u64>w0) << 32 : ((<u64>w0) << 32) | <u64>w1;
  let d0 = <u32>(hi >> (64 - s));
  let end: u32 = d0 + (len <= s ? (<u32>1) << (s - len) : 1);
  if ((end - d0) * 4 > (<u32>1) << s) {
    hset(t, LPM_H_DIRTY, 1);
    return;
  }
  let nr = hget(t, LPM_H_NRANGES);
  // Merge with every range it overlaps or touches; the result replaces them.
  let r: u32 = 0;
  while (r < nr) {
    const rp = LPM_H_RANGES + r * 8;
    const a = hget(t, rp);
    const b = a + hget(t, rp + 4);
    if (a <= end && d0 <= b) {
      d0 = min<u32>(a, d0);
      end = max<u32>(b, end);
      nr--;
      const lp = LPM_H_RANGES + nr * 8;
      hset(t, rp, hget(t, lp));
      hset(t, rp + 4, hget(t, lp + 4));
      continue;
    }
    r++;
  }
  if (nr == <u32>LPM_MAX_RANGES || (end - d0) * 4 > (<u32>1) << s) {
    hset(t, LPM_H_DIRTY, 1);
    return;
  }
  hset(t, LPM_H_RANGES + nr * 8, d0);
  hset(t, LPM_H_RANGES + nr * 8 + 4, end - d0);
  hset(t, LPM_H_NRANGES, nr + 1);
  hset(t, LPM_H_DIRTY, 2);
}
