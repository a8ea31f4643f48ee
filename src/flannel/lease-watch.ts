/**
 * The two loops flanneld runs on the store after taking its lease
 * (pkg/subnet/etcd/local_manager.go, pkg/lease/lease.go):
 *
 * - `completeLease` (`CompleteLease`): renew at expiry - margin by a new
 *   grant and a put (a failure retries every minute), and watch the own
 *   key: an `EventAdded` moves the renew time, an `EventRemoved` is "Lease
 *   has been revoked. Shutting down daemon."
 * - `watchLeases` (`WatchLeases` + `LeaseWatcher`): list (a snapshot), then
 *   watch `<prefix>/subnets` from the next revision; the node's own subnet
 *   is dropped; a DELETE carries the lease as it was last seen.
 */
import type { KeyValue, SimClock, SyncKVStore, Watcher } from '../store/index.js';
import type { Lease, Subnet } from './lease.js';

/** What the loops need of the subnet manager. */
export interface LeaseSource {
  readonly store: SyncKVStore;
  readonly clock: SimClock;
  readonly prefix: string;
  /** The renew margin in ms. */
  readonly marginMs: number;
  keyOf(s: Subnet): string;
  leaseFromKv(kv: KeyValue): Lease | undefined;
  listLeases(): { leases: Lease[]; revision: number };
  renewLease(l: Lease): Lease;
}

/** A change to another node's lease, as the backends see it (`lease.Event`). */
export interface LeaseEvent {
  type: 'added' | 'removed';
  lease: Lease;
}

/** A running renew loop and own-lease watch (`CompleteLease`). */
export interface LeaseKeeper {
  /** The lease as last written (its expiry moves with each renewal). */
  readonly lease: Lease;
  stop(): void;
}

/**
 * `CompleteLease`: renews `lease` at expiry - margin (retrying every minute
 * on error) and watches its key; `onRevoked` runs once when the key goes
 * (flanneld then exits), after which the keeper is stopped.
 */
export function completeLease(sm: LeaseSource, lease: Lease, onRevoked: () => void): LeaseKeeper {
  let current = lease;
  let timer: number | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (timer !== undefined) sm.clock.clearTimer(timer);
    timer = sm.clock.setTimer(Math.max(0, ms), renew);
  };
  const renew = () => {
    timer = undefined;
    try {
      current = sm.renewLease(current);
      if (current.expiresAt !== undefined) schedule(current.expiresAt - sm.clock.now() - sm.marginMs);
    } catch {
      schedule(60_000);
    }
  };
  const stop = () => {
    stopped = true;
    if (timer !== undefined) sm.clock.clearTimer(timer);
    watch.cancel();
  };
  const watch: Watcher = sm.store.watch(sm.keyOf(lease.subnet), { prefix: true }, (resp) => {
    if (stopped) return;
    for (const e of resp.events) {
      if (e.type === 'DELETE') {
        stop();
        onRevoked();
        return;
      }
      const l = sm.leaseFromKv(e.kv);
      if (l?.expiresAt !== undefined) schedule(l.expiresAt - sm.clock.now() - sm.marginMs);
    }
  });
  if (lease.expiresAt !== undefined) schedule(lease.expiresAt - sm.clock.now() - sm.marginMs);
  return {
    get lease() {
      return current;
    },
    stop,
  };
}

/**
 * `WatchLeases` through `LeaseWatcher`: the other nodes' leases now (as
 * `added` events), then each change. Returns the watch.
 */
export function watchLeases(sm: LeaseSource, own: Subnet, onEvents: (events: LeaseEvent[]) => void): Watcher {
  // Keyed by the store key: one lease per key, as LeaseWatcher's set by subnet.
  const known = new Map<string, Lease>();
  const isOwn = (s: Subnet) => s.addr === own.addr && s.len === own.len;
  const { leases, revision } = sm.listLeases();
  const first: LeaseEvent[] = [];
  for (const l of leases) {
    if (isOwn(l.subnet)) continue;
    known.set(sm.keyOf(l.subnet), l);
    first.push({ type: 'added', lease: l });
  }
  if (first.length) onEvents(first);
  return sm.store.watch(`${sm.prefix}/subnets`, { prefix: true, startRevision: revision + 1 }, (resp) => {
    const batch: LeaseEvent[] = [];
    for (const e of resp.events) {
      if (e.type === 'DELETE') {
        const l = known.get(e.kv.key);
        if (!l) continue;
        known.delete(e.kv.key);
        batch.push({ type: 'removed', lease: l });
      } else {
        const l = sm.leaseFromKv(e.kv);
        if (!l || isOwn(l.subnet)) continue;
        known.set(e.kv.key, l);
        batch.push({ type: 'added', lease: l });
      }
    }
    if (batch.length) onEvents(batch);
  });
}
