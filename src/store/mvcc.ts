/**
 * Multi-version key index (etcd's `mvcc` package, reduced): every change gets
 * the next main revision; each key keeps its versions until compaction, so a
 * range can read the store as it was at an older revision.
 *
 * Simplified: etcd's sub-revisions (the order of changes inside one
 * revision) are kept only as the order of events in the log; no b-tree, the
 * keys live in one sorted array (binary search; fine for the thousands of
 * keys of a simulated cluster).
 */
import { ALL_KEYS, compactedError, futureRevError, inRange, utf8Length, type ResolvedRange } from './keys.js';
import type { KeyValue, StoreEvent } from './types.js';

interface Version {
  rev: number;
  /** null = tombstone (the key was deleted at `rev`). */
  kv: KeyValue | null;
}

// Sizes are asked for on every read and every watch delivery (N watchers x
// each event): counting UTF-8 once per version keeps stats() nearly free.
const sizes = new WeakMap<KeyValue, number>();

/** Size in bytes a version occupies (key + value, UTF-8), memoised per version. */
export function kvBytes(kv: KeyValue): number {
  let n = sizes.get(kv);
  if (n === undefined) {
    n = utf8Length(kv.key) + utf8Length(kv.value);
    sizes.set(kv, n);
  }
  return n;
}

/** The versioned key space. Writes go through begin / put / del / commit. */
export class Mvcc {
  /** Last committed revision. etcd starts at 1 (an empty store answers revision 1). */
  revision = 1;
  /** Revision of the last compaction (0 = never). */
  compactRevision = 0;
  /** Bytes of every kept version (a stand-in for etcd's db size). */
  historyBytes = 0;
  private sorted: string[] = [];
  private versions = new Map<string, Version[]>();
  private live = new Map<string, KeyValue>();
  /** Every event not compacted, in revision order. */
  private log: { rev: number; event: StoreEvent }[] = [];
  private pending: StoreEvent[] = [];

  /** Number of live keys. */
  get size(): number {
    return this.live.size;
  }

  /** The live version of `key`. */
  current(key: string): KeyValue | undefined {
    return this.live.get(key);
  }

  /** Keys in the range at `rev` (0 = current, including uncommitted writes of the open txn). */
  read(r: ResolvedRange, rev: number): KeyValue[] {
    if (rev !== 0) this.checkReadable(rev);
    const out: KeyValue[] = [];
    if (r.end === null) {
      const kv = rev === 0 ? this.live.get(r.start) : this.at(r.start, rev);
      if (kv) out.push(kv);
      return out;
    }
    for (let i = this.lowerBound(r.start); i < this.sorted.length; i++) {
      const key = this.sorted[i];
      if (r.end !== ALL_KEYS && key >= r.end) break;
      const kv = rev === 0 ? this.live.get(key) : this.at(key, rev);
      if (kv) out.push(kv);
    }
    return out;
  }

  /** Throws etcd's errors for a revision that cannot be read. */
  checkReadable(rev: number): void {
    if (rev > this.revision) throw futureRevError(rev, this.revision);
    if (rev < this.compactRevision) throw compactedError(rev, this.compactRevision);
  }

  /** Writes `key` in the open revision; returns the event. */
  put(key: string, value: string, lease: number): StoreEvent {
    const rev = this.revision + 1;
    const prev = this.live.get(key);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
      lease,
    };
    this.live.set(key, kv);
    this.record(key, { rev, kv });
    const event: StoreEvent = prev ? { type: 'PUT', kv, prevKv: prev } : { type: 'PUT', kv };
    this.pending.push(event);
    return event;
  }

  /** Deletes `key` in the open revision if it is live. */
  del(key: string): StoreEvent | undefined {
    const prev = this.live.get(key);
    if (!prev) return undefined;
    const rev = this.revision + 1;
    this.live.delete(key);
    this.record(key, { rev, kv: null });
    const kv: KeyValue = { key, value: '', createRevision: 0, modRevision: rev, version: 0, lease: 0 };
    const event: StoreEvent = { type: 'DELETE', kv, prevKv: prev };
    this.pending.push(event);
    return event;
  }

  /** Closes the open revision; returns its events (none = the revision did not move). */
  commit(): StoreEvent[] {
    const events = this.pending;
    if (events.length === 0) return events;
    this.pending = [];
    this.revision++;
    for (const event of events) this.log.push({ rev: this.revision, event });
    return events;
  }

  /** Events with revision >= `from`, grouped by revision. */
  eventsSince(from: number): { rev: number; events: StoreEvent[] }[] {
    const out: { rev: number; events: StoreEvent[] }[] = [];
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid].rev < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length; i++) {
      const { rev, event } = this.log[i];
      const last = out[out.length - 1];
      if (last && last.rev === rev) last.events.push(event);
      else out.push({ rev, events: [event] });
    }
    return out;
  }

  /**
   * Drops versions no read at >= `rev` can see: per key, everything older
   * than its newest version at or before `rev`, and that one too if it is a
   * tombstone (etcd's `keyIndex.compact`). Events up to `rev` go as well.
   */
  compact(rev: number): void {
    if (rev > this.revision) throw futureRevError(rev, this.revision);
    if (rev <= this.compactRevision) throw compactedError(rev, this.compactRevision);
    const keep: string[] = [];
    for (const key of this.sorted) {
      const vs = this.versions.get(key)!;
      let i = vs.length - 1;
      while (i >= 0 && vs[i].rev > rev) i--;
      const cut = i >= 0 && vs[i].kv === null ? i + 1 : Math.max(i, 0);
      for (let j = 0; j < cut; j++) this.historyBytes -= versionBytes(key, vs[j]);
      const rest = vs.slice(cut);
      if (rest.length === 0) this.versions.delete(key);
      else {
        this.versions.set(key, rest);
        keep.push(key);
      }
    }
    this.sorted = keep;
    let drop = 0;
    while (drop < this.log.length && this.log[drop].rev <= rev) drop++;
    this.log.splice(0, drop);
    this.compactRevision = rev;
  }

  private at(key: string, rev: number): KeyValue | undefined {
    const vs = this.versions.get(key);
    if (!vs) return undefined;
    for (let i = vs.length - 1; i >= 0; i--) if (vs[i].rev <= rev) return vs[i].kv ?? undefined;
    return undefined;
  }

  private record(key: string, v: Version): void {
    let vs = this.versions.get(key);
    if (!vs) {
      vs = [];
      this.versions.set(key, vs);
      this.sorted.splice(this.lowerBound(key), 0, key);
    }
    vs.push(v);
    this.historyBytes += versionBytes(key, v);
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function versionBytes(key: string, v: Version): number {
  return v.kv ? kvBytes(v.kv) : utf8Length(key);
}

/** Re-exported for the store: is `key` inside `r`. */
export { inRange };
