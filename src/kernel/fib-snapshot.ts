/**
 * Immutable FIB snapshots shared by many namespaces' tables (see
 * fib-table.ts and docs/kernel.md, "State size"): a sorted array of prefix
 * keys, the routes of each prefix, and a WASM poptrie ({@link RouteTable})
 * whose next hop is the index into those arrays. A snapshot never changes
 * once built; tables hold references (counted) and the WASM memory is freed
 * when the last one lets go.
 *
 * A pool per WASM core and table (`local`, `main`) remembers the latest
 * snapshot, so that a table being frozen can first try to be a small
 * difference from it (in a cluster, node B's table is node A's plus or
 * minus a few dozen routes).
 */
import type { Core } from '../core/core.js';
import { RouteTable } from '../lpm/route-table.js';
import { maskV4 } from '../net/ip.js';
import type { KRoute } from './route-types.js';

/** The routes of one prefix: one route, or Linux's fib aliases (lowest metric first). */
export type FibEntry = KRoute | readonly KRoute[];

/** The key of a prefix: address * 64 + length (exact in a double; sorts by address, then length). */
export function fibKey(prefix: number, len: number): number {
  return (prefix >>> 0) * 64 + len;
}

/** The first (used) route of an entry. */
export function firstRoute(e: FibEntry): KRoute {
  return Array.isArray(e) ? (e as readonly KRoute[])[0] : (e as KRoute);
}

/** The routes of an entry, as a list. */
export function entryRoutes(e: FibEntry): readonly KRoute[] {
  return Array.isArray(e) ? (e as readonly KRoute[]) : [e as KRoute];
}

/** Field-wise equality of two routes (identity first: shared routes are the common case). */
export function routeEq(a: KRoute, b: KRoute): boolean {
  return (
    a === b ||
    (a.prefix === b.prefix && a.len === b.len && a.type === b.type && a.via === b.via && a.dev === b.dev && a.table === b.table &&
      a.onlink === b.onlink && a.scope === b.scope && a.src === b.src && a.proto === b.proto && a.metric === b.metric)
  );
}

/** Equality of two entries (same routes in the same order). */
export function entryEq(a: FibEntry, b: FibEntry): boolean {
  if (a === b) return true;
  const x = entryRoutes(a);
  const y = entryRoutes(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (!routeEq(x[i], y[i])) return false;
  return true;
}

/** One shared, immutable table. */
export class FibSnapshot {
  /** Tables referring to it. */
  refs = 0;
  /** Bit l set when some prefix has length l (for the exact search of shorter prefixes). */
  private readonly lens = new Set<number>();
  private readonly lpm: RouteTable;

  /**
   * @param keys sorted {@link fibKey}s
   * @param entries the routes of each key
   */
  constructor(
    core: Core,
    private readonly pool: FibPool,
    readonly keys: Float64Array,
    readonly entries: readonly FibEntry[],
  ) {
    this.lpm = new RouteTable(core, { family: 4 });
    for (let i = 0; i < keys.length; i++) {
      const len = keys[i] % 64;
      this.lens.add(len);
      this.lpm.insertPrefix((keys[i] - len) / 64, len, i);
    }
    this.lpm.build();
  }

  /** Number of prefixes. */
  get size(): number {
    return this.keys.length;
  }

  /** Index of the longest prefix containing `addr`, or -1. */
  lookup(addr: number): number {
    return this.lpm.lookup(addr >>> 0);
  }

  /** Index of exactly `key`, or -1 (binary search). */
  indexOf(key: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = this.keys[mid];
      if (k === key) return mid;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index of the longest prefix shorter than `len` containing `addr`, or -1 (the slow path past a tombstone). */
  shorter(addr: number, len: number, hidden: (key: number) => boolean): number {
    for (let l = len - 1; l >= 0; l--) {
      if (!this.lens.has(l)) continue;
      const k = fibKey((addr & maskV4(l)) >>> 0, l);
      if (hidden(k)) continue;
      const i = this.indexOf(k);
      if (i >= 0) return i;
    }
    return -1;
  }

  /** Bytes of WASM memory of the poptrie (shared by every table referring to it). */
  get wasmBytes(): number {
    return this.lpm.memoryBytes;
  }

  /** Takes a reference. */
  retain(): this {
    this.refs++;
    return this;
  }

  /** Drops a reference; the last one frees the WASM table. */
  release(): void {
    if (--this.refs > 0) return;
    this.lpm.dispose();
    this.pool.forget(this);
  }
}

/** The latest snapshot of each table kind on one core. */
export class FibPool {
  private readonly latest = new Map<string, FibSnapshot>();
  /** Snapshots built so far (for the bench's counters). */
  built = 0;

  constructor(private readonly core: Core) {}

  /** The latest snapshot of `table`, if some table still uses it. */
  get(table: string): FibSnapshot | undefined {
    return this.latest.get(table);
  }

  /** Builds a snapshot of sorted `keys` / `entries` and makes it the latest of `table`. */
  make(table: string, keys: Float64Array, entries: readonly FibEntry[]): FibSnapshot {
    const s = new FibSnapshot(this.core, this, keys, entries);
    this.latest.set(table, s);
    this.built++;
    return s;
  }

  /** A snapshot no table uses any more. */
  forget(s: FibSnapshot): void {
    for (const [k, v] of this.latest) if (v === s) this.latest.delete(k);
  }
}

const pools = new WeakMap<Core, FibPool>();

/** The pool of `core` (one per WASM instance: snapshots live in its memory). */
export function fibPool(core: Core): FibPool {
  let p = pools.get(core);
  if (!p) pools.set(core, (p = new FibPool(core)));
  return p;
}
