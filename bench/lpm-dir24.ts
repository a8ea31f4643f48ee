/**
 * The JavaScript baseline: a flat DIR-24-8 table (Gupta, Lin & McKeown,
 * INFOCOM 1998) in typed arrays. `tbl24` has one Int32 per /24: nextHop + 1
 * (0 = no route) or, when negative, -(group + 1) where `tblLong` holds the 256
 * entries of that /24. One or two memory reads per lookup; 64 MiB for tbl24.
 */
import type { Prefixes } from './lpm-tables.js';

export class Dir248 {
  readonly tbl24 = new Int32Array(1 << 24);
  tblLong = new Int32Array(256 * 64);
  private groups = 0;

  /** Builds from prefixes (taken by increasing length, so longer ones overwrite shorter). */
  constructor(p: Prefixes) {
    const order = Array.from({ length: p.count }, (_, i) => i).sort((x, y) => p.lens[x] - p.lens[y]);
    for (const i of order) {
      const a = p.addrs[i];
      const len = p.lens[i];
      const v = p.nhs[i] + 1;
      if (len <= 24) {
        this.tbl24.fill(v, a >>> 8, (a >>> 8) + 2 ** (24 - len));
        continue;
      }
      let e = this.tbl24[a >>> 8];
      if (e >= 0) {
        if ((this.groups + 1) * 256 > this.tblLong.length) {
          const bigger = new Int32Array(this.tblLong.length * 2);
          bigger.set(this.tblLong);
          this.tblLong = bigger;
        }
        this.tblLong.fill(e, this.groups * 256, this.groups * 256 + 256);
        e = -(++this.groups);
        this.tbl24[a >>> 8] = e;
      }
      const base = (-e - 1) * 256 + (a & 255);
      this.tblLong.fill(v, base, base + 2 ** (32 - len));
    }
  }

  /** Bytes of the two tables. */
  get memoryBytes(): number {
    return this.tbl24.byteLength + this.groups * 256 * 4;
  }

  /** Looks up `n` addresses into `out` (next hop or -1). */
  lookupBatch(addrs: Uint32Array, out: Int32Array, n = addrs.length): void {
    const t24 = this.tbl24;
    const tl = this.tblLong;
    for (let i = 0; i < n; i++) {
      const a = addrs[i];
      let e = t24[a >>> 8];
      if (e < 0) e = tl[((-e - 1) << 8) | (a & 255)];
      out[i] = e - 1;
    }
  }
}
