/**
 * Watches (etcd's `watchableStore`, reduced): each watcher covers a key
 * range and receives, once per revision with matching events, a response
 * carrying them, in revision order. A watch from an old revision first
 * replays the kept history.
 *
 * Simplified: delivery is synchronous (right after the write commits, or
 * during `watch()` for a replay) through one queue, so every watcher sees
 * revisions in order even when a callback writes to the store. etcd batches
 * several revisions per response and may fragment large ones; we send one
 * revision per response. No progress notifications.
 */
import { inRange, type ResolvedRange } from './keys.js';
import { kvBytes } from './mvcc.js';
import type { StoreEvent, WatchCallback, WatchOptions, WatchResponse, Watcher } from './types.js';

interface WatcherState extends Watcher {
  range: ResolvedRange;
  /** Revisions below this are not reported (a watch from a future revision). */
  minRev: number;
  opts: WatchOptions;
  cb: WatchCallback;
}

/** Counters the store reports in `stats()`. */
export interface WatchCounters {
  events: number;
  responses: number;
  bytes: number;
  cancels: number;
}

/** The set of watchers and the delivery queue. */
export class WatchHub {
  readonly counters: WatchCounters = { events: 0, responses: 0, bytes: 0, cancels: 0 };
  private watchers = new Map<number, WatcherState>();
  // A FIFO read from `head` (Array.shift is O(n): a revision fans out to every watcher).
  private queue: { w: WatcherState; resp: WatchResponse }[] = [];
  private head = 0;
  private draining = false;
  private nextId = 1;

  /** Active watchers. */
  get size(): number {
    return this.watchers.size;
  }

  /** Registers a watcher; `history` is what it must replay first. */
  add(range: ResolvedRange, minRev: number, opts: WatchOptions, cb: WatchCallback, history: { rev: number; events: StoreEvent[] }[]): Watcher {
    const id = this.nextId++;
    const hub = this;
    const w: WatcherState = {
      id,
      range,
      minRev,
      opts,
      cb,
      cancelled: false,
      cancel() {
        if (w.cancelled) return;
        (w as { cancelled: boolean }).cancelled = true;
        hub.watchers.delete(id);
        hub.counters.cancels++;
      },
    };
    this.watchers.set(id, w);
    for (const h of history) this.enqueue(w, h.rev, h.events);
    this.drain();
    return w;
  }

  /** Queues the events of a committed revision for every matching watcher, then delivers. */
  publish(rev: number, events: StoreEvent[]): void {
    for (const w of this.watchers.values()) this.enqueue(w, rev, events);
    this.drain();
  }

  private enqueue(w: WatcherState, rev: number, events: StoreEvent[]): void {
    if (rev < w.minRev) return;
    const mine: StoreEvent[] = [];
    for (const e of events) {
      if (!inRange(e.kv.key, w.range)) continue;
      if (e.type === 'PUT' ? w.opts.noPut : w.opts.noDelete) continue;
      if (w.opts.prevKv || !e.prevKv) mine.push(e);
      else mine.push({ type: e.type, kv: e.kv });
    }
    if (mine.length > 0) this.queue.push({ w, resp: { watchId: w.id, revision: rev, events: mine } });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.head < this.queue.length) {
        const { w, resp } = this.queue[this.head++];
        if (w.cancelled) continue;
        this.counters.responses++;
        this.counters.events += resp.events.length;
        for (const e of resp.events) {
          this.counters.bytes += kvBytes(e.kv);
          if (e.prevKv) this.counters.bytes += kvBytes(e.prevKv);
        }
        w.cb(resp, w);
      }
    } finally {
      this.draining = false;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
    }
  }
}
