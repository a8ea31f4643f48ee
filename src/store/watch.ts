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
import { ALL_KEYS, inRange, prefixEnd, type ResolvedRange } from './keys.js';
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
  // etcd's watcherGroup: single-key watchers by key and prefix watchers by
  // prefix, so a write finds its watchers without visiting every one
  // (etcd stabs an interval tree); any other range is checked in turn.
  private byKey = new Map<string, Set<WatcherState>>();
  private byPrefix = new Map<string, Set<WatcherState>>();
  private ranges = new Set<WatcherState>();
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
        hub.unindex(w);
        hub.counters.cancels++;
      },
    };
    this.watchers.set(id, w);
    this.index(w);
    for (const h of history) this.enqueue(w, h.rev, h.events);
    this.drain();
    return w;
  }

  /** Queues the events of a committed revision for every matching watcher, then delivers. */
  publish(rev: number, events: StoreEvent[]): void {
    // In registration order, as a scan of every watcher would queue them.
    for (const w of this.matching(events)) this.enqueue(w, rev, events);
    this.drain();
  }

  // The watchers whose range holds a key of `events`, by id.
  private matching(events: StoreEvent[]): WatcherState[] {
    const found = new Set<WatcherState>(this.ranges);
    for (const e of events) {
      const key = e.kv.key;
      for (const w of this.byKey.get(key) ?? []) found.add(w);
      if (this.byPrefix.size) for (let i = 0; i <= key.length; i++) for (const w of this.byPrefix.get(key.slice(0, i)) ?? []) found.add(w);
    }
    const out = [...found];
    return out.length > 1 ? out.sort((a, b) => a.id - b.id) : out;
  }

  private groupOf(w: WatcherState): Set<WatcherState> {
    const { start, end } = w.range;
    let map: Map<string, Set<WatcherState>> | undefined;
    if (end === null) map = this.byKey;
    else if (start !== '' && end !== ALL_KEYS && end === prefixEnd(start)) map = this.byPrefix;
    if (!map) return this.ranges;
    let g = map.get(start);
    if (!g) map.set(start, (g = new Set()));
    return g;
  }

  private index(w: WatcherState): void {
    this.groupOf(w).add(w);
  }

  private unindex(w: WatcherState): void {
    const g = this.groupOf(w);
    g.delete(w);
    if (g.size === 0 && g !== this.ranges) (w.range.end === null ? this.byKey : this.byPrefix).delete(w.range.start);
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
