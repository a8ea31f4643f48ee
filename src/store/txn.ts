/**
 * Transaction checks (etcd's `checkTxnRequest`, `checkIntervals` and
 * `applyCompare`), kept apart from the store so the rules read as etcd's.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { checkKey, rangesOverlap, resolveRange, type ResolvedRange } from './keys.js';
import type { Compare, KeyValue, TxnOp, TxnRequest } from './types.js';

/** etcd's default `--max-txn-ops`. */
export const DEFAULT_MAX_TXN_OPS = 128;

const TARGETS = new Set(['version', 'create', 'mod', 'value', 'lease']);
const RESULTS = new Set(['=', '!=', '<', '>']);
const ZERO: KeyValue = { key: '', value: '', createRevision: 0, modRevision: 0, version: 0, lease: 0 };

/** A compare with its range resolved. */
export interface CheckedCompare {
  c: Compare;
  range: ResolvedRange;
}

/**
 * Validates the shape of a transaction: sizes, compares, ops of both
 * branches, and etcd's "duplicate key" rule (a branch may not put one key
 * twice, nor put a key it also deletes).
 */
export function checkTxn(req: TxnRequest, maxOps: number): CheckedCompare[] {
  const compare = req.compare ?? [];
  for (const [name, list] of [['compare', compare], ['success', req.success ?? []], ['failure', req.failure ?? []]] as const) {
    if (list.length > maxOps) throw new CnikitError('TooManyOps', `etcdserver: too many operations in txn request (${name} has ${list.length}, max ${maxOps})`);
  }
  const checked = compare.map((c, i) => checkCompare(c, i));
  checkBranch(req.success ?? [], 'success');
  checkBranch(req.failure ?? [], 'failure');
  return checked;
}

function checkCompare(c: Compare, i: number): CheckedCompare {
  checkKey(c.key, `compare[${i}] key`);
  if (!TARGETS.has(c.target)) throw new InputError('InvalidCompare', String(c.target), `compare[${i}] target: version, create, mod, value or lease`);
  if (!RESULTS.has(c.result)) throw new InputError('InvalidCompare', String(c.result), `compare[${i}] result: =, !=, < or >`);
  if (c.target === 'value') {
    if (typeof c.value !== 'string') throw new InputError('InvalidCompare', String(c.value), `compare[${i}] value: a string for target value`);
  } else if (typeof c.value !== 'number' || !Number.isSafeInteger(c.value)) {
    throw new InputError('InvalidCompare', String(c.value), `compare[${i}] value: an integer for target ${c.target}`);
  }
  return { c, range: resolveRange(c.key, c, `compare[${i}] key`) };
}

function checkBranch(ops: TxnOp[], name: string): void {
  const puts: ResolvedRange[] = [];
  const dels: ResolvedRange[] = [];
  ops.forEach((op, i) => {
    const where = `${name}[${i}]`;
    if (op.op === 'put') {
      checkKey(op.key, `${where} key`);
      if (typeof op.value !== 'string') throw new InputError('InvalidValue', String(op.value), `${where} value: a string`);
      puts.push({ start: op.key, end: null });
    } else if (op.op === 'delete') dels.push(resolveRange(op.key, op, `${where} key`));
    else if (op.op === 'range') resolveRange(op.key, op, `${where} key`);
    else throw new InputError('InvalidOp', String((op as { op: unknown }).op), `${where}: op put, delete or range`);
  });
  for (let i = 0; i < puts.length; i++) {
    for (let j = i + 1; j < puts.length; j++) if (puts[i].start === puts[j].start) throw duplicate(puts[i].start);
    for (const d of dels) if (rangesOverlap(puts[i], d)) throw duplicate(puts[i].start);
  }
}

function duplicate(key: string): CnikitError {
  return new CnikitError('DuplicateKey', `etcdserver: duplicate key given in txn request (${JSON.stringify(key)})`);
}

/** etcd's `applyCompare`: every key in range must pass; a value compare on no key fails. */
export function compareHolds(c: Compare, kvs: readonly KeyValue[]): boolean {
  if (kvs.length === 0) return c.target === 'value' ? false : compareKV(c, ZERO);
  return kvs.every((kv) => compareKV(c, kv));
}

function compareKV(c: Compare, kv: KeyValue): boolean {
  let a: string | number;
  switch (c.target) {
    case 'value':
      a = kv.value;
      break;
    case 'version':
      a = kv.version;
      break;
    case 'create':
      a = kv.createRevision;
      break;
    case 'mod':
      a = kv.modRevision;
      break;
    default:
      a = kv.lease;
  }
  const b = c.value;
  switch (c.result) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    default:
      return a > b;
  }
}

/** Builders in the style of clientv3's `Compare(Version(key), "=", 0)`. */
export const cmp = {
  /** Compare the key's version (0 = absent). */
  version: (key: string, result: Compare['result'], value: number, range?: { end?: string; prefix?: boolean }): Compare => ({ key, target: 'version', result, value, ...range }),
  /** Compare the key's create revision. */
  create: (key: string, result: Compare['result'], value: number, range?: { end?: string; prefix?: boolean }): Compare => ({ key, target: 'create', result, value, ...range }),
  /** Compare the key's mod revision (the usual CAS guard). */
  mod: (key: string, result: Compare['result'], value: number, range?: { end?: string; prefix?: boolean }): Compare => ({ key, target: 'mod', result, value, ...range }),
  /** Compare the key's value. */
  value: (key: string, result: Compare['result'], value: string, range?: { end?: string; prefix?: boolean }): Compare => ({ key, target: 'value', result, value, ...range }),
  /** Compare the key's lease id (0 = none). */
  lease: (key: string, result: Compare['result'], value: number, range?: { end?: string; prefix?: boolean }): Compare => ({ key, target: 'lease', result, value, ...range }),
};
