// OutageStore: the nodes' link to the store, cut and restored.
import { describe, expect, it } from 'vitest';
import { MemoryStore, SimClock } from '../src/store/index.js';
import { OutageStore, UNAVAILABLE } from '../src/cluster/index.js';

describe('OutageStore', () => {
  it('passes every request through while up, and refuses every one while down, changing nothing', () => {
    const clock = new SimClock();
    const inner = new MemoryStore({ clock });
    const s = new OutageStore(inner);
    const l = s.grant(60).id;
    s.put('/a', '1', { lease: l });
    expect(s.get('/a')?.value).toBe('1');
    expect(s.range('/', { prefix: true }).count).toBe(1);
    expect(s.txn({ success: [{ op: 'put', key: '/b', value: '2' }] }).succeeded).toBe(true);
    expect(s.keepAlive(l)).toBe(60);
    expect(s.timeToLive(l).grantedTtl).toBe(60);
    s.delete('/b');
    const rev = s.revision;
    s.setDown(true);
    expect(s.isDown).toBe(true);
    const calls: (() => unknown)[] = [
      () => s.revision, () => s.get('/a'), () => s.range('/'), () => s.put('/c', '3'), () => s.delete('/a'),
      () => s.txn({}), () => s.compact(1), () => s.grant(5), () => s.revoke(l), () => s.keepAlive(l), () => s.timeToLive(l),
      () => s.watch('/', { prefix: true }, () => undefined),
    ];
    for (const c of calls) expect(c).toThrow(`Unavailable: ${UNAVAILABLE}`);
    expect(inner.revision).toBe(rev);
    expect(s.stats().keys).toBe(1);
    s.setDown(false);
    s.compact(rev);
    s.revoke(l);
    expect(s.get('/a')).toBeUndefined();
  });

  it('holds watch deliveries back while down and replays them from the next revision when up', () => {
    const clock = new SimClock();
    const inner = new MemoryStore({ clock });
    const s = new OutageStore(inner);
    const seen: string[] = [];
    const w = s.watch('/k/', { prefix: true }, (r) => r.events.forEach((e) => seen.push(`${r.revision} ${e.type} ${e.kv.key}`)));
    inner.put('/k/1', 'a');
    s.setDown(true);
    inner.put('/k/2', 'b');
    inner.delete('/k/1');
    expect(seen).toEqual(['2 PUT /k/1']);
    s.setDown(false);
    expect(seen).toEqual(['2 PUT /k/1', '3 PUT /k/2', '4 DELETE /k/1']);
    inner.put('/k/3', 'c');
    expect(seen).toHaveLength(4);
    expect(w.cancelled).toBe(false);
    w.cancel();
    inner.put('/k/4', 'd');
    expect(seen).toHaveLength(4);
    expect(w.cancelled).toBe(true);
    expect(typeof w.id).toBe('number');
  });

  it('a callback cancelling the watcher it is given ends the watch, across reconnects', () => {
    const inner = new MemoryStore({ clock: new SimClock() });
    const s = new OutageStore(inner);
    let n = 0;
    s.watch('/k/', { prefix: true }, (_, w) => {
      n++;
      w.cancel();
    });
    inner.put('/k/1', 'a');
    s.setDown(true);
    s.setDown(false);
    inner.put('/k/2', 'b');
    expect(n).toBe(1);
  });
});
