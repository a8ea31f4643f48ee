/**
 * Data types of the etcd-like store, named after etcd v3's protobufs
 * (`mvccpb.KeyValue`, `etcdserverpb.RangeRequest`, `Compare`, `WatchResponse`)
 * in camelCase, so that a real etcd client can sit behind {@link KVStore}.
 *
 * Values are strings (Calico and Flannel store JSON). Byte counts in
 * {@link StoreStats} are UTF-8 lengths, what etcd would store.
 */

/** One version of a key (`mvccpb.KeyValue`). */
export interface KeyValue {
  readonly key: string;
  /** Empty for a DELETE event's tombstone. */
  readonly value: string;
  /** Revision of the put that created the key (in its current life). 0 for a tombstone. */
  readonly createRevision: number;
  /** Revision of the last change of the key. */
  readonly modRevision: number;
  /** Number of puts since creation (1 after the create); 0 for a tombstone. */
  readonly version: number;
  /** Lease the key is attached to; 0 = none. */
  readonly lease: number;
}

/**
 * A key range as etcd gives it: `end` undefined = the single `key`;
 * `end: '\0'` = every key >= `key`; `prefix: true` = every key starting with
 * `key` (clientv3's `WithPrefix`, which computes `end` for you).
 */
export interface KeyRange {
  /** Exclusive end of the range [key, end). */
  end?: string;
  /** Treat `key` as a prefix (overrides `end`). Default false. */
  prefix?: boolean;
}

/** Options of {@link SyncKVStore.range} (`RangeRequest`). */
export interface RangeOptions extends KeyRange {
  /** Maximum number of keys returned; 0 = no limit (default). */
  limit?: number;
  /** Read at this revision; 0 = current (default). Must not be compacted. */
  revision?: number;
  /** Return keys with empty values. Default false. */
  keysOnly?: boolean;
  /** Return only the count. Default false. */
  countOnly?: boolean;
}

/** Answer of a range (`RangeResponse`). Keys ascend (etcd's default order). */
export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** Number of keys in the range, ignoring `limit`. */
  readonly count: number;
  /** More keys exist than were returned. */
  readonly more: boolean;
  /** Store revision when the request was served (the response header's). */
  readonly revision: number;
}

/** Options of a put (`PutRequest`). */
export interface PutOptions {
  /** Attach the key to this lease; 0 or absent = detach (default). */
  lease?: number;
  /** Return the previous version. Default false. */
  prevKv?: boolean;
}

/** Answer of a put. */
export interface PutResult {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

/** Options of a delete (`DeleteRangeRequest`). */
export interface DeleteOptions extends KeyRange {
  /** Return the deleted versions. Default false. */
  prevKv?: boolean;
}

/** Answer of a delete. */
export interface DeleteResult {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}

/** What a compare looks at (`Compare.CompareTarget`); `create`/`mod` are the revisions. */
export type CompareTarget = 'version' | 'create' | 'mod' | 'value' | 'lease';
/** How it compares (`Compare.CompareResult`). */
export type CompareOp = '=' | '!=' | '<' | '>';

/**
 * One guard of a transaction (`Compare`). Over a range, every key must
 * satisfy it. A missing key has version/create/mod/lease 0, and any `value`
 * compare on a missing key is false (as etcd's `applyCompare`).
 */
export interface Compare extends KeyRange {
  key: string;
  target: CompareTarget;
  result: CompareOp;
  /** A string for `value`, an integer for the others. */
  value: string | number;
}

/** One operation of a transaction (`RequestOp`). Nested txns are not supported. */
export type TxnOp =
  | ({ op: 'put'; key: string; value: string } & PutOptions)
  | ({ op: 'delete'; key: string } & DeleteOptions)
  | ({ op: 'range'; key: string } & RangeOptions);

/** Result of one operation (`ResponseOp`). */
export type TxnOpResult =
  | ({ op: 'put' } & PutResult)
  | ({ op: 'delete' } & DeleteResult)
  | ({ op: 'range' } & RangeResult);

/** A transaction (`TxnRequest`): if every compare holds, run `success`, else `failure`. */
export interface TxnRequest {
  compare?: Compare[];
  success?: TxnOp[];
  failure?: TxnOp[];
}

/** Answer of a transaction (`TxnResponse`). */
export interface TxnResult {
  readonly succeeded: boolean;
  /** Store revision after the transaction (one revision for all its writes). */
  readonly revision: number;
  readonly responses: readonly TxnOpResult[];
}

/** A change (`mvccpb.Event`). A DELETE's `kv` carries only key and modRevision. */
export interface StoreEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: KeyValue;
  /** The version before the change, when the watch asked for it and one existed. */
  readonly prevKv?: KeyValue;
}

/** Options of a watch (`WatchCreateRequest`). */
export interface WatchOptions extends KeyRange {
  /** First revision to report; 0 = next revision (default). An old one replays history. */
  startRevision?: number;
  /** Attach the previous version to each event. Default false. */
  prevKv?: boolean;
  /** Drop PUT events. Default false. */
  noPut?: boolean;
  /** Drop DELETE events. Default false. */
  noDelete?: boolean;
}

/** One delivery to a watcher: the events of one revision (`WatchResponse`). */
export interface WatchResponse {
  readonly watchId: number;
  /** The revision of these events. */
  readonly revision: number;
  readonly events: readonly StoreEvent[];
}

/** A live watch. */
export interface Watcher {
  readonly id: number;
  /** Stops deliveries, including ones already queued. Idempotent. */
  cancel(): void;
  readonly cancelled: boolean;
}

/** Called once per revision that has matching events, in revision order. */
export type WatchCallback = (resp: WatchResponse, watcher: Watcher) => void;

/** Answer of a lease grant. */
export interface LeaseGrantResult {
  readonly id: number;
  /** Granted TTL in seconds. */
  readonly ttl: number;
}

/** Answer of `timeToLive` (`LeaseTimeToLiveResponse`). */
export interface LeaseTimeToLiveResult {
  readonly id: number;
  /** Remaining whole seconds (etcd truncates). */
  readonly ttl: number;
  /** TTL given at grant time, in seconds. */
  readonly grantedTtl: number;
  /** Attached keys, sorted, when asked for. */
  readonly keys?: readonly string[];
}

/** Requests served, per etcd RPC, for the "store load" benchmarks. */
export interface RequestCounts {
  range: number;
  put: number;
  deleteRange: number;
  txn: number;
  compact: number;
  watchCreate: number;
  watchCancel: number;
  leaseGrant: number;
  leaseRevoke: number;
  leaseKeepAlive: number;
  leaseTimeToLive: number;
}

/** A snapshot of the store's load counters and size. */
export interface StoreStats {
  readonly requests: Readonly<RequestCounts>;
  /** Sum of `requests`. */
  readonly totalRequests: number;
  /** Events handed to watch callbacks (replays included). */
  readonly watchEventsDelivered: number;
  /** Watch responses (one per watcher per revision). */
  readonly watchResponses: number;
  /** UTF-8 bytes of keys and values written by puts. */
  readonly bytesWritten: number;
  /** UTF-8 bytes of keys and values returned by ranges and prevKvs. */
  readonly bytesRead: number;
  /** UTF-8 bytes of keys and values in delivered watch events (kv and prevKv). */
  readonly bytesWatched: number;
  /** Keys deleted by lease expiry or revoke. */
  readonly keysExpired: number;
  /** Live keys now. */
  readonly keys: number;
  /** Live leases now. */
  readonly leases: number;
  /** Active watchers now. */
  readonly watchers: number;
  readonly revision: number;
  readonly compactRevision: number;
  /** UTF-8 bytes of every stored version not yet compacted (a stand-in for etcd's db size). */
  readonly historyBytes: number;
}

/**
 * The store, synchronous: the in-memory simulator implements it directly, so
 * simulations stay deterministic. Watch callbacks run synchronously after the
 * write that caused them has committed.
 */
export interface SyncKVStore {
  /** The current revision (the last committed write's). */
  readonly revision: number;
  get(key: string, opts?: { revision?: number }): KeyValue | undefined;
  range(key: string, opts?: RangeOptions): RangeResult;
  put(key: string, value: string, opts?: PutOptions): PutResult;
  delete(key: string, opts?: DeleteOptions): DeleteResult;
  txn(req: TxnRequest): TxnResult;
  compact(revision: number): void;
  watch(key: string, opts: WatchOptions, cb: WatchCallback): Watcher;
  grant(ttlSeconds: number, opts?: { id?: number }): LeaseGrantResult;
  revoke(id: number): void;
  /** Renews a lease for its granted TTL; returns that TTL (`LeaseKeepAliveResponse.TTL`). */
  keepAlive(id: number): number;
  timeToLive(id: number, opts?: { keys?: boolean }): LeaseTimeToLiveResult;
  stats(): StoreStats;
}

/** The same store as a real etcd client would expose it: every request is async. */
export interface KVStore {
  get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined>;
  range(key: string, opts?: RangeOptions): Promise<RangeResult>;
  put(key: string, value: string, opts?: PutOptions): Promise<PutResult>;
  delete(key: string, opts?: DeleteOptions): Promise<DeleteResult>;
  txn(req: TxnRequest): Promise<TxnResult>;
  compact(revision: number): Promise<void>;
  /** Creating a watch is synchronous; events arrive through `cb`. */
  watch(key: string, opts: WatchOptions, cb: WatchCallback): Watcher;
  grant(ttlSeconds: number, opts?: { id?: number }): Promise<LeaseGrantResult>;
  revoke(id: number): Promise<void>;
  keepAlive(id: number): Promise<number>;
  timeToLive(id: number, opts?: { keys?: boolean }): Promise<LeaseTimeToLiveResult>;
  stats(): StoreStats;
}
