// Model-based test of the store: every command runs against MemoryStore and
// against a plain model that is an append-only event log (state at revision R =
// replay of the log up to R). Lease attachments are derived from the replayed
// state, expiries are computed by sorting, so the model shares no data structure
// with the store.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStore, SimClock, cmp, type Watcher } from '../src/store/index.js';
import { CnikitError } from '../src/core/errors.js';

interface LogEntry {
  rev: number;
  type: 'PUT' | 'DELETE';
  key: string;
  value: string;
  lease: number;
}
interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: number;
}
interface Model {
  rev: number;
  compactRev: number;
  now: number;
  log: LogEntry[];
  leases: Map<number, { ttl: number; expiry: number }>;
  nextLease: number;
  watches: { start: number; prefix: string }[];
}
interface Real {
  s: MemoryStore;
  clock: SimClock;
  watches: { w: Watcher; seen: string[] }[];
}

function stateAt(m: Model, rev: number): Map<string, ModelKv> {
  const st = new Map<string, ModelKv>();
  for (const e of m.log) {
    if (e.rev > rev) break;
    if (e.type === 'DELETE') st.delete(e.key);
    else {
      const p = st.get(e.key);
      st.set(e.key, { value: e.value, create: p ? p.create : e.rev, mod: e.rev, version: p ? p.version + 1 : 1, lease: e.lease });
    }
  }
  return st;
}
const current = (m: Model) => stateAt(m, m.rev);

// Writes one revision made of `entries` (none = no revision).
function commit(m: Model, entries: Omit<LogEntry, 'rev'>[]): void {
  if (entries.length === 0) return;
  m.rev++;
  for (const e of entries) m.log.push({ rev: m.rev, ...e });
}

function dropLease(m: Model, id: number): void {
  const keys = [...current(m)].filter(([, kv]) => kv.lease === id).map(([k]) => k).sort();
  commit(m, keys.map((key) => ({ type: 'DELETE' as const, key, value: '', lease: 0 })));
  m.leases.delete(id);
}

function errCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof CnikitError) return e.code;
    throw e;
  }
}

function checkWatches(m: Model, r: Real): void {
  m.watches.forEach((w, i) => {
    const want = m.log.filter((e) => e.rev >= w.start && e.key.startsWith(w.prefix)).map((e) => `${e.rev} ${e.type} ${e.key} ${e.value}`);
    expect(r.watches[i].seen).toEqual(want);
  });
}

type Cmd = fc.Command<Model, Real>;
const KEYS = ['/a', '/a/x', '/a/y', '/b', '/b/z'];
const PREFIXES = ['/', '/a', '/a/', '/b'];

class Put implements Cmd {
  constructor(readonly key: string, readonly value: string, readonly leasePick: number) {}
  check = () => true;
  leaseOf(m: Model): number {
    // 0 = no lease, 1..n = a live lease, n+1 = one that does not exist.
    const ids = [...m.leases.keys()];
    if (this.leasePick === 0) return 0;
    return ids[this.leasePick - 1] ?? 1000 + this.leasePick;
  }
  run(m: Model, r: Real): void {
    const lease = this.leaseOf(m);
    const code = errCode(() => r.s.put(this.key, this.value, { lease }));
    if (lease !== 0 && !m.leases.has(lease)) expect(code).toBe('LeaseNotFound');
    else {
      expect(code).toBeUndefined();
      commit(m, [{ type: 'PUT', key: this.key, value: this.value, lease }]);
    }
    expect(r.s.revision).toBe(m.rev);
    checkWatches(m, r);
  }
  toString = () => `put ${this.key}=${this.value} leasePick=${this.leasePick}`;
}

class Delete implements Cmd {
  constructor(readonly key: string, readonly prefix: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const victims = [...current(m).keys()].filter((k) => (this.prefix ? k.startsWith(this.key) : k === this.key)).sort();
    const res = r.s.delete(this.key, { prefix: this.prefix });
    commit(m, victims.map((key) => ({ type: 'DELETE' as const, key, value: '', lease: 0 })));
    expect(res.deleted).toBe(victims.length);
    expect(res.revision).toBe(m.rev);
    checkWatches(m, r);
  }
  toString = () => `delete ${this.key}${this.prefix ? ' --prefix' : ''}`;
}

class Cas implements Cmd {
  // stale: compare against the key's mod_revision minus one (a lost race).
  constructor(readonly key: string, readonly value: string, readonly stale: boolean) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const kv = current(m).get(this.key);
    const expectMod = (kv?.mod ?? 0) - (this.stale ? 1 : 0);
    const res = r.s.txn({ compare: [cmp.mod(this.key, '=', expectMod)], success: [{ op: 'put', key: this.key, value: this.value }], failure: [{ op: 'range', key: this.key }] });
    expect(res.succeeded).toBe(!this.stale);
    if (!this.stale) commit(m, [{ type: 'PUT', key: this.key, value: this.value, lease: 0 }]);
    expect(res.revision).toBe(m.rev);
    checkWatches(m, r);
  }
  toString = () => `cas ${this.key}=${this.value}${this.stale ? ' (stale mod_revision)' : ''}`;
}

class TxnMulti implements Cmd {
  // One txn that puts a key and deletes a prefix: one revision for both, or
  // etcd's duplicate-key refusal when the put falls inside the deleted range.
  constructor(readonly key: string, readonly value: string, readonly delPrefix: string) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const req = { success: [{ op: 'put' as const, key: this.key, value: this.value }, { op: 'delete' as const, key: this.delPrefix, prefix: true }] };
    if (this.key.startsWith(this.delPrefix)) return void expect(errCode(() => r.s.txn(req))).toBe('DuplicateKey');
    const victims = [...current(m).keys()].filter((k) => k.startsWith(this.delPrefix)).sort();
    const res = r.s.txn(req);
    commit(m, [{ type: 'PUT', key: this.key, value: this.value, lease: 0 }, ...victims.map((key) => ({ type: 'DELETE' as const, key, value: '', lease: 0 }))]);
    expect(res.revision).toBe(m.rev);
    expect(res.responses[1]).toMatchObject({ op: 'delete', deleted: victims.length });
    checkWatches(m, r);
  }
  toString = () => `txn put ${this.key}=${this.value}; delete ${this.delPrefix} --prefix`;
}

class Grant implements Cmd {
  constructor(readonly ttl: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const id = m.nextLease++;
    m.leases.set(id, { ttl: this.ttl, expiry: m.now + this.ttl * 1000 });
    expect(r.s.grant(this.ttl)).toEqual({ id, ttl: this.ttl });
  }
  toString = () => `grant ttl=${this.ttl}s`;
}

class Revoke implements Cmd {
  constructor(readonly pick: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const id = [...m.leases.keys()][this.pick] ?? 999;
    const code = errCode(() => r.s.revoke(id));
    if (!m.leases.has(id)) expect(code).toBe('LeaseNotFound');
    else {
      expect(code).toBeUndefined();
      dropLease(m, id);
    }
    expect(r.s.revision).toBe(m.rev);
    checkWatches(m, r);
  }
  toString = () => `revoke lease#${this.pick}`;
}

class KeepAlive implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.leases.size > 0;
  run(m: Model, r: Real): void {
    const [id, l] = [...m.leases][this.pick % m.leases.size];
    l.expiry = m.now + l.ttl * 1000;
    expect(r.s.keepAlive(id)).toBe(l.ttl);
    expect(r.s.timeToLive(id).ttl).toBe(l.ttl);
  }
  toString = () => `keepAlive lease#${this.pick}`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const target = m.now + this.ms;
    const due = [...m.leases].filter(([, l]) => l.expiry <= target).sort(([a, x], [b, y]) => x.expiry - y.expiry || a - b);
    for (const [id, l] of due) {
      m.now = l.expiry;
      dropLease(m, id);
    }
    m.now = target;
    r.clock.advance(this.ms);
    expect(r.s.revision).toBe(m.rev);
    for (const [id, l] of m.leases) expect(r.s.timeToLive(id).ttl).toBe(Math.floor((l.expiry - m.now) / 1000));
    checkWatches(m, r);
  }
  toString = () => `advance ${this.ms}ms`;
}

class Read implements Cmd {
  // back: how many revisions back from the current one; prefix undefined = get one key.
  constructor(readonly key: string, readonly prefix: boolean, readonly back: number, readonly limit: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    // back -1 asks for the next revision, which does not exist yet.
    const rev = Math.max(1, m.rev - this.back);
    const read = () => r.s.range(this.key, { prefix: this.prefix, revision: rev, limit: this.limit });
    if (rev > m.rev) return void expect(errCode(read)).toBe('FutureRevision');
    if (rev < m.compactRev) return void expect(errCode(read)).toBe('Compacted');
    const want = [...stateAt(m, rev)].filter(([k]) => (this.prefix ? k.startsWith(this.key) : k === this.key)).sort(([a], [b]) => (a < b ? -1 : 1));
    const got = read();
    expect(got.count).toBe(want.length);
    expect(got.more).toBe(this.limit > 0 && want.length > this.limit);
    const shown = this.limit > 0 ? want.slice(0, this.limit) : want;
    expect(got.kvs).toEqual(shown.map(([key, kv]) => ({ key, value: kv.value, createRevision: kv.create, modRevision: kv.mod, version: kv.version, lease: kv.lease })));
  }
  toString = () => `range ${this.key}${this.prefix ? ' --prefix' : ''} --rev=current-${this.back} --limit=${this.limit}`;
}

class Compact implements Cmd {
  constructor(readonly back: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const rev = m.rev - this.back;
    const code = errCode(() => r.s.compact(Math.max(rev, 0)));
    if (rev <= m.compactRev) expect(code).toBe('Compacted');
    else {
      expect(code).toBeUndefined();
      m.compactRev = rev;
    }
  }
  toString = () => `compact current-${this.back}`;
}

class Watch implements Cmd {
  constructor(readonly prefix: string, readonly back: number) {}
  check = (m: Readonly<Model>) => m.watches.length < 4;
  run(m: Model, r: Real): void {
    const start = Math.max(1, m.rev + 1 - this.back);
    const seen: string[] = [];
    const create = () => r.s.watch(this.prefix, { prefix: true, startRevision: start }, (resp) => resp.events.forEach((e) => seen.push(`${resp.revision} ${e.type} ${e.kv.key} ${e.kv.value}`)));
    if (start <= m.compactRev) return void expect(errCode(create)).toBe('Compacted');
    r.watches.push({ w: create(), seen });
    m.watches.push({ start, prefix: this.prefix });
    checkWatches(m, r);
  }
  toString = () => `watch ${this.prefix} --prefix --rev=current+1-${this.back}`;
}

const key = fc.constantFrom(...KEYS);
const commands = [
  fc.tuple(key, fc.constantFrom('1', '2', 'x'), fc.nat(3)).map(([k, v, l]) => new Put(k, v, l)),
  fc.tuple(fc.constantFrom(...KEYS, ...PREFIXES), fc.boolean()).map(([k, p]) => new Delete(k, p)),
  fc.tuple(key, fc.constantFrom('c', 'd'), fc.boolean()).map(([k, v, s]) => new Cas(k, v, s)),
  // Puts onto live leases are weighted up so that leases often hold several keys when they expire.
  fc.tuple(key, fc.constantFrom('1', '2', 'x'), fc.integer({ min: 1, max: 2 })).map(([k, v, l]) => new Put(k, v, l)),
  fc.tuple(key, fc.constantFrom('t', 'u'), fc.constantFrom(...PREFIXES)).map(([k, v, p]) => new TxnMulti(k, v, p)),
  fc.integer({ min: 1, max: 10 }).map((t) => new Grant(t)),
  fc.integer({ min: 1, max: 3 }).map((t) => new Grant(t)),
  fc.nat(3).map((p) => new Revoke(p)),
  fc.nat(3).map((p) => new KeepAlive(p)),
  fc.constantFrom(0, 999, 1000, 2500, 6000).map((ms) => new Advance(ms)),
  fc.tuple(fc.constantFrom(...KEYS, ...PREFIXES), fc.boolean(), fc.nat(6), fc.nat(3)).map(([k, p, b, l]) => new Read(k, p, b - 1, l)),
  fc.nat(6).map((b) => new Compact(b)),
  fc.tuple(fc.constantFrom(...PREFIXES), fc.nat(6)).map(([p, b]) => new Watch(p, b)),
];

describe('MemoryStore against an event-log model', () => {
  it('agrees on revisions, ranges at old revisions, CAS, leases, expiry and watches', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60, size: '+1' }), (cmds) => {
        const clock = new SimClock();
        const model: Model = { rev: 1, compactRev: 0, now: 0, log: [], leases: new Map(), nextLease: 1, watches: [] };
        fc.modelRun(() => ({ model, real: { s: new MemoryStore({ clock }), clock, watches: [] } }), cmds);
      }),
    );
  });
});
