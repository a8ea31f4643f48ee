/**
 * `RouteTable`: a longest-prefix-match route table for IPv4 or IPv6 whose
 * prefix store and lookup structure (a poptrie, see docs/lpm.md) live in the
 * WASM memory of a {@link Core}. Many tables can share one core.
 *
 * ```ts
 * const core = await createCore();
 * const table = new RouteTable(core, { family: 4 });
 * table.insert('10.0.0.0/8', 1);
 * table.lookup('10.1.2.3'); // 1
 * ```
 *
 * Every argument is validated before WASM is called, and a bad argument
 * throws an {@link InputError} with the table unchanged. Changes mark the
 * lookup structure stale; it is rebuilt on the first lookup after them.
 */
import type { Core } from '../core/core.js';
import { CnikitError, InputError } from '../core/errors.js';
import { formatCidr, maskV4, maskV6, parseCidr, type Cidr, type Ip6 } from '../net/ip.js';
import {
  LPM_H_CAP, LPM_H_KEYS, LPM_H_LENS, LPM_H_NHS, LPM_H_WORDS, LPM_H_DIRTY,
} from '../../assembly/shared/lpm.js';
import { addressOf, checkNextHop, cidrArg, compareCidr, describeArg, familyArg, type Family, type Route } from './reference.js';

/** The WASM exports of the LPM kernel (assembly/lpm/index.ts). */
interface LpmExports {
  lpm_create(family: number): number;
  lpm_destroy(t: number): void;
  lpm_insert(t: number, w0: number, w1: number, w2: number, w3: number, len: number, nh: number): number;
  lpm_remove(t: number, w0: number, w1: number, w2: number, w3: number, len: number): number;
  lpm_get(t: number, w0: number, w1: number, w2: number, w3: number, len: number): number;
  lpm_build(t: number): void;
  lpm_size(t: number): number;
  lpm_memory(t: number): number;
  lpm_lookup4(t: number, a: number): number;
  lpm_lookup4_batch(t: number, addrs: number, out: number, n: number): void;
  lpm_lookup6(t: number, w0: number, w1: number, w2: number, w3: number): number;
  lpm_lookup6_batch(t: number, addrs: number, out: number, n: number): void;
  lpm_lookup4s_batch(t: number, addrs: number, out: number, n: number): void;
  lpm_over_budget(t: number): number;
}

/** Options of a {@link RouteTable}. */
export interface RouteTableOptions {
  /** Address family: 4 (default) or 6. */
  family?: Family;
  /**
   * IPv4 lookup structure. `'auto'` (default): a poptrie, replaced for good
   * by the sorted prefix array of IPv6 tables as soon as the poptrie and
   * its hash store would use more than 64 KiB + 32 B per prefix (sparse,
   * random-looking tables; see docs/lpm.md). `'sorted'`: the sorted array
   * from the start (for tables known to be sparse, and for tests).
   * `'poptrie'`: always the poptrie (fastest lookups, but a sparse table
   * may then exceed the bound). IPv6 tables are always sorted arrays.
   */
  structure?: 'auto' | 'sorted' | 'poptrie';
}

/** A WASM-backed longest-prefix-match table. Call {@link dispose} to free its memory. */
export class RouteTable implements Iterable<Route> {
  /**
   * Most addresses per WASM call and per {@link batchView}: 4,194,304
   * (a 32 MiB IPv4 / 80 MiB IPv6 batch buffer). `lookupBatch` splits larger
   * arrays into calls of this size.
   */
  static maxBatch = 1 << 22;
  /** Address family of every prefix and address. */
  readonly family: Family;
  private readonly core: Core;
  private readonly x: LpmExports;
  private handle: number;
  /** Batch buffer: `batchCap` addresses (4 or 16 bytes each) then `batchCap` i32 results. */
  private batchPtr = 0;
  private batchCap = 0;
  /** IPv4 table kept in the sorted (IPv6-layout) store: key = address in the top 32 bits of 128. */
  private sorted4 = false;
  /** `structure: 'auto'` (IPv4): may move between poptrie and sorted store. */
  private auto = false;
  /** Sizes (exclusive) between which a sorted 'auto' IPv4 table does not retry the poptrie. */
  private retryLow = 0;
  private retryHigh = 0;

  /** Creates an empty table in `core`'s memory. */
  constructor(core: Core, opts: RouteTableOptions = {}) {
    const family = familyArg(opts);
    this.family = family;
    this.core = core;
    this.x = core.exports as unknown as LpmExports;
    const structure = opts.structure ?? 'auto';
    if (structure !== 'auto' && structure !== 'sorted' && structure !== 'poptrie') throw new InputError('InvalidStructure', String(structure), "structure 'auto', 'sorted' or 'poptrie'");
    this.sorted4 = family === 4 && structure === 'sorted';
    this.auto = family === 4 && structure === 'auto';
    this.handle = core.guard(() => this.x.lpm_create(this.sorted4 ? 6 : family));
  }

  /**
   * The lookup structure in use: `'poptrie'` (IPv4 default) or `'sorted'`
   * (IPv6 tables, IPv4 tables created so or moved there by the memory bound).
   */
  get structure(): 'poptrie' | 'sorted' {
    return this.family === 4 && !this.sorted4 ? 'poptrie' : 'sorted';
  }

  /**
   * Issue #2 bounds a table to 64 KiB + 32 B per prefix. A poptrie over a
   * sparse, random-looking IPv4 table needs a node chain per prefix (up to
   * 66 B/prefix), so such a table moves, once and for good, to the sorted
   * array (~29 B/prefix at any shape). Checked after each insert and each
   * rebuild (never per lookup). A table that grew or shrank since (by 1/4,
   * or to half) tries the poptrie again at its next rebuild and keeps it if
   * it fits: a Calico table is over the bound at some sizes while it grows
   * (44 B/prefix at 8,192 prefixes) and back under it when complete.
   */
  private checkBudget(t: number): void {
    if (!this.auto || this.sorted4 || this.x.lpm_over_budget(t) === 0) return;
    this.moveTo(t, 6);
  }

  /** Copies the routes of table `t` into a new table of layout `family` (6 = sorted store) and frees `t`. */
  private moveTo(t: number, family: 4 | 6): number {
    return this.core.guard(() => {
      const next = this.x.lpm_create(family);
      for (const r of this.rawRoutes(t)) this.x.lpm_insert(next, r.c.addr as number, 0, 0, 0, r.c.len, r.nextHop);
      this.x.lpm_build(next);
      const n = this.x.lpm_size(next);
      if (family === 4 && this.x.lpm_over_budget(next) !== 0) {
        this.x.lpm_destroy(next);
        this.retryLow = n >>> 1;
        this.retryHigh = n + (n >>> 2) + 1;
        return t;
      }
      this.x.lpm_destroy(t);
      this.handle = next;
      this.sorted4 = family === 6;
      this.retryLow = n >>> 1;
      this.retryHigh = n + (n >>> 2) + 1;
      return next;
    });
  }

  private get t(): number {
    if (this.handle === 0) throw new CnikitError('Disposed', 'this RouteTable was disposed');
    this.core.check();
    return this.handle;
  }

  private words(c: Cidr): [number, number, number, number] {
    return c.family === 4 ? [c.addr, 0, 0, 0] : c.addr;
  }

  /**
   * Adds `cidr` with `nextHop` (an integer 0..2147483646), replacing the next
   * hop if the prefix is already there (like `ip route replace`). A bare
   * address means a host route (/32, /128).
   */
  insert(cidr: string, nextHop: number): void {
    checkNextHop(nextHop);
    const c = cidrArg(cidr, this.family);
    const t = this.t;
    const [w0, w1, w2, w3] = this.words(c);
    this.core.guard(() => this.x.lpm_insert(t, w0, w1, w2, w3, c.len, nextHop));
    this.checkBudget(t);
  }

  /**
   * Numeric fast path of {@link insert} for bulk loads: `addr` is a u32
   * (IPv4) or four words (IPv6), `len` the prefix length. Host bits set is
   * an error, as in `insert`.
   */
  insertPrefix(addr: number | Ip6, len: number, nextHop: number): void {
    checkNextHop(nextHop);
    const a = addressOf(addr, this.family);
    const max = this.family === 4 ? 32 : 128;
    if (!Number.isInteger(len) || len < 0 || len > max) throw new InputError('InvalidPrefixLength', describeArg(len), `a prefix length 0..${max}`);
    const c = (this.family === 4 ? { family: 4, addr: a, len } : { family: 6, addr: a, len }) as Cidr;
    const w = this.words(c);
    const masked = typeof a === 'number' ? [(a & maskV4(len)) >>> 0] : maskV6(a, len);
    if (masked.some((m, i) => m !== w[i])) throw new InputError('InvalidPrefix', formatCidr(c), 'invalid prefix for given prefix length', { char: 0 });
    const t = this.t;
    this.core.guard(() => this.x.lpm_insert(t, w[0], w[1], w[2], w[3], len, nextHop));
    this.checkBudget(t);
  }

  /** Removes exactly `cidr`; returns whether it was there. The covering prefix then matches again. */
  remove(cidr: string): boolean {
    const c = cidrArg(cidr, this.family);
    const t = this.t;
    const [w0, w1, w2, w3] = this.words(c);
    return this.core.guard(() => this.x.lpm_remove(t, w0, w1, w2, w3, c.len)) !== -1;
  }

  /** Next hop of exactly `cidr` (no longest-prefix matching), or -1 when the prefix is absent. */
  get(cidr: string): number {
    const c = cidrArg(cidr, this.family);
    const t = this.t;
    const [w0, w1, w2, w3] = this.words(c);
    return this.x.lpm_get(t, w0, w1, w2, w3, c.len);
  }

  /** Rebuilds the lookup structure if routes changed since the last lookup (done by every lookup). */
  build(): void {
    const t = this.t;
    if (this.core.u32[(t + LPM_H_DIRTY) >>> 2] !== 0) {
      this.core.guard(() => this.x.lpm_build(t));
      if (!this.auto) return;
      if (!this.sorted4) this.checkBudget(t);
      else {
        const n = this.x.lpm_size(t);
        if (n <= this.retryLow || n >= this.retryHigh) this.moveTo(t, 4);
      }
    }
  }

  /**
   * Next hop of the longest prefix containing `addr` (text, a u32 for IPv4,
   * or four network-order words for IPv6), or -1 when no prefix matches.
   */
  lookup(addr: string | number | Ip6): number {
    const a = addressOf(addr, this.family);
    this.build();
    if (typeof a === 'number') return this.sorted4 ? this.x.lpm_lookup6(this.handle, a, 0, 0, 0) : this.x.lpm_lookup4(this.handle, a);
    return this.x.lpm_lookup6(this.handle, a[0], a[1], a[2], a[3]);
  }

  private ensureBatch(n: number): void {
    if (n <= this.batchCap) return;
    const cap = Math.max(n, 64);
    const p = this.core.alloc(cap * (this.family === 4 ? 8 : 20));
    if (this.batchPtr) this.core.free(this.batchPtr);
    this.batchPtr = p;
    this.batchCap = cap;
  }

  private checkBatchSize(n: number, what: string): void {
    if (!Number.isInteger(n) || n < 0 || n > RouteTable.maxBatch) {
      throw new InputError('InvalidBatch', String(n), `${what}: an integer count 0..${RouteTable.maxBatch}`);
    }
  }

  /**
   * Looks up every address of `addrs` in one WASM call and writes the next
   * hops (or -1) to `out`. IPv4: one u32 per address. IPv6: four words per
   * address (so `out` needs `addrs.length / 4` entries).
   */
  lookupBatch(addrs: Uint32Array, out: Int32Array): Int32Array {
    if (!(addrs instanceof Uint32Array)) throw new InputError('InvalidBatch', describeArg(addrs), `addrs: a Uint32Array (${this.family === 4 ? 'one u32 per IPv4 address' : 'four words per IPv6 address'})`);
    if (!(out instanceof Int32Array)) throw new InputError('InvalidBatch', describeArg(out), 'out: an Int32Array with an entry per address');
    const per = this.family === 4 ? 1 : 4;
    if (addrs.length % per !== 0) throw new InputError('InvalidBatch', `${addrs.length} words`, 'four words per IPv6 address');
    const n = addrs.length / per;
    if (out.length < n) throw new InputError('InvalidBatch', `out.length ${out.length}`, `at least ${n} entries, one per address`);
    this.t;
    this.build(); // may move the table to the sorted store (new handle)
    const t = this.handle;
    // One WASM call per RouteTable.maxBatch addresses (one call for any
    // ordinary batch), so the batch buffer stays bounded.
    const chunk = Math.min(n, RouteTable.maxBatch);
    this.ensureBatch(chunk);
    for (let at = 0; at < n; at += chunk) {
      const m = Math.min(chunk, n - at);
      this.core.u32.set(addrs.subarray(at * per, (at + m) * per), this.batchPtr >>> 2);
      this.run(t, m);
      out.set(this.core.i32.subarray(this.outPtr >>> 2, (this.outPtr >>> 2) + m), at);
    }
    return out;
  }

  private get outPtr(): number {
    return this.batchPtr + this.batchCap * (this.family === 4 ? 4 : 16);
  }

  private run(t: number, n: number): void {
    if (n === 0) return;
    if (this.family === 4) {
      if (this.sorted4) this.core.guard(() => this.x.lpm_lookup4s_batch(t, this.batchPtr, this.outPtr, n));
      else this.core.guard(() => this.x.lpm_lookup4_batch(t, this.batchPtr, this.outPtr, n));
    }
    else this.core.guard(() => this.x.lpm_lookup6_batch(t, this.batchPtr, this.outPtr, n));
  }

  /**
   * A view of WASM memory where `n` addresses can be written in place (u32
   * per IPv4 address, four words per IPv6 address) for
   * {@link lookupBatchInPlace}. The view is detached when WASM memory grows
   * (any insert, lookup after a change, or a new batch buffer, in any table
   * of this core): take a fresh one after such calls.
   */
  batchView(n: number): Uint32Array {
    this.checkBatchSize(n, 'batchView');
    this.t;
    this.build();
    this.ensureBatch(n);
    const per = this.family === 4 ? 1 : 4;
    return this.core.u32.subarray(this.batchPtr >>> 2, (this.batchPtr >>> 2) + n * per);
  }

  /**
   * Looks up the first `n` addresses written through {@link batchView};
   * returns a view of the `n` results in WASM memory (valid until the next
   * call that may grow memory; copy it to keep it).
   */
  lookupBatchInPlace(n: number): Int32Array {
    this.checkBatchSize(n, 'lookupBatchInPlace');
    if (n > this.batchCap) throw new InputError('InvalidBatch', String(n), `at most ${this.batchCap} addresses (the size given to batchView)`);
    this.t;
    this.build();
    this.run(this.handle, n);
    return this.core.i32.subarray(this.outPtr >>> 2, (this.outPtr >>> 2) + n);
  }

  /** Number of prefixes. */
  get size(): number {
    return this.x.lpm_size(this.t);
  }

  /**
   * Bytes of WASM memory this table owns: header, prefix store and lookup
   * structure (as of the last build). The batch buffer is not counted.
   */
  get memoryBytes(): number {
    return this.x.lpm_memory(this.t);
  }

  /** All routes, sorted by address then prefix length. */
  routes(): Route[] {
    const all = this.rawRoutes(this.t);
    all.sort((a, b) => compareCidr(a.c, b.c));
    return all.map((r) => ({ cidr: formatCidr(r.c), nextHop: r.nextHop }));
  }

  /** The routes of table `t` as stored (unsorted). */
  private rawRoutes(t: number): { c: Cidr; nextHop: number }[] {
    const u32 = this.core.u32;
    const u8 = this.core.u8;
    const words = u32[(t + LPM_H_WORDS) >>> 2];
    const cap = u32[(t + LPM_H_CAP) >>> 2];
    const keys = u32[(t + LPM_H_KEYS) >>> 2] >>> 2;
    const lens = u32[(t + LPM_H_LENS) >>> 2];
    const nhs = u32[(t + LPM_H_NHS) >>> 2] >>> 2;
    const i32 = this.core.i32;
    const all: { c: Cidr; nextHop: number }[] = [];
    for (let i = 0; i < cap; i++) {
      const l = u8[lens + i];
      // IPv6 stores keep removed entries as tombstones (next hop -1) until compaction.
      if (l === 0 || i32[nhs + i] === -1) continue;
      const k = keys + i * words;
      const c: Cidr = this.family === 4 ? { family: 4, addr: u32[k], len: l - 1 } : { family: 6, addr: [u32[k], u32[k + 1], u32[k + 2], u32[k + 3]], len: l - 1 };
      all.push({ c, nextHop: i32[nhs + i] });
    }
    return all;
  }

  /** Iterates over the routes sorted by address then prefix length (a snapshot). */
  [Symbol.iterator](): Iterator<Route> {
    return this.routes()[Symbol.iterator]();
  }

  /** Frees the table's WASM memory. Later calls throw `Disposed`. Idempotent. */
  dispose(): void {
    if (this.handle === 0) return;
    const t = this.handle;
    this.handle = 0;
    this.core.guard(() => {
      this.x.lpm_destroy(t);
      if (this.batchPtr) this.core.exports.free(this.batchPtr);
    });
    this.batchPtr = 0;
    this.batchCap = 0;
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.handle === 0;
  }
}
