// The change log. A change to the store is logged in the header (up to
// LPM_MAX_CHANGES) so that the next refresh (update.ts) rebuilds only the
// parts of the lookup structure the changes touch. The log gives up, and
// the table is marked for a full rebuild instead, when there is no lookup
// structure yet, when it overflows, or once the table has doubled or halved
// since the last full build (the direct level should be resized).
import { LPM_H_COUNT, LPM_H_DIRTY, LPM_H_DIR, LPM_H_NFULL, LPM_H_NCHANGES, LPM_H_CHANGES, LPM_MAX_CHANGES } from "../shared/lpm";
import { hget, hset } from "./header";

/** Records that prefix w0..w3/len changed. */
export function markChanged(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32): void {
  if (hget(t, LPM_H_DIRTY) == 1) return;
  const n = hget(t, LPM_H_COUNT);
  const nf = hget(t, LPM_H_NFULL);
  const nc = hget(t, LPM_H_NCHANGES);
  if (hget(t, LPM_H_DIR) == 0 || n > nf * 2 + 1024 || n * 2 + 1024 < nf || nc == <u32>LPM_MAX_CHANGES) {
    hset(t, LPM_H_DIRTY, 1);
    return;
  }
  const p = LPM_H_CHANGES + nc * 20;
  hset(t, p, w0);
  hset(t, p + 4, w1);
  hset(t, p + 8, w2);
  hset(t, p + 12, w3);
  hset(t, p + 16, len);
  hset(t, LPM_H_NCHANGES, nc + 1);
  hset(t, LPM_H_DIRTY, 2);
}
