import { describe, expect, it } from 'vitest';
import { MemoryStore, SimClock, asyncStore, cmp, prefixEnd, type StoreEvent, type WatchResponse } from '../src/store/index.js';
import { CnikitError, InputError } from '../src/core/errors.js';
import { utf8Length, rangesOverlap } from '../src/store/keys.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof CnikitError) return e.code;
    throw e;
  }
  throw new Error('did not throw');
}

describe('revisions and versions (etcd semantics)', () => {
  it('an empty store is at revision 1; each put moves it by one', () => {
    const s = new MemoryStore();
    expect(s.revision).toBe(1);
    expect(s.put('a', '1').revision).toBe(2);
    expect(s.put('a', '2').revision).toBe(3);
    expect(s.get('a')).toEqual({ key: 'a', value: '2', createRevision: 2, modRevision: 3, version: 2, lease: 0 });
  });
  it('delete resets version and create_revision; deleting nothing keeps the revision', () => {
    const s = new MemoryStore();
    s.put('a', '1');
    expect(s.delete('a')).toEqual({ revision: 3, deleted: 1 });
    expect(s.delete('a')).toEqual({ revision: 3, deleted: 0 });
    s.put('a', 'x');
    expect(s.get('a')).toMatchObject({ createRevision: 4, modRevision: 4, version: 1 });
  });
  it('put and delete return prevKv when asked', () => {
    const s = new MemoryStore();
    expect(s.put('a', '1', { prevKv: true }).prevKv).toBeUndefined();
    expect(s.put('a', '2', { prevKv: true }).prevKv?.value).toBe('1');
    expect(s.delete('a', { prevKv: true }).prevKvs?.map((kv) => kv.value)).toEqual(['2']);
  });
});

describe('range', () => {
  const s = new MemoryStore();
  for (const k of ['/a/1', '/a/2', '/a/3', '/b/1', '/a']) s.put(k, `v${k}`);
  it('by prefix, ascending, with count and more', () => {
    const r = s.range('/a/', { prefix: true, limit: 2 });
    expect(r.kvs.map((kv) => kv.key)).toEqual(['/a/1', '/a/2']);
    expect(r).toMatchObject({ count: 3, more: true, revision: 6 });
  });
  it('[key, end) and all keys with end \\0', () => {
    expect(s.range('/a/2', { end: '/b/1' }).kvs.map((kv) => kv.key)).toEqual(['/a/2', '/a/3']);
    expect(s.range('/a/3', { end: '\0' }).count).toBe(2);
    expect(s.range('\0', { end: '\0' }).count).toBe(5);
    expect(s.range('/a', { end: '' }).count).toBe(1);
  });
  it('keysOnly and countOnly', () => {
    expect(s.range('/a/', { prefix: true, keysOnly: true }).kvs.every((kv) => kv.value === '')).toBe(true);
    expect(s.range('/a/', { prefix: true, countOnly: true })).toMatchObject({ kvs: [], count: 3 });
  });
  it('prefixEnd increments the last code unit (clientv3 GetPrefixRangeEnd)', () => {
    expect(prefixEnd('/a/')).toBe('/a0');
    expect(prefixEnd('a\uffff')).toBe('b');
    expect(prefixEnd('\uffff')).toBe('\0');
  });
});

describe('reads at old revisions and compaction', () => {
  it('reads the past until compacted, then says etcd\'s words', () => {
    const s = new MemoryStore();
    s.put('k', 'v1'); // 2
    s.put('k', 'v2'); // 3
    s.delete('k'); // 4
    s.put('j', 'x'); // 5
    expect(s.get('k', { revision: 2 })?.value).toBe('v1');
    expect(s.get('k', { revision: 3 })?.value).toBe('v2');
    expect(s.get('k', { revision: 4 })).toBeUndefined();
    expect(s.range('\0', { end: '\0', revision: 3 }).kvs.map((kv) => kv.key)).toEqual(['k']);
    s.compact(3);
    expect(s.get('k', { revision: 3 })?.value).toBe('v2');
    expect(() => s.get('k', { revision: 2 })).toThrow('mvcc: required revision has been compacted');
    expect(code(() => s.compact(3))).toBe('Compacted');
    expect(code(() => s.compact(9))).toBe('FutureRevision');
    expect(() => s.get('k', { revision: 9 })).toThrow('mvcc: required revision is a future revision');
    s.compact(5);
    expect(s.get('j', { revision: 5 })?.value).toBe('x');
    expect(s.stats().historyBytes).toBe(2); // only "j"+"x" is left
  });
});

describe('transactions', () => {
  it('CAS on version, mod, create, value and lease', () => {
    const s = new MemoryStore();
    const l = s.grant(60);
    s.put('k', 'v', { lease: l.id });
    const kv = s.get('k')!;
    for (const c of [cmp.version('k', '=', 1), cmp.mod('k', '=', kv.modRevision), cmp.create('k', '<', 3), cmp.value('k', '=', 'v'), cmp.lease('k', '=', l.id), cmp.value('k', '>', 'u'), cmp.version('k', '!=', 0)]) {
      expect(s.txn({ compare: [c] }).succeeded).toBe(true);
    }
    expect(s.txn({ compare: [cmp.version('k', '>', 1)] }).succeeded).toBe(false);
  });
  it('a value compare on a missing key fails; version 0 matches a missing key', () => {
    const s = new MemoryStore();
    expect(s.txn({ compare: [cmp.value('nope', '!=', 'x')] }).succeeded).toBe(false);
    expect(s.txn({ compare: [cmp.version('nope', '=', 0)] }).succeeded).toBe(true);
  });
  it('compares over a prefix require every key to pass', () => {
    const s = new MemoryStore();
    s.put('/p/a', '1');
    s.put('/p/b', '2');
    expect(s.txn({ compare: [cmp.value('/p/', '>', '0', { prefix: true })] }).succeeded).toBe(true);
    expect(s.txn({ compare: [cmp.value('/p/', '>', '1', { prefix: true })] }).succeeded).toBe(false);
  });
  it('all writes of a txn share one revision; later ops see earlier ones', () => {
    const s = new MemoryStore();
    s.put('c', 'old');
    const r = s.txn({
      compare: [cmp.value('c', '=', 'old')],
      success: [
        { op: 'put', key: 'a', value: '1' },
        { op: 'delete', key: 'c', prevKv: true },
        { op: 'range', key: 'a' },
      ],
      failure: [{ op: 'put', key: 'f', value: '1' }],
    });
    expect(r.succeeded).toBe(true);
    expect(r.revision).toBe(3);
    expect(r.responses[2]).toMatchObject({ op: 'range', count: 1 });
    expect(r.responses[1]).toMatchObject({ op: 'delete', deleted: 1, revision: 3 });
    expect(s.get('f')).toBeUndefined();
    const f = s.txn({ compare: [cmp.value('c', '=', 'old')], success: [{ op: 'put', key: 'x', value: '1' }], failure: [{ op: 'range', key: 'a', revision: 2 }] });
    expect(f.succeeded).toBe(false);
    expect(f.revision).toBe(3); // a read-only branch does not move the revision
    expect(f.responses[0]).toMatchObject({ op: 'range', count: 0 });
  });
  it('rejects etcd\'s bad transactions and changes nothing', () => {
    const s = new MemoryStore({ maxTxnOps: 2 });
    const put = (key: string) => ({ op: 'put' as const, key, value: 'v' });
    expect(code(() => s.txn({ success: [put('a'), put('a')] }))).toBe('DuplicateKey');
    expect(code(() => s.txn({ success: [put('/x/a'), { op: 'delete', key: '/x/', prefix: true }] }))).toBe('DuplicateKey');
    expect(code(() => s.txn({ failure: [put('a'), put('b'), put('c')] }))).toBe('TooManyOps');
    expect(code(() => s.txn({ success: [put('a'), { op: 'put', key: 'b', value: 'v', lease: 42 }] }))).toBe('LeaseNotFound');
    expect(code(() => s.txn({ success: [{ op: 'range', key: 'a', revision: 7 }] }))).toBe('FutureRevision');
    expect(code(() => s.txn({ success: [{ op: 'range', key: 'a', limit: -1 }] }))).toBe('InvalidArgument');
    expect(code(() => s.txn({ compare: [{ key: 'a', target: 'value', result: '=', value: 3 }] }))).toBe('InvalidCompare');
    expect(code(() => s.txn({ compare: [{ key: 'a', target: 'mod', result: '=', value: 'x' }] }))).toBe('InvalidCompare');
    expect(code(() => s.txn({ compare: [{ key: 'a', target: 'nope' as 'mod', result: '=', value: 1 }] }))).toBe('InvalidCompare');
    expect(code(() => s.txn({ compare: [{ key: 'a', target: 'mod', result: '<=' as '<', value: 1 }] }))).toBe('InvalidCompare');
    expect(code(() => s.txn({ success: [{ op: 'get' as 'put', key: 'a', value: '' }] }))).toBe('InvalidOp');
    expect(code(() => s.txn({ success: [{ op: 'put', key: 'a', value: 1 as unknown as string }] }))).toBe('InvalidValue');
    expect(code(() => s.put('', 'v'))).toBe('EmptyKey');
    expect(code(() => s.range('a', { end: 5 as unknown as string }))).toBe('InvalidRangeEnd');
    expect(s.revision).toBe(1);
    expect(s.stats().requests.txn).toBe(0);
  });
});

describe('watches', () => {
  it('deliver PUT/DELETE per revision, in order, with prev_kv on request', () => {
    const s = new MemoryStore();
    const got: WatchResponse[] = [];
    const w = s.watch('/n/', { prefix: true, prevKv: true }, (r) => got.push(r));
    s.put('/n/a', '1');
    s.put('/other', 'x');
    s.put('/n/a', '2');
    s.txn({ success: [{ op: 'put', key: '/n/b', value: '3' }, { op: 'delete', key: '/n/a' }] });
    expect(got.map((r) => [r.revision, r.events.map((e) => `${e.type} ${e.kv.key} ${e.prevKv?.value ?? '-'}`)])).toEqual([
      [2, ['PUT /n/a -']],
      [4, ['PUT /n/a 1']],
      [5, ['PUT /n/b -', 'DELETE /n/a 2']],
    ]);
    expect(got[0].watchId).toBe(w.id);
    w.cancel();
    w.cancel();
    s.put('/n/c', '1');
    expect(got).toHaveLength(3);
    expect(s.stats().requests.watchCancel).toBe(1);
  });
  it('a watch from an old revision replays history, then goes live', () => {
    const s = new MemoryStore();
    s.put('k', '1');
    s.put('k', '2');
    s.delete('k');
    const seen: string[] = [];
    s.watch('k', { startRevision: 3 }, (r) => r.events.forEach((e) => seen.push(`${r.revision}:${e.type}:${e.kv.value}`)));
    expect(seen).toEqual(['3:PUT:2', '4:DELETE:']);
    s.put('k', '3');
    expect(seen).toEqual(['3:PUT:2', '4:DELETE:', '5:PUT:3']);
  });
  it('without prevKv the events carry none; noPut/noDelete filter', () => {
    const s = new MemoryStore();
    const evs: StoreEvent[] = [];
    s.watch('k', {}, (r) => evs.push(...r.events));
    const dels: StoreEvent[] = [];
    s.watch('k', { noPut: true }, (r) => dels.push(...r.events));
    const puts: StoreEvent[] = [];
    s.watch('k', { noDelete: true }, (r) => puts.push(...r.events));
    s.put('k', '1');
    s.put('k', '2');
    s.delete('k');
    expect(evs.map((e) => e.prevKv)).toEqual([undefined, undefined, undefined]);
    expect(dels.map((e) => e.type)).toEqual(['DELETE']);
    expect(puts.map((e) => e.type)).toEqual(['PUT', 'PUT']);
  });
  it('a watch from a future revision waits for it', () => {
    const s = new MemoryStore();
    const revs: number[] = [];
    s.watch('k', { startRevision: 4 }, (r) => revs.push(r.revision));
    s.put('k', '1');
    s.put('k', '2');
    s.put('k', '3');
    expect(revs).toEqual([4]);
  });
  it('refuses compacted start revisions; writes inside callbacks keep revision order', () => {
    const s = new MemoryStore();
    s.put('a', '1');
    s.compact(2);
    expect(() => s.watch('a', { startRevision: 2 }, () => {})).toThrow('mvcc: required revision has been compacted');
    expect(code(() => s.watch('a', {}, undefined as never))).toBe('InvalidCallback');
    const order: string[] = [];
    s.watch('a', {}, (r, w) => {
      order.push(`w1@${r.revision}`);
      if (r.revision === 3) s.put('a', 'echo');
      if (r.revision === 4) w.cancel();
    });
    s.watch('a', {}, (r) => order.push(`w2@${r.revision}`));
    s.put('a', '2');
    s.put('a', '3');
    expect(order).toEqual(['w1@3', 'w2@3', 'w1@4', 'w2@4', 'w2@5']);
  });
  it('a throwing callback does not wedge later deliveries', () => {
    const s = new MemoryStore();
    let n = 0;
    s.watch('a', {}, () => {
      n++;
      if (n === 1) throw new Error('boom');
    });
    expect(() => s.put('a', '1')).toThrow('boom');
    expect(s.get('a')?.value).toBe('1');
    s.put('a', '2');
    expect(n).toBe(2);
  });
});

describe('leases on the simulated clock', () => {
  it('grant, timeToLive, keepAlive, expiry deleting keys at one revision', () => {
    const clock = new SimClock();
    const s = new MemoryStore({ clock });
    const l = s.grant(10);
    expect(l).toEqual({ id: 1, ttl: 10 });
    s.put('/a', '1', { lease: l.id });
    s.put('/b', '2', { lease: l.id });
    s.put('/c', '3');
    const revs: [number, string[]][] = [];
    s.watch('/', { prefix: true }, (r) => revs.push([r.revision, r.events.map((e) => `${e.type} ${e.kv.key}`)]));
    clock.advance(4_500);
    expect(s.timeToLive(l.id, { keys: true })).toEqual({ id: 1, ttl: 5, grantedTtl: 10, keys: ['/a', '/b'] });
    expect(s.keepAlive(l.id)).toBe(10);
    clock.advance(9_999);
    expect(s.get('/a')).toBeDefined();
    clock.advance(1);
    expect(s.get('/a')).toBeUndefined();
    expect(revs).toEqual([[5, ['DELETE /a', 'DELETE /b']]]);
    expect(code(() => s.timeToLive(l.id))).toBe('LeaseNotFound');
    expect(s.stats()).toMatchObject({ keysExpired: 2, leases: 0, keys: 1 });
  });
  it('revoke deletes at once; a lease without keys moves no revision', () => {
    const s = new MemoryStore();
    const a = s.grant(5);
    const b = s.grant(5, { id: 77 });
    expect(b.id).toBe(77);
    s.put('k', 'v', { lease: a.id });
    s.revoke(a.id);
    expect(s.get('k')).toBeUndefined();
    const rev = s.revision;
    s.revoke(77);
    expect(s.revision).toBe(rev);
    expect(code(() => s.revoke(77))).toBe('LeaseNotFound');
    expect(code(() => s.keepAlive(77))).toBe('LeaseNotFound');
    expect(code(() => s.put('k', 'v', { lease: 77 }))).toBe('LeaseNotFound');
  });
  it('re-putting a key moves it between leases; deleting detaches it', () => {
    const clock = new SimClock();
    const s = new MemoryStore({ clock });
    const a = s.grant(5);
    const b = s.grant(50);
    s.put('k', '1', { lease: a.id });
    s.put('k', '2', { lease: b.id });
    s.put('j', '1', { lease: a.id });
    s.delete('j');
    expect(s.timeToLive(a.id, { keys: true }).keys).toEqual([]);
    clock.advance(6_000);
    expect(s.get('k')?.value).toBe('2');
    s.put('k', '3'); // no lease: detached from b
    clock.advance(60_000);
    expect(s.get('k')?.value).toBe('3');
  });
  it('rejects bad TTLs and ids', () => {
    const s = new MemoryStore();
    for (const ttl of [0, -1, 1.5, Number.NaN, 9_000_000_001]) expect(code(() => s.grant(ttl))).toBe('InvalidTTL');
    expect(code(() => s.grant(5, { id: 0 }))).toBe('InvalidLeaseId');
    s.grant(5, { id: 1 });
    expect(code(() => s.grant(5, { id: 1 }))).toBe('LeaseExists');
    expect(s.grant(5).id).toBe(2);
  });
});

describe('stats: the store load', () => {
  it('counts requests by type, bytes and watch events', () => {
    const s = new MemoryStore();
    s.watch('k', {}, () => {});
    s.put('k', 'vv');
    s.get('k');
    s.range('k', { prefix: true });
    s.delete('k', { prevKv: true });
    s.txn({});
    const l = s.grant(1);
    s.keepAlive(l.id);
    s.timeToLive(l.id);
    s.revoke(l.id);
    s.compact(2);
    const st = s.stats();
    expect(st.requests).toEqual({ range: 2, put: 1, deleteRange: 1, txn: 1, compact: 1, watchCreate: 1, watchCancel: 0, leaseGrant: 1, leaseRevoke: 1, leaseKeepAlive: 1, leaseTimeToLive: 1 });
    expect(st.totalRequests).toBe(11);
    expect(st).toMatchObject({ bytesWritten: 3, bytesRead: 9, watchEventsDelivered: 2, watchResponses: 2, watchers: 1, revision: 3, compactRevision: 2 });
    expect(st.bytesWatched).toBe(3 + 1);
    s.resetStats();
    expect(s.stats().totalRequests).toBe(0);
  });
  it('counts UTF-8 bytes', () => {
    expect(utf8Length('aé€😀')).toBe(1 + 2 + 3 + 4);
    expect(utf8Length('\ud800')).toBe(3);
  });
});

describe('SimClock', () => {
  it('fires timers in due order, ties by creation, including timers set by timers', () => {
    const c = new SimClock(100);
    const log: string[] = [];
    c.setTimer(10, () => log.push(`a@${c.now()}`));
    const t = c.setTimer(5, () => log.push('cancelled'));
    c.setTimer(10, () => {
      log.push(`b@${c.now()}`);
      c.setTimer(0, () => log.push(`c@${c.now()}`));
    });
    c.clearTimer(t);
    c.clearTimer(999);
    expect(c.pending).toBe(2);
    c.advance(20);
    expect(log).toEqual(['a@110', 'b@110', 'c@110']);
    expect(c.now()).toBe(120);
    expect(() => c.advance(-1)).toThrow(InputError);
    expect(() => c.setTimer(Number.NaN, () => {})).toThrow('delayMs');
  });
});

describe('asyncStore', () => {
  it('offers the same store through promises', async () => {
    const clock = new SimClock();
    const a = asyncStore(new MemoryStore({ clock }));
    await a.put('k', 'v');
    expect((await a.get('k'))?.value).toBe('v');
    expect((await a.range('k')).count).toBe(1);
    expect((await a.txn({ compare: [cmp.version('k', '=', 1)] })).succeeded).toBe(true);
    const l = await a.grant(3);
    expect(await a.keepAlive(l.id)).toBe(3);
    expect((await a.timeToLive(l.id)).grantedTtl).toBe(3);
    await a.revoke(l.id);
    const w = a.watch('k', {}, () => {});
    w.cancel();
    await a.delete('k');
    await a.compact(2);
    await expect(a.revoke(l.id)).rejects.toThrow('requested lease not found');
    expect(a.stats().requests.put).toBe(1);
  });
});

describe('key helpers', () => {
  it('rangesOverlap', () => {
    const one = (k: string) => ({ start: k, end: null });
    expect(rangesOverlap(one('a'), { start: 'a', end: 'b' })).toBe(true);
    expect(rangesOverlap(one('b'), { start: 'a', end: 'b' })).toBe(false);
    expect(rangesOverlap(one('z'), { start: 'a', end: '\0' })).toBe(true);
    expect(rangesOverlap({ start: 'c', end: '\0' }, one('a'))).toBe(false);
  });
});
