// The store finds a write's watchers through an index (single keys by key,
// prefixes by prefix, other ranges in turn, as etcd's watcherGroup does).
// Property: over random watches of every shape (single key, prefix, [a, b),
// from a key to the end, every key; with noPut/noDelete), cancels, puts,
// deletes (of one key and of ranges) and multi-key transactions, every
// watcher receives exactly what a scan of every watcher would give it, and
// deliveries come in the same order: revision by revision, watchers in the
// order they were made.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStore, SimClock, type Watcher, type WatchOptions } from '../src/store/index.js';

const KEYS = ['a', 'a/1', 'a/10', 'a/2', 'ab', 'b', 'b/x', 'c'];
const key = fc.constantFrom(...KEYS);

type Shape = { key: string; opts: WatchOptions };
const shape: fc.Arbitrary<Shape> = fc.oneof(
  key.map((k) => ({ key: k, opts: {} })),
  fc.constantFrom('a', 'a/', 'a/1', 'b').map((k) => ({ key: k, opts: { prefix: true } })),
  fc.tuple(key, key).map(([x, y]) => ({ key: x < y ? x : y, opts: { end: x < y ? y : `${y}~` } })),
  key.map((k) => ({ key: k, opts: { end: '\0' } })),
  fc.constant({ key: '\0', opts: { end: '\0' } }),
);
const flags = fc.record({ noPut: fc.boolean(), noDelete: fc.boolean() }, { requiredKeys: [] });

type Op =
  | { op: 'watch'; s: Shape; f: { noPut?: boolean; noDelete?: boolean } }
  | { op: 'cancel'; i: number }
  | { op: 'put'; k: string; v: string }
  | { op: 'del'; k: string; end?: string }
  | { op: 'txn'; ks: string[] };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('watch' as const), s: shape, f: flags }),
  fc.record({ op: fc.constant('cancel' as const), i: fc.nat(20) }),
  fc.record({ op: fc.constant('put' as const), k: key, v: fc.constantFrom('1', '2', '3') }),
  fc.record({ op: fc.constant('del' as const), k: key, end: fc.option(key, { nil: undefined }) }),
  fc.record({ op: fc.constant('txn' as const), ks: fc.uniqueArray(key, { minLength: 1, maxLength: 4 }) }),
);

// The scan the index replaces: is `k` in the watch's range, and does the watch take the event?
function wants(s: Shape, f: { noPut?: boolean; noDelete?: boolean }, k: string, type: 'PUT' | 'DELETE'): boolean {
  if (type === 'PUT' ? f.noPut : f.noDelete) return false;
  if (s.opts.prefix) return k.startsWith(s.key);
  if (s.opts.end === undefined) return k === s.key;
  return k >= s.key && (s.opts.end === '\0' || k < s.opts.end);
}

describe('store watches found through the index', () => {
  it('deliver what a scan of every watcher delivers, in the same order', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const s = new MemoryStore({ clock: new SimClock() });
        const got: string[] = [];
        const want: string[] = [];
        const live: { n: number; s: Shape; f: { noPut?: boolean; noDelete?: boolean }; w: Watcher; on: boolean }[] = [];
        const expect_ = (rev: number, events: { type: 'PUT' | 'DELETE'; key: string }[]) => {
          for (const w of live) {
            if (!w.on) continue;
            const mine = events.filter((e) => wants(w.s, w.f, e.key, e.type));
            if (mine.length) want.push(`${w.n}@${rev}: ${mine.map((e) => `${e.type} ${e.key}`).join(', ')}`);
          }
        };
        for (const o of ops) {
          if (o.op === 'watch') {
            const n = live.length;
            const w = s.watch(o.s.key, { ...o.s.opts, ...o.f }, (r) => got.push(`${n}@${r.revision}: ${r.events.map((e) => `${e.type} ${e.kv.key}`).join(', ')}`));
            live.push({ n, s: o.s, f: o.f, w, on: true });
          } else if (o.op === 'cancel') {
            const w = live[o.i % Math.max(1, live.length)];
            if (w) {
              w.w.cancel();
              w.on = false;
            }
          } else if (o.op === 'put') {
            const r = s.put(o.k, o.v);
            expect_(r.revision, [{ type: 'PUT', key: o.k }]);
          } else if (o.op === 'del') {
            const end = o.end !== undefined && o.end > o.k ? o.end : undefined;
            const present = s.range(o.k, end ? { end } : {}).kvs.map((kv) => kv.key);
            const r = s.delete(o.k, end ? { end } : {});
            if (present.length) expect_(r.revision, present.map((k) => ({ type: 'DELETE' as const, key: k })));
          } else {
            const r = s.txn({ success: o.ks.map((k) => ({ op: 'put' as const, key: k, value: 'T' })) });
            expect_(r.revision, o.ks.map((k) => ({ type: 'PUT' as const, key: k })));
          }
        }
        expect(got).toEqual(want);
      }),
    );
  });
});
