/**
 * One routing table of one namespace (`local` or `main`), stored as a
 * reference to a shared immutable {@link FibSnapshot} (the base) plus a
 * small private delta: entries added or overridden here, and tombstones
 * for base prefixes deleted here. What a namespace sees is exactly the
 * base with its delta applied; nothing done in one namespace shows in
 * another (the base never changes).
 *
 * - Lookup: the longest match of the delta (probing only the prefix
 *   lengths present in it: a handful) and of the base (one WASM poptrie
 *   call); when a tombstone hides the base's match, the base is searched
 *   exactly for shorter prefixes.
 * - A small table (a pod's few routes) lives in its delta only: no WASM.
 * - Freezing (at the end of a bulk load, or when the delta outgrows
 *   1/8 of the base) merges base and delta (sorted, O(n)), compares the
 *   result with the pool's latest snapshot of the same table and keeps
 *   only the difference when it is small, else builds a new snapshot.
 */
import type { Core } from '../core/core.js';
import { maskV4 } from '../net/ip.js';
import { entryEq, fibKey, fibPool, firstRoute, type FibEntry, type FibPool, type FibSnapshot } from './fib-snapshot.js';
import type { KRoute } from './route-types.js';

/** Below this many entries a table never builds a snapshot (and never uses WASM). */
export const FIB_SMALL = 64;

/** One table: shared base + private delta (`null` in the delta is a tombstone). */
export class FibTable {
  private delta: Map<number, FibEntry | null> = EMPTY;
  private base: FibSnapshot | undefined;
  private readonly pool: FibPool;
  /**
   * Live (non-tombstone) delta entries per prefix length; made when the
   * delta grows past a few entries (a pod's table never needs it: its
   * lengths are found by scanning its handful of keys).
   */
  private perLen: Int32Array | undefined;
  private lensStale = false;
  /** Lengths with live delta entries, longest first. */
  private lens: readonly number[] = NO_LENS;
  /** Delta keys (tombstones or overrides) that are also base keys. */
  private baseHidden = 0;
  private tombCount = 0;

  constructor(
    core: Core,
    readonly name: 'local' | 'main',
  ) {
    this.pool = fibPool(core);
  }

  /** Number of prefixes. */
  get size(): number {
    return (this.base?.size ?? 0) - this.baseHidden + this.delta.size - this.tombCount;
  }

  /** The entry of exactly `key`. */
  entry(key: number): FibEntry | undefined {
    const d = this.delta.get(key);
    if (d !== undefined) return d ?? undefined;
    const b = this.base;
    if (!b) return undefined;
    const i = b.indexOf(key);
    return i < 0 ? undefined : b.entries[i];
  }

  /** Sets (or with undefined removes) the entry of `key`. */
  set(key: number, e: FibEntry | undefined): void {
    if (this.delta === EMPTY) this.delta = new Map();
    const len = key % 64;
    const had = this.delta.get(key);
    if (had === null) this.tombCount--;
    else if (had !== undefined) this.count(len, -1);
    const bi = this.base ? this.base.indexOf(key) : -1;
    if (bi >= 0 && had === undefined) this.baseHidden++;
    if (e === undefined) {
      if (bi >= 0) {
        this.delta.set(key, null);
        this.tombCount++;
      } else this.delta.delete(key);
    } else if (bi >= 0 && entryEq(e, this.base!.entries[bi])) {
      this.delta.delete(key); // back to what the base says
      this.baseHidden--;
    } else {
      this.delta.set(key, e);
      this.count(len, 1);
    }
  }

  private count(len: number, d: number): void {
    const per = this.perLen;
    if (!per) {
      this.lensStale = true;
      return;
    }
    const was = per[len];
    per[len] = was + d;
    if ((was === 0) !== (was + d === 0)) this.lens = lensOf(per);
  }

  // The lengths present in the delta, longest first (from the counts, or by scanning a small delta).
  private freshLens(): readonly number[] {
    if (!this.lensStale) return this.lens;
    this.lensStale = false;
    const per = new Int32Array(33);
    for (const [k, v] of this.delta) if (v) per[k % 64]++;
    if (this.delta.size > 16) this.perLen = per;
    return (this.lens = lensOf(per));
  }

  /** The route used for `addr` (the first of the longest matching prefix). */
  lookup(addr: number): KRoute | undefined {
    const e = this.lookupEntry(addr >>> 0);
    return e === undefined ? undefined : firstRoute(e);
  }

  /** The entry of the longest prefix containing `addr`. */
  lookupEntry(addr: number): FibEntry | undefined {
    let hit: FibEntry | undefined;
    let hitLen = -1;
    const d = this.delta;
    for (const l of this.freshLens()) {
      const v = d.get(fibKey((addr & maskV4(l)) >>> 0, l));
      if (v) {
        hit = v;
        hitLen = l;
        break;
      }
    }
    const b = this.base;
    if (!b) return hit;
    let i = b.lookup(addr);
    if (i < 0 || b.keys[i] % 64 <= hitLen) return hit;
    // A tombstone (or an override, found above at the same length) hides the base's match: search shorter base prefixes.
    if (d.has(b.keys[i])) i = b.shorter(addr, b.keys[i] % 64, (k) => d.has(k));
    return i >= 0 && b.keys[i] % 64 > hitLen ? b.entries[i] : hit;
  }

  /**
   * Bulk add into a table without a base and with a small delta: each
   * route is compared with the pool's latest snapshot as it comes (binary
   * search), so a table equal to it but for a few routes holds only those
   * (no map of the whole batch, no sort). Returns false, having changed
   * nothing, when that does not work: no snapshot, a prefix repeats or is
   * already here, or the difference is too large; the caller then adds
   * the routes one by one.
   */
  loadFresh(routes: readonly KRoute[]): boolean {
    const s = this.pool.get(this.name);
    if (!s || this.base || this.delta.size > FIB_SMALL) return false;
    const limit = acceptable(s.size);
    const seen = new Uint8Array(s.size);
    const d = new Map<number, FibEntry | null>();
    const sk = s.keys;
    let next = 0;
    const take = (k: number, e: FibEntry): boolean => {
      // Batches built from one desired state list their routes in the snapshot's order: try the next slot first.
      const j = sk[next] === k ? next : s.indexOf(k);
      if (j >= 0) next = j + 1;
      if (j >= 0) {
        if (seen[j]) return false;
        seen[j] = 1;
        if (entryEq(e, s.entries[j])) return true;
      } else if (d.has(k)) return false;
      d.set(k, e);
      return d.size <= limit;
    };
    for (const [k, e] of this.delta) if (e && !take(k, e)) return false;
    for (const r of routes) if (!take(fibKey(r.prefix, r.len), r)) return false;
    for (let j = 0; j < seen.length; j++) {
      if (seen[j]) continue;
      d.set(s.keys[j], null);
      if (d.size > limit) return false;
    }
    this.rebase(s, d);
    return true;
  }

  /** Every entry, sorted by prefix then length, with its key. */
  merged(): { keys: Float64Array; entries: FibEntry[] } {
    const live: number[] = [];
    for (const [k, v] of this.delta) if (v) live.push(k);
    const dk = Float64Array.from(live).sort();
    const b = this.base;
    const bk = b?.keys ?? new Float64Array(0);
    const keys = new Float64Array(this.size);
    const entries: FibEntry[] = new Array(this.size);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < bk.length || j < dk.length) {
      if (j >= dk.length || (i < bk.length && bk[i] < dk[j])) {
        const k = bk[i];
        if (!this.delta.has(k)) {
          keys[n] = k;
          entries[n++] = b!.entries[i];
        }
        i++;
      } else {
        const k = dk[j++];
        if (i < bk.length && bk[i] === k) i++;
        keys[n] = k;
        entries[n++] = this.delta.get(k)!;
      }
    }
    return { keys, entries };
  }

  /** Every route, sorted by prefix then length (aliases in their order). */
  list(): KRoute[] {
    const out: KRoute[] = [];
    for (const e of this.merged().entries) {
      if (Array.isArray(e)) out.push(...(e as readonly KRoute[]));
      else out.push(e as KRoute);
    }
    return out;
  }

  /** Freezes when the delta has outgrown its base (called after changes). */
  maybeFreeze(): void {
    if (this.delta.size > refreezeAt(this.base?.size ?? 0)) this.freeze();
  }

  /** Freezes so far (each is O(n); a table refreezes only after Ω(n) changes). */
  freezes = 0;

  /**
   * Moves the table onto shared storage: a small difference from the
   * pool's latest snapshot (or from its own base) when there is one, else
   * a new snapshot. Small tables stay in their delta.
   */
  freeze(): void {
    this.freezes++;
    const { keys, entries } = this.merged();
    for (const s of [this.pool.get(this.name), this.base]) {
      if (!s) continue;
      const diff = diffFrom(s, keys, entries, acceptable(s.size));
      if (diff) return this.rebase(s, diff);
    }
    if (keys.length < FIB_SMALL) {
      const all = new Map<number, FibEntry | null>();
      for (let i = 0; i < keys.length; i++) all.set(keys[i], entries[i]);
      return this.rebase(undefined, all);
    }
    this.rebase(this.pool.make(this.name, keys, entries), EMPTY);
  }

  private rebase(s: FibSnapshot | undefined, delta: Map<number, FibEntry | null>): void {
    if (s !== this.base) {
      s?.retain();
      this.base?.release();
      this.base = s;
    }
    this.delta = delta.size ? delta : EMPTY;
    this.perLen = undefined;
    this.lensStale = true;
    this.tombCount = 0;
    this.baseHidden = 0;
    for (const [k, v] of delta) {
      if (!v) this.tombCount++;
      if (s && s.indexOf(k) >= 0) this.baseHidden++;
    }
  }

  /** What this table owns and shares: delta entries, base prefixes and the base's WASM bytes. */
  stats(): { delta: number; base: number; baseWasmBytes: number; baseRefs: number; freezes: number } {
    return { delta: this.delta.size, base: this.base?.size ?? 0, baseWasmBytes: this.base?.wasmBytes ?? 0, baseRefs: this.base?.refs ?? 0, freezes: this.freezes };
  }

  /** Lets go of the shared base. */
  dispose(): void {
    this.base?.release();
    this.base = undefined;
    this.delta = EMPTY;
    this.perLen = undefined;
    this.lensStale = true;
  }
}

/**
 * Delta size at which a table refreezes: a quarter of its snapshot, at
 * least 2 * FIB_SMALL (a node's own few dozen routes stay a delta even in
 * a small cluster). A delta entry costs about twice a snapshot slot (a Map
 * entry against a poptrie slot and two array cells) and lookups do not
 * slow down with it, so deltas may be large; but every freeze is O(n).
 */
function refreezeAt(baseSize: number): number {
  return Math.max(2 * FIB_SMALL, baseSize >>> 2);
}

/**
 * The largest difference from a snapshot a freeze keeps as a delta: half
 * the refreeze size, so that a table refreezes only after as many changes
 * again (O(1) amortized per change, never a freeze per change).
 */
function acceptable(snapshotSize: number): number {
  return refreezeAt(snapshotSize) >>> 1;
}

/** The lengths of an empty delta (shared: 150,000 pods' tables need no array each). */
const NO_LENS: readonly number[] = Object.freeze([]);

/** The shared empty delta of a table that has none yet (never written: `set` makes a real one). */
const EMPTY: Map<number, FibEntry | null> = new Map();

function lensOf(per: Int32Array): number[] {
  const lens: number[] = [];
  for (let l = 32; l >= 0; l--) if (per[l] > 0) lens.push(l);
  return lens;
}

/**
 * The delta that turns snapshot `s` into the sorted table `keys`/`entries`,
 * or undefined when it would have more than `limit` entries (a sorted merge).
 */
function diffFrom(s: FibSnapshot, keys: Float64Array, entries: readonly FibEntry[], limit: number): Map<number, FibEntry | null> | undefined {
  const d = new Map<number, FibEntry | null>();
  const sk = s.keys;
  let i = 0;
  let j = 0;
  while (i < sk.length || j < keys.length) {
    if (j >= keys.length || (i < sk.length && sk[i] < keys[j])) d.set(sk[i++], null);
    else if (i >= sk.length || keys[j] < sk[i]) {
      d.set(keys[j], entries[j]);
      j++;
    } else {
      if (!entryEq(s.entries[i], entries[j])) d.set(keys[j], entries[j]);
      i++;
      j++;
    }
    if (d.size > limit) return undefined;
  }
  return d;
}
