// The FIB's shared storage (fib-table.ts) against a plain Map model, over
// several namespaces that start from one shared snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/core/core.js';
import { Fib, type KRoute, type KRouteMatch } from '../src/kernel/route.js';
import { formatIPv4, maskV4 } from '../src/net/ip.js';
import { cmd as modelCmd, codeOf } from './model.js';

const NS = 3;
const GW = 0x0aff0001; // 10.255.0.1
type Model = Map<number, KRoute[]>[];
interface Real {
  fibs: Fib[];
}

const key = (p: number, l: number) => (p >>> 0) * 64 + l;
const metric = (r: { metric?: number }) => r.metric ?? 0;
const same = (a: KRoute, b: KRoute) => JSON.stringify(a) === JSON.stringify(b);

function route(prefix: number, len: number, kind: number, m?: number): KRoute {
  const p = (prefix & maskV4(len)) >>> 0;
  const base = { table: 'main', prefix: p, len, onlink: false, proto: 'boot', ...(m === undefined ? {} : { metric: m }) } as const;
  if (kind === 0) return { ...base, type: 'blackhole', scope: 'global' };
  if (kind === 1) return { ...base, type: 'unicast', via: GW + (kind & 3), dev: 'eth0', onlink: true, scope: 'global' };
  return { ...base, type: 'unicast', dev: kind === 2 ? 'eth0' : 'eth1', scope: 'link' };
}

/** The base every namespace loads: 80 /24s (namespace i's own /24 a blackhole) and a connected /16. */
function baseRoutes(ns: number): KRoute[] {
  const out: KRoute[] = [{ ...route(0x0aff0000, 16, 2), proto: 'kernel' }];
  for (let i = 0; i < 80; i++) out.push(route(0x0a000000 + (i << 8), 24, i === ns ? 0 : 1));
  return out;
}

function modelOf(routes: KRoute[]): Map<number, KRoute[]> {
  const m = new Map<number, KRoute[]>();
  for (const r of routes) m.set(key(r.prefix, r.len), [r]);
  return m;
}

function insertSorted(list: KRoute[], r: KRoute): void {
  let at = list.length;
  while (at > 0 && metric(list[at - 1]) > metric(r)) at--;
  list.splice(at, 0, r);
}

/** What the model says, or the error code it expects. */
function modelChange(m: Map<number, KRoute[]>, op: 'add' | 'replace' | 'append', r: KRoute): string | undefined {
  const list = m.get(key(r.prefix, r.len)) ?? [];
  if (op === 'add' && list.some((x) => metric(x) === metric(r))) return 'Exists';
  if (op === 'append' && list.some((x) => same(x, r))) return 'Exists';
  const i = list.findIndex((x) => metric(x) === metric(r));
  if (op === 'replace' && i >= 0) list[i] = r;
  else insertSorted(list, r);
  m.set(key(r.prefix, r.len), list);
  return undefined;
}

function modelLookup(m: Map<number, KRoute[]>, a: number): KRoute | undefined {
  for (let l = 32; l >= 0; l--) {
    const list = m.get(key((a & maskV4(l)) >>> 0, l));
    if (list?.length) return list[0];
  }
  return undefined;
}

function modelList(m: Map<number, KRoute[]>): KRoute[] {
  return [...m.entries()].filter(([, l]) => l.length).sort((a, b) => a[0] - b[0]).flatMap(([, l]) => l);
}


type Cmd = fc.Command<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => void): Cmd => modelCmd<Model, Real>(name, run);

const nsArb = fc.nat(NS - 1);
const prefixArb = fc.tuple(fc.nat(89), fc.constantFrom(16, 24, 25, 32)).map(([i, len]) => ({ prefix: ((0x0a000000 + (i << 8) + (len === 32 ? 7 : 0)) & maskV4(len)) >>> 0, len }));
const routeArb = fc.tuple(prefixArb, fc.nat(3), fc.constantFrom(undefined, 100)).map(([p, kind, m]) => route(p.prefix, p.len, kind, m));
const addrArb = fc.tuple(fc.nat(89), fc.constantFrom(7, 200)).map(([i, h]) => 0x0a000000 + (i << 8) + h);

const commands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(nsArb, fc.constantFrom('add', 'replace', 'append' as const), routeArb).map(([ns, op, r]) =>
    cmd(`ns${ns}: ip route ${op} ${formatIPv4(r.prefix)}/${r.len} ${r.type} ${r.dev ?? ''} metric ${metric(r)}`, (m, real) => {
      const want = modelChange(m[ns], op as 'add' | 'replace' | 'append', r);
      expect(codeOf(() => real.fibs[ns][op as 'add'](r))).toBe(want);
    }),
  ),
  fc.tuple(nsArb, prefixArb, fc.constantFrom(undefined, 'eth0', 'eth1'), fc.constantFrom(undefined, 100)).map(([ns, p, dev, mt]) =>
    cmd(`ns${ns}: ip route del ${formatIPv4(p.prefix)}/${p.len}${dev ? ` dev ${dev}` : ''}${mt === undefined ? '' : ` metric ${mt}`}`, (m, real) => {
      const match: KRouteMatch = { prefix: p.prefix, len: p.len, ...(dev ? { dev } : {}), ...(mt === undefined ? {} : { metric: mt }) };
      const list = m[ns].get(key(p.prefix, p.len)) ?? [];
      const i = list.findIndex((x) => (dev === undefined || x.dev === dev) && (mt === undefined || metric(x) === mt));
      if (i >= 0) list.splice(i, 1);
      expect(codeOf(() => real.fibs[ns].del(match))).toBe(i >= 0 ? undefined : 'NotFound');
    }),
  ),
  fc.tuple(nsArb, fc.uniqueArray(fc.nat(99), { minLength: 60, maxLength: 75 })).map(([ns, xs]) =>
    cmd(`ns${ns}: load ${xs.length} blackholes 10.1.x.0/24`, (m, real) => {
      const rs = xs.map((x) => route(0x0a010000 + (x << 8), 24, 0));
      const copy = new Map([...m[ns]].map(([k, l]) => [k, [...l]]));
      const bad = rs.some((r) => modelChange(copy, 'add', r) !== undefined);
      if (!bad) m[ns] = copy;
      expect(codeOf(() => real.fibs[ns].load('main', rs))).toBe(bad ? 'Exists' : undefined);
    }),
  ),
  fc.tuple(nsArb, addrArb).map(([ns, a]) =>
    cmd(`ns${ns}: ip route get ${formatIPv4(a)}`, (m, real) => {
      expect(real.fibs[ns].get(a)).toEqual(modelLookup(m[ns], a));
    }),
  ),
  nsArb.map((ns) =>
    cmd(`ns${ns}: ip route show`, (m, real) => {
      expect(real.fibs[ns].list()).toEqual(modelList(m[ns]));
    }),
  ),
  fc.tuple(nsArb, fc.constantFrom('eth0', 'eth1')).map(([ns, dev]) =>
    cmd(`ns${ns}: link del ${dev} (flush its routes)`, (m, real) => {
      let n = 0;
      for (const [k, l] of m[ns]) {
        const kept = l.filter((r) => r.dev !== dev);
        n += l.length - kept.length;
        m[ns].set(k, kept);
      }
      expect(real.fibs[ns].flushDev(dev)).toBe(n);
    }),
  ),
];

/** Routes for bulk loads: gateways inside or outside the link routes, link routes that may cover other gateways. */
const loadRouteArb = fc.oneof(
  fc.nat(199).map((i) => ({ ...route(0x0a800000 + (i << 8), 24, 1), via: 0x0aff0000 + (i & 7) + 1, onlink: false })),
  fc.tuple(fc.nat(199), fc.constantFrom(0x0aff0000, 0x0aff0100)).map(([i, gw]) => ({ ...route(0x0a800000 + (i << 8), 24, 1), via: gw + 5 + (i & 3), onlink: false })),
  fc.constantFrom(24, 28, 30).map((len) => ({ ...route(0x0aff0000, len, 2), proto: 'boot' })),
  // A gateway route inside the connected /16: later gateways in 10.255.0.0/24 resolve to it and are refused.
  fc.constant({ ...route(0x0aff0000, 24, 1), via: 0x0aff0109, onlink: false }),
  fc.nat(199).map((i) => route(0x0a800000 + (i << 8), 24, 0)),
);

describe('FIB bulk load', () => {
  let core: Core;
  beforeAll(async () => {
    core = await createCore();
  });

  // Why this test? Fib.load takes a one-pass path (compare with a shared
  // snapshot, gateways checked against the table before the batch) only when
  // it gives exactly what adding the routes one by one would; a batch route
  // lying inside a gateway's link route, a repeat, or a gateway reached only
  // through the batch must send it the sequential way, same errors.
  it('load gives what adding the routes in order gives (or refuses as the first failing add does)', () => {
    fc.assert(
      // Mostly without repeats (a repeat is refused before any gateway question), sometimes with one.
      fc.property(fc.uniqueArray(loadRouteArb, { minLength: 64, maxLength: 90, selector: (r) => r.prefix * 64 + r.len }), fc.boolean(), fc.option(fc.nat(63), { freq: 5 }), (unique, seed, repeat) => {
        const batch = repeat === null ? unique : [...unique, unique[repeat]];
        const base = new Fib(core);
        const bulk = new Fib(core);
        const seq = new Fib(core);
        try {
          for (const f of [base, bulk, seq]) f.add({ ...route(0x0aff0000, 16, 2), proto: 'kernel' });
          // A snapshot in the pool to compare against (the one-pass path needs one): the batch
          // without repeats and with every gateway onlink, so that it loads.
          const seedRoutes = batch.filter((r, i) => batch.findIndex((x) => x.prefix === r.prefix && x.len === r.len) === i).map((r) => (r.via === undefined ? r : { ...r, onlink: true }));
          if (seed) base.load('main', seedRoutes);
          let want: string | undefined;
          let at = -1;
          for (let i = 0; i < batch.length && want === undefined; i++) {
            want = codeOf(() => seq.add(batch[i]));
            at = i;
          }
          const got = codeOf(() => bulk.load('main', batch));
          expect(got).toBe(want);
          if (want === undefined) expect(bulk.list()).toEqual(seq.list());
          else {
            expect(bulk.size()).toBe(1);
            expect(() => bulk.load('main', batch)).toThrow(new RegExp(`batch item ${at}\\)`));
          }
        } finally {
          for (const f of [base, bulk, seq]) f.dispose();
        }
      }),
    );
  });
});

describe('FIB shared storage (fc.commands against a Map model)', () => {
  let core: Core;
  beforeAll(async () => {
    core = await createCore();
  });
  afterAll(() => undefined);

  // Why this test? Namespaces share one immutable snapshot of their nearly
  // equal tables; a change in one (add, replace, append, del, bulk load,
  // device flush, and the refreezes these cause) must never show in another,
  // and each must still see exactly its own table.
  it('each namespace sees exactly its own table, whatever the others do', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60, size: '+1' }), (cmds) => {
        const fibs = Array.from({ length: NS }, () => new Fib(core));
        const model: Model = [];
        for (let i = 0; i < NS; i++) {
          fibs[i].load('main', baseRoutes(i));
          model.push(modelOf(baseRoutes(i)));
        }
        // The namespaces do share: one base, a few private entries each.
        expect(fibs[1].storage().baseRefs).toBeGreaterThanOrEqual(2);
        expect(fibs[2].storage().delta).toBeLessThan(8);
        try {
          fc.modelRun(() => ({ model, real: { fibs } }), cmds);
          for (let i = 0; i < NS; i++) expect(fibs[i].list()).toEqual(modelList(model[i]));
        } finally {
          for (const f of fibs) f.dispose();
        }
      }),
    );
  });
});
