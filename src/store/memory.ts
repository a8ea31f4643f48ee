/**
 * The in-memory etcd: one member, no raft, no auth. Revisions, MVCC reads
 * at old revisions until compaction, compare-and-swap transactions, watches
 * and leases on a {@link SimClock}, with load counters for benchmarks.
 * See docs/store.md for what is simplified.
 */
import { InputError } from '../core/errors.js';
import { SimClock, type TimerId } from './clock.js';
import { checkCount, compactedError, leaseNotFound, resolveRange, type ResolvedRange } from './keys.js';
import { Lessor, type Lease } from './lease.js';
import { Mvcc, kvBytes } from './mvcc.js';
import { DEFAULT_MAX_TXN_OPS, checkTxn, compareHolds } from './txn.js';
import { WatchHub } from './watch.js';
import type {
  DeleteOptions,
  DeleteResult,
  KeyValue,
  LeaseGrantResult,
  LeaseTimeToLiveResult,
  PutOptions,
  PutResult,
  RangeOptions,
  RangeResult,
  RequestCounts,
  StoreStats,
  SyncKVStore,
  TxnOp,
  TxnOpResult,
  TxnRequest,
  TxnResult,
  WatchCallback,
  WatchOptions,
  Watcher,
} from './types.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Clock for lease expiry. Default: a new `SimClock` at 0. */
  clock?: SimClock;
  /** Largest number of compares or ops per branch of a txn. Default 128 (etcd's `--max-txn-ops`). */
  maxTxnOps?: number;
}

function zeroCounts(): RequestCounts {
  return { range: 0, put: 0, deleteRange: 0, txn: 0, compact: 0, watchCreate: 0, watchCancel: 0, leaseGrant: 0, leaseRevoke: 0, leaseKeepAlive: 0, leaseTimeToLive: 0 };
}

/** An etcd v3-shaped key-value store held in memory. */
export class MemoryStore implements SyncKVStore {
  /** The clock leases expire on. */
  readonly clock: SimClock;
  private readonly maxTxnOps: number;
  private readonly mvcc = new Mvcc();
  private readonly lessor = new Lessor();
  private readonly hub = new WatchHub();
  private counts = zeroCounts();
  private bytesWritten = 0;
  private bytesRead = 0;
  private keysExpired = 0;
  private expiryTimer: TimerId | undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.clock ?? new SimClock();
    this.maxTxnOps = opts.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
  }

  /** Last committed revision (1 for an empty store, as etcd). */
  get revision(): number {
    return this.mvcc.revision;
  }

  /** Revision of the last compaction, 0 if none. */
  get compactRevision(): number {
    return this.mvcc.compactRevision;
  }

  /** One key, at the current or an older revision. */
  get(key: string, opts: { revision?: number } = {}): KeyValue | undefined {
    return this.range(key, { revision: opts.revision }).kvs[0];
  }

  /** Keys in a range (`Range`). */
  range(key: string, opts: RangeOptions = {}): RangeResult {
    const r = resolveRange(key, opts);
    const rev = checkCount('revision', opts.revision);
    const limit = checkCount('limit', opts.limit);
    if (rev !== 0) this.mvcc.checkReadable(rev);
    this.counts.range++;
    return this.doRange(r, rev, limit, opts);
  }

  /** Writes a key (`Put`). */
  put(key: string, value: string, opts: PutOptions = {}): PutResult {
    const { op: _, ...res } = this.run({ success: [{ op: 'put', key, value, ...opts }] }, 'put').responses[0] as { op: 'put' } & PutResult;
    return res;
  }

  /** Deletes a key or range (`DeleteRange`). */
  delete(key: string, opts: DeleteOptions = {}): DeleteResult {
    const { op: _, ...res } = this.run({ success: [{ op: 'delete', key, ...opts }] }, 'deleteRange').responses[0] as { op: 'delete' } & DeleteResult;
    return res;
  }

  /**
   * Runs a transaction (`Txn`) atomically: all writes share one new revision
   * (none if nothing changed). Throws before changing anything on bad input,
   * unknown lease, or a read of a compacted/future revision.
   */
  txn(req: TxnRequest): TxnResult {
    return this.run(req, 'txn');
  }

  private run(req: TxnRequest, kind: 'txn' | 'put' | 'deleteRange'): TxnResult {
    const compares = checkTxn(req, this.maxTxnOps);
    const succeeded = compares.every(({ c, range }) => compareHolds(c, this.mvcc.read(range, 0)));
    const ops = (succeeded ? req.success : req.failure) ?? [];
    for (const op of ops) {
      if (op.op === 'put' && op.lease !== undefined && op.lease !== 0 && !this.lessor.has(op.lease)) throw leaseNotFound(op.lease);
      if (op.op === 'range') {
        checkCount('limit', op.limit);
        if (checkCount('revision', op.revision) !== 0) this.mvcc.checkReadable(op.revision!);
      }
    }
    this.counts[kind]++;
    const results = ops.map((op) => this.apply(op));
    this.commit();
    // Every response carries the header revision: the one the txn committed at.
    const revision = this.mvcc.revision;
    return { succeeded, revision, responses: results.map((r) => ({ ...r, revision })) };
  }

  /** Forgets versions older than `revision` (`Compact`); reads below it then fail. */
  compact(revision: number): void {
    checkCount('revision', revision);
    this.mvcc.compact(revision);
    this.counts.compact++;
  }

  /**
   * Watches a key or range. With `startRevision` at or below the current
   * revision, history is replayed first (synchronously, before this
   * returns). Stricter than etcd: a start at or below the compact revision
   * is refused, because etcd may already have dropped that revision's deletes.
   */
  watch(key: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    const r = resolveRange(key, opts);
    const start = checkCount('startRevision', opts.startRevision);
    if (start !== 0 && start <= this.mvcc.compactRevision) throw compactedError(start, this.mvcc.compactRevision);
    if (typeof cb !== 'function') throw new InputError('InvalidCallback', String(cb), 'a watch callback function');
    this.counts.watchCreate++;
    const history = start !== 0 && start <= this.mvcc.revision ? this.mvcc.eventsSince(start) : [];
    return this.hub.add(r, start === 0 ? this.mvcc.revision + 1 : start, opts, cb, history);
  }

  /** Creates a lease of `ttlSeconds` (`LeaseGrant`). */
  grant(ttlSeconds: number, opts: { id?: number } = {}): LeaseGrantResult {
    const l = this.lessor.grant(ttlSeconds, this.clock.now(), opts.id);
    this.counts.leaseGrant++;
    this.schedule();
    return { id: l.id, ttl: l.ttl };
  }

  /** Revokes a lease, deleting its keys at one revision (`LeaseRevoke`). */
  revoke(id: number): void {
    const l = this.lessor.get(id);
    this.counts.leaseRevoke++;
    this.drop(l);
    this.schedule();
  }

  /** Renews a lease for its TTL from now; returns the TTL (`LeaseKeepAlive`). */
  keepAlive(id: number): number {
    const l = this.lessor.get(id);
    this.counts.leaseKeepAlive++;
    l.expiry = this.clock.now() + l.ttl * 1000;
    this.schedule();
    return l.ttl;
  }

  /** Remaining TTL, truncated to seconds (`LeaseTimeToLive`). */
  timeToLive(id: number, opts: { keys?: boolean } = {}): LeaseTimeToLiveResult {
    const l = this.lessor.get(id);
    this.counts.leaseTimeToLive++;
    const ttl = Math.floor((l.expiry - this.clock.now()) / 1000);
    const base = { id, ttl, grantedTtl: l.ttl };
    return opts.keys ? { ...base, keys: [...l.keys].sort() } : base;
  }

  /** Load counters and size; see {@link StoreStats}. */
  stats(): StoreStats {
    const requests = { ...this.counts, watchCancel: this.hub.counters.cancels };
    let total = 0;
    for (const v of Object.values(requests)) total += v;
    return {
      requests,
      totalRequests: total,
      watchEventsDelivered: this.hub.counters.events,
      watchResponses: this.hub.counters.responses,
      bytesWritten: this.bytesWritten,
      bytesRead: this.bytesRead,
      bytesWatched: this.hub.counters.bytes,
      keysExpired: this.keysExpired,
      keys: this.mvcc.size,
      leases: this.lessor.size,
      watchers: this.hub.size,
      revision: this.mvcc.revision,
      compactRevision: this.mvcc.compactRevision,
      historyBytes: this.mvcc.historyBytes,
    };
  }

  /** Zeroes the request and byte counters (not the data). */
  resetStats(): void {
    this.counts = zeroCounts();
    this.bytesWritten = this.bytesRead = this.keysExpired = 0;
    Object.assign(this.hub.counters, { events: 0, responses: 0, bytes: 0, cancels: 0 });
  }

  private doRange(r: ResolvedRange, rev: number, limit: number, opts: RangeOptions): RangeResult {
    const all = this.mvcc.read(r, rev);
    const count = all.length;
    const more = limit > 0 && count > limit;
    let kvs = more ? all.slice(0, limit) : all;
    if (opts.countOnly) kvs = [];
    else if (opts.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
    for (const kv of kvs) this.bytesRead += kvBytes(kv);
    return { kvs, count, more, revision: this.mvcc.revision };
  }

  private apply(op: TxnOp): TxnOpResult {
    if (op.op === 'range') return { op: 'range', ...this.doRange(resolveRange(op.key, op), op.revision ?? 0, op.limit ?? 0, op) };
    if (op.op === 'put') {
      const lease = op.lease ?? 0;
      const prev = this.mvcc.current(op.key);
      if (prev && prev.lease !== 0) this.lessor.get(prev.lease).keys.delete(op.key);
      if (lease !== 0) this.lessor.get(lease).keys.add(op.key);
      const e = this.mvcc.put(op.key, op.value, lease);
      this.bytesWritten += kvBytes(e.kv);
      if (op.prevKv && prev) {
        this.bytesRead += kvBytes(prev);
        return { op: 'put', revision: 0, prevKv: prev };
      }
      return { op: 'put', revision: 0 };
    }
    const prevKvs = this.deleteRange(resolveRange(op.key, op));
    if (!op.prevKv) return { op: 'delete', revision: 0, deleted: prevKvs.length };
    for (const kv of prevKvs) this.bytesRead += kvBytes(kv);
    return { op: 'delete', revision: 0, deleted: prevKvs.length, prevKvs };
  }

  private deleteRange(r: ResolvedRange): KeyValue[] {
    const victims = this.mvcc.read(r, 0);
    for (const kv of victims) {
      if (kv.lease !== 0) this.lessor.get(kv.lease).keys.delete(kv.key);
      this.mvcc.del(kv.key);
    }
    return victims;
  }

  private commit(): void {
    const events = this.mvcc.commit();
    if (events.length > 0) this.hub.publish(this.mvcc.revision, events);
  }

  // Revoke or expiry: every attached key goes at one revision, in key order (etcd sorts them too).
  private drop(l: Lease): void {
    this.lessor.remove(l.id);
    this.keysExpired += l.keys.size;
    for (const key of [...l.keys].sort()) this.mvcc.del(key);
    this.commit();
  }

  private schedule(): void {
    if (this.expiryTimer !== undefined) this.clock.clearTimer(this.expiryTimer);
    this.expiryTimer = undefined;
    const next = this.lessor.nextExpiry();
    if (next === undefined) return;
    this.expiryTimer = this.clock.setTimer(Math.max(0, next - this.clock.now()), () => {
      this.expiryTimer = undefined;
      for (const l of this.lessor.expired(this.clock.now())) this.drop(l);
      this.schedule();
    });
  }
}
