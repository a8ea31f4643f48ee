/**
 * Wraps a synchronous store as the async {@link KVStore} a real etcd client
 * would offer, so control-plane code written against `KVStore` runs on the
 * simulator today and on etcd later. Errors become rejected promises.
 */
import type { KVStore, SyncKVStore } from './types.js';

/** An async view of `s`; watch callbacks still run when `s` delivers them. */
export function asyncStore(s: SyncKVStore): KVStore {
  return {
    get: async (key, opts) => s.get(key, opts),
    range: async (key, opts) => s.range(key, opts),
    put: async (key, value, opts) => s.put(key, value, opts),
    delete: async (key, opts) => s.delete(key, opts),
    txn: async (req) => s.txn(req),
    compact: async (rev) => s.compact(rev),
    watch: (key, opts, cb) => s.watch(key, opts, cb),
    grant: async (ttl, opts) => s.grant(ttl, opts),
    revoke: async (id) => s.revoke(id),
    keepAlive: async (id) => s.keepAlive(id),
    timeToLive: async (id, opts) => s.timeToLive(id, opts),
    stats: () => s.stats(),
  };
}
