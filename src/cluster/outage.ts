/**
 * A store the cluster's agents reach over a network that can fail: while
 * `down`, every request throws etcd's client error and watch deliveries are
 * held back; when it comes back, each watch resumes from the revision after
 * the last one it delivered, as clientv3 re-creates a watch after a
 * reconnect (the store replays the missed revisions, or throws `Compacted`
 * when they are gone). The store itself keeps running on the clock, so
 * leases still expire during an outage: this is a partition between the
 * nodes and etcd, not etcd stopped (a restarted etcd would extend leases).
 */
import { CnikitError } from '../core/errors.js';
import type {
  DeleteOptions, DeleteResult, KeyValue, LeaseGrantResult, LeaseTimeToLiveResult, PutOptions, PutResult, RangeOptions, RangeResult,
  StoreStats, SyncKVStore, TxnRequest, TxnResult, WatchCallback, WatchOptions, Watcher,
} from '../store/index.js';

/** What a client sees when etcd cannot be reached. */
export const UNAVAILABLE = 'context deadline exceeded';

interface Held {
  key: string;
  opts: WatchOptions;
  cb: WatchCallback;
  inner: Watcher | undefined;
  /** Last revision delivered to `cb`. */
  seen: number;
  cancelled: boolean;
  /** The watcher the caller holds (passed to `cb`, so that cancelling it from the callback cancels the whole watch). */
  outer?: Watcher;
}

/** `SyncKVStore` through a link that can go down (`setDown`). */
export class OutageStore implements SyncKVStore {
  private down = false;
  private readonly watches = new Set<Held>();

  constructor(readonly inner: SyncKVStore) {}

  /** Whether the store is unreachable now. */
  get isDown(): boolean {
    return this.down;
  }

  /** Cuts or restores the link; restoring resumes every watch from its next revision. */
  setDown(down: boolean): void {
    if (this.down === down) return;
    this.down = down;
    if (!down) {
      for (const h of [...this.watches]) {
        h.inner?.cancel();
        h.inner = this.open(h, h.seen + 1);
        if (h.cancelled) h.inner.cancel(); // cancelled from a replayed callback
      }
    }
  }

  private check(): void {
    if (this.down) throw new CnikitError('Unavailable', UNAVAILABLE);
  }

  get revision(): number {
    this.check();
    return this.inner.revision;
  }
  get(key: string, opts?: { revision?: number }): KeyValue | undefined {
    this.check();
    return this.inner.get(key, opts);
  }
  range(key: string, opts?: RangeOptions): RangeResult {
    this.check();
    return this.inner.range(key, opts);
  }
  put(key: string, value: string, opts?: PutOptions): PutResult {
    this.check();
    return this.inner.put(key, value, opts);
  }
  delete(key: string, opts?: DeleteOptions): DeleteResult {
    this.check();
    return this.inner.delete(key, opts);
  }
  txn(req: TxnRequest): TxnResult {
    this.check();
    return this.inner.txn(req);
  }
  compact(revision: number): void {
    this.check();
    this.inner.compact(revision);
  }
  grant(ttlSeconds: number, opts?: { id?: number }): LeaseGrantResult {
    this.check();
    return this.inner.grant(ttlSeconds, opts);
  }
  revoke(id: number): void {
    this.check();
    this.inner.revoke(id);
  }
  keepAlive(id: number): number {
    this.check();
    return this.inner.keepAlive(id);
  }
  timeToLive(id: number, opts?: { keys?: boolean }): LeaseTimeToLiveResult {
    this.check();
    return this.inner.timeToLive(id, opts);
  }
  stats(): StoreStats {
    return this.inner.stats();
  }

  watch(key: string, opts: WatchOptions, cb: WatchCallback): Watcher {
    this.check();
    const start = opts.startRevision || this.inner.revision + 1;
    const h: Held = { key, opts, cb, inner: undefined, seen: start - 1, cancelled: false };
    const outer: Watcher = (h.outer = {
      get id() {
        return h.inner?.id ?? 0;
      },
      get cancelled() {
        return h.cancelled;
      },
      cancel: () => {
        h.cancelled = true;
        h.inner?.cancel();
        this.watches.delete(h);
      },
    });
    // Set before opening: a replay of past revisions calls back at once.
    h.inner = this.open(h, start);
    if (h.cancelled) h.inner.cancel();
    else this.watches.add(h);
    return outer;
  }


  private open(h: Held, from: number): Watcher {
    return this.inner.watch(h.key, { ...h.opts, startRevision: from }, (resp, w) => {
      if (this.down || h.cancelled) return; // held back: replayed from h.seen + 1 on reconnect
      h.seen = resp.revision;
      h.cb(resp, h.outer ?? w);
    });
  }
}
