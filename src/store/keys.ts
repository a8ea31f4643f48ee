/**
 * Key ranges, byte counting and the store's errors, with etcd's own words.
 *
 * Keys compare by UTF-16 code unit (JavaScript's `<`). etcd compares bytes;
 * the two orders agree for ASCII keys, which is all Calico and Flannel use.
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { KeyRange } from './types.js';

/** etcd's "all keys >= key" range end. */
export const ALL_KEYS = '\0';

/** Normalised range: `end` null = the single key `start`; '' never occurs. */
export interface ResolvedRange {
  start: string;
  /** Exclusive end; `ALL_KEYS` = unbounded; null = single key. */
  end: string | null;
}

/**
 * The smallest key greater than every key starting with `prefix`
 * (clientv3's `GetPrefixRangeEnd`): increment the last code unit that is
 * not 0xFFFF and drop the rest; `'\0'` (all keys) when there is none.
 */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return ALL_KEYS;
}

/** Validates a key and turns `{end, prefix}` into a {@link ResolvedRange}. */
export function resolveRange(key: string, r: KeyRange | undefined, what = 'key'): ResolvedRange {
  checkKey(key, what);
  if (r?.prefix) return { start: key, end: prefixEnd(key) };
  if (r?.end === undefined) return { start: key, end: null };
  if (typeof r.end !== 'string') throw new InputError('InvalidRangeEnd', String(r.end), 'a string range end');
  // etcd treats an empty range_end as "no range" (single key).
  if (r.end === '') return { start: key, end: null };
  return { start: key, end: r.end };
}

/** Whether `key` lies in the range. */
export function inRange(key: string, r: ResolvedRange): boolean {
  if (r.end === null) return key === r.start;
  return key >= r.start && (r.end === ALL_KEYS || key < r.end);
}

/** Whether two ranges share at least one key (used for etcd's duplicate-key check). */
export function rangesOverlap(a: ResolvedRange, b: ResolvedRange): boolean {
  const aEnd = a.end === null ? a.start + '\0' : a.end;
  const bEnd = b.end === null ? b.start + '\0' : b.end;
  const aBelowB = aEnd !== ALL_KEYS && aEnd <= b.start;
  const bBelowA = bEnd !== ALL_KEYS && bEnd <= a.start;
  return !aBelowB && !bBelowA;
}

/** Rejects what etcd rejects: a key must be a non-empty string. */
export function checkKey(key: string, what = 'key'): void {
  if (typeof key !== 'string' || key.length === 0) throw new InputError('EmptyKey', String(key ?? ''), `a non-empty ${what} (etcdserver: key is not provided)`);
}

/** UTF-8 length of a string, without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** `mvcc: required revision has been compacted` (etcd's ErrCompacted). */
export function compactedError(rev: number, compactRev: number): CnikitError {
  return new CnikitError('Compacted', `mvcc: required revision has been compacted (asked ${rev}, compacted at ${compactRev})`);
}

/** `mvcc: required revision is a future revision` (etcd's ErrFutureRev). */
export function futureRevError(rev: number, current: number): CnikitError {
  return new CnikitError('FutureRevision', `mvcc: required revision is a future revision (asked ${rev}, current ${current})`);
}

/** `etcdserver: requested lease not found` (etcd's ErrLeaseNotFound). */
export function leaseNotFound(id: number): CnikitError {
  return new CnikitError('LeaseNotFound', `etcdserver: requested lease not found (lease ${id})`);
}

/** Checks a non-negative safe integer option. */
export function checkCount(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new InputError('InvalidArgument', String(v), `${name}: an integer >= 0`);
  return v;
}
