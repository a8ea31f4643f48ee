/**
 * A map of one namespace's table (neighbours, VXLAN FDB) stored as a
 * reference to an immutable snapshot shared with other namespaces plus a
 * small private delta (entries added or changed here, and tombstones for
 * snapshot entries deleted here); see docs/kernel.md, "State size". What
 * the owner sees is exactly the snapshot with its delta applied; a write
 * in one namespace never shows in another (snapshots never change).
 *
 * Only entries that no timer or lookup changes behind the table's back
 * (`shareable`: permanent neighbours, static FDB entries) go into
 * snapshots; the others always stay in the delta, so copy-on-write is the
 * plain `set` of the changed entry.
 */

/** An immutable shared table: keys -> index -> value. */
export class MapSnapshot<K, V> {
  refs = 0;
  constructor(
    readonly index: ReadonlyMap<K, number>,
    readonly keys: readonly K[],
    readonly values: readonly V[],
    private readonly pool: SharedPool<K, V>,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  get(k: K): V | undefined {
    const i = this.index.get(k);
    return i === undefined ? undefined : this.values[i];
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs <= 0) this.pool.forget(this);
  }
}

/** The latest snapshot of one kind of table (a pool per kind: neighbours, VXLAN FDBs). */
export class SharedPool<K, V> {
  latest: MapSnapshot<K, V> | undefined;
  /** Snapshots built so far. */
  built = 0;
  constructor(
    /** Whether two values are the same entry. */
    readonly eq: (a: V, b: V) => boolean,
    /** Whether a value may live in a snapshot (nothing changes it behind the table's back). */
    readonly shareable: (v: V) => boolean,
  ) {}

  make(keys: K[], values: V[]): MapSnapshot<K, V> {
    const index = new Map<K, number>();
    for (let i = 0; i < keys.length; i++) index.set(keys[i], i);
    this.built++;
    return (this.latest = new MapSnapshot(index, keys, values, this));
  }

  forget(s: MapSnapshot<K, V>): void {
    if (this.latest === s) this.latest = undefined;
  }
}

const EMPTY: Map<unknown, unknown> = new Map();

/**
 * Delta size at which a table refreezes: a quarter of its snapshot, at
 * least 2 * SHARED_SMALL (a node's own few dozen entries stay a delta even
 * in a small cluster).
 */
function refreezeAt(baseSize: number): number {
  return Math.max(2 * SHARED_SMALL, baseSize >>> 2);
}

/** The largest difference a freeze keeps as a delta: half the refreeze size (O(1) amortized per change). */
function acceptable(snapshotSize: number): number {
  return refreezeAt(snapshotSize) >>> 1;
}

/** Below this many entries a table keeps everything in its delta. */
export const SHARED_SMALL = 64;

/** One namespace's view: snapshot + delta (`null` = tombstone). */
export class SharedMap<K, V> {
  private base: MapSnapshot<K, V> | undefined;
  // A table nothing was written to shares one empty map (a pod's neighbour table often stays so).
  private delta: Map<K, V | null> = EMPTY as Map<K, V | null>;
  /** Delta keys that are snapshot keys (overrides and tombstones). */
  private hidden = 0;
  private tombs = 0;

  constructor(private readonly pool: SharedPool<K, V>) {}

  get size(): number {
    return (this.base?.size ?? 0) - this.hidden + this.delta.size - this.tombs;
  }

  get(k: K): V | undefined {
    const d = this.delta.get(k);
    if (d !== undefined) return d ?? undefined;
    return this.base?.get(k);
  }

  has(k: K): boolean {
    return this.get(k) !== undefined;
  }

  set(k: K, v: V): void {
    this.put(k, v);
  }

  delete(k: K): boolean {
    if (!this.has(k)) return false;
    this.put(k, undefined);
    return true;
  }

  private put(k: K, v: V | undefined): void {
    if (this.delta === EMPTY) this.delta = new Map();
    const had = this.delta.get(k);
    if (had === null) this.tombs--;
    const bv = this.base?.get(k);
    if (bv !== undefined && had === undefined) this.hidden++;
    if (v === undefined) {
      if (bv !== undefined) {
        this.delta.set(k, null);
        this.tombs++;
      } else this.delta.delete(k);
    } else if (bv !== undefined && this.pool.eq(v, bv)) {
      this.delta.delete(k);
      this.hidden--;
    } else this.delta.set(k, v);
  }

  /** Every entry (snapshot entries not hidden, then the delta's), in no particular order. */
  *entries(): IterableIterator<[K, V]> {
    const b = this.base;
    if (b) for (let i = 0; i < b.keys.length; i++) if (!this.delta.has(b.keys[i])) yield [b.keys[i], b.values[i]];
    for (const [k, v] of this.delta) if (v !== null) yield [k, v];
  }

  keys(): K[] {
    return [...this.entries()].map(([k]) => k);
  }

  /** Freezes when the delta has outgrown its snapshot. */
  maybeFreeze(): void {
    if (this.delta.size > refreezeAt(this.base?.size ?? 0)) this.freeze();
  }

  /** Freezes so far (each is O(n); a table refreezes only after Ω(n) changes). */
  freezes = 0;

  /**
   * Moves the table onto shared storage: a small difference from the
   * pool's latest snapshot (or its own) when there is one, else a new
   * snapshot of its shareable entries.
   */
  freeze(): void {
    this.freezes++;
    for (const s of [this.pool.latest, this.base]) {
      if (!s) continue;
      const d = this.diffFrom(s, acceptable(s.size));
      if (d) return this.rebase(s, d);
    }
    const keys: K[] = [];
    const values: V[] = [];
    const rest = new Map<K, V | null>();
    for (const [k, v] of this.entries()) {
      if (this.pool.shareable(v)) {
        keys.push(k);
        values.push(v);
      } else rest.set(k, v);
    }
    if (keys.length < SHARED_SMALL) return this.rebase(undefined, new Map(this.entries()));
    this.rebase(this.pool.make(keys, values), rest);
  }

  /**
   * Bulk writes into an empty table: compares each entry with the pool's
   * latest snapshot as it goes, so that a table equal to it but for a few
   * entries never holds the rest (no Map of the whole batch is built).
   * Returns false, having changed nothing, when it cannot (the table is
   * not empty, a key repeats, there is no snapshot): the caller then
   * writes the entries one by one and calls {@link freeze}.
   */
  loadFresh(keys: readonly K[], same: (i: number, v: V) => boolean, make: (i: number) => V): boolean {
    const s = this.pool.latest;
    if (this.base || this.delta.size || !s) return false;
    const seen = new Uint8Array(s.size);
    const d = new Map<K, V | null>();
    const limit = acceptable(s.size);
    const sk = s.keys;
    let next = 0;
    for (let i = 0; i < keys.length; i++) {
      // Batches built from one desired state list their entries in the snapshot's order: try the next slot first.
      const j = sk[next] === keys[i] ? next : s.index.get(keys[i]);
      if (j !== undefined) next = j + 1;
      if (j !== undefined) {
        if (seen[j]) return false;
        seen[j] = 1;
        if (same(i, s.values[j])) continue;
      } else if (d.has(keys[i])) return false;
      d.set(keys[i], make(i));
      if (d.size > limit) return false;
    }
    for (let j = 0; j < seen.length; j++) {
      if (seen[j]) continue;
      d.set(s.keys[j], null);
      if (d.size > limit) return false;
    }
    this.rebase(s, d);
    return true;
  }

  /** Whether the table holds nothing (no snapshot, no delta). */
  get empty(): boolean {
    return !this.base && this.delta.size === 0;
  }

  private diffFrom(s: MapSnapshot<K, V>, limit: number): Map<K, V | null> | undefined {
    // Against its own snapshot the difference is the delta itself (put keeps no entry equal to the snapshot's).
    if (s === this.base) return this.delta.size <= limit ? new Map(this.delta) : undefined;
    // Each entry present on one side only is one difference: sizes far apart cannot be close.
    if (Math.abs(this.size - s.size) > limit) return undefined;
    const d = new Map<K, V | null>();
    for (let i = 0; i < s.keys.length; i++) {
      const k = s.keys[i];
      const v = this.get(k);
      if (v === undefined) d.set(k, null);
      else if (!this.pool.eq(v, s.values[i])) d.set(k, v);
      if (d.size > limit) return undefined;
    }
    // Entries that s lacks: the snapshot's visible ones, then the delta's.
    const b = this.base;
    if (b) {
      for (let i = 0; i < b.keys.length; i++) {
        const k = b.keys[i];
        if (s.index.has(k) || this.delta.has(k)) continue;
        d.set(k, b.values[i]);
        if (d.size > limit) return undefined;
      }
    }
    for (const [k, v] of this.delta) {
      if (v === null || s.index.has(k)) continue;
      d.set(k, v);
      if (d.size > limit) return undefined;
    }
    return d;
  }

  private rebase(s: MapSnapshot<K, V> | undefined, d: Map<K, V | null>): void {
    if (s !== this.base) {
      s?.retain();
      this.base?.release();
      this.base = s;
    }
    this.delta = d.size ? d : (EMPTY as Map<K, V | null>);
    this.hidden = 0;
    this.tombs = 0;
    for (const [k, v] of d) {
      if (v === null) this.tombs++;
      if (s?.index.has(k)) this.hidden++;
    }
  }

  /** How the table is stored. */
  stats(): { delta: number; base: number; baseRefs: number; freezes: number } {
    return { delta: this.delta.size, base: this.base?.size ?? 0, baseRefs: this.base?.refs ?? 0, freezes: this.freezes };
  }

  /** Lets go of the snapshot. */
  dispose(): void {
    this.base?.release();
    this.base = undefined;
    this.delta = EMPTY as Map<K, V | null>;
    this.hidden = this.tombs = 0;
  }
}
