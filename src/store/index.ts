// The etcd-like store for the control planes. See docs/store.md.
export { SimClock } from './clock.js';
export type { TimerId } from './clock.js';
export { MemoryStore } from './memory.js';
export type { MemoryStoreOptions } from './memory.js';
export { asyncStore } from './async.js';
export { cmp, DEFAULT_MAX_TXN_OPS } from './txn.js';
export { prefixEnd, ALL_KEYS } from './keys.js';
export { MAX_LEASE_TTL } from './lease.js';
export type * from './types.js';
