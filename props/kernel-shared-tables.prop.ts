// Neighbour tables and VXLAN FDBs on shared storage (shared-map.ts) against
// plain Map models, over several namespaces that start from one snapshot.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NeighTable, VxlanFdb } from '../src/kernel/index.js';
import { SimClock } from '../src/store/clock.js';
import { cmd as modelCmd, codeOf } from './model.js';

const NS = 3;
const N = 80;
const ip = (i: number) => `10.244.${i}.0`;
const mac = (i: number) => `0a:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
const vtep = (i: number) => `10.0.1.${i}`;

interface Real {
  clock: SimClock;
  neigh: NeighTable[];
  fdb: VxlanFdb[];
}
interface Model {
  /** dst -> lladdr (every entry PERMANENT on flannel.1). */
  neigh: Map<string, string>[];
  /** MAC -> remote VTEPs in order. */
  fdb: Map<string, string[]>[];
}


type Cmd = fc.Command<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => void): Cmd => modelCmd<Model, Real>(name, run);
const nsArb = fc.nat(NS - 1);
const idArb = fc.nat(N + 10);

const commands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(nsArb, idArb, fc.nat(3)).map(([ns, i, v]) =>
    cmd(`ns${ns}: ip neigh replace ${ip(i)} lladdr ${mac(i + v)} dev flannel.1`, (m, r) => {
      m.neigh[ns].set(ip(i), mac(i + v));
      r.neigh[ns].replace(ip(i), 'flannel.1', { lladdr: mac(i + v) });
    }),
  ),
  fc.tuple(nsArb, idArb).map(([ns, i]) =>
    cmd(`ns${ns}: ip neigh del ${ip(i)} dev flannel.1`, (m, r) => {
      const had = m.neigh[ns].delete(ip(i));
      expect(codeOf(() => r.neigh[ns].del(ip(i), 'flannel.1'))).toBe(had ? undefined : 'NotFound');
    }),
  ),
  fc.tuple(nsArb, idArb).map(([ns, i]) =>
    cmd(`ns${ns}: lookup ${ip(i)} (a use: copy-on-write)`, (m, r) => {
      const want = m.neigh[ns].get(ip(i));
      const got = r.neigh[ns].get(ip(i), 'flannel.1');
      expect(got?.lladdr).toBe(want);
      if (want) expect(r.neigh[ns].lookup(ip(i), 'flannel.1')).toMatchObject({ kind: 'hit', entry: { lladdr: want, used: r.clock.now() } });
    }),
  ),
  fc.constantFrom(0, 1000).map((ms) => cmd(`advance ${ms}ms`, (_, r) => r.clock.advance(ms))),
  fc.tuple(nsArb, idArb, fc.nat(3), fc.constantFrom('add', 'append', 'replace')).map(([ns, i, v, op]) =>
    cmd(`ns${ns}: bridge fdb ${op} ${mac(i)} dst ${vtep(v)}`, (m, r) => {
      const list = m.fdb[ns].get(mac(i));
      const want = op === 'add' && list ? 'Exists' : undefined;
      if (!want) m.fdb[ns].set(mac(i), op === 'append' ? [...(list ?? []).filter((d) => d !== vtep(v)), vtep(v)] : [vtep(v)]);
      expect(codeOf(() => r.fdb[ns][op as 'add'](mac(i), vtep(v)))).toBe(want);
    }),
  ),
  fc.tuple(nsArb, idArb, fc.option(fc.nat(3), { nil: undefined })).map(([ns, i, v]) =>
    cmd(`ns${ns}: bridge fdb del ${mac(i)}${v === undefined ? '' : ` dst ${vtep(v)}`}`, (m, r) => {
      const list = m.fdb[ns].get(mac(i));
      const rest = v === undefined ? [] : (list ?? []).filter((d) => d !== vtep(v));
      const ok = !!list && rest.length !== list.length;
      if (ok && rest.length) m.fdb[ns].set(mac(i), rest);
      else if (ok) m.fdb[ns].delete(mac(i));
      expect(codeOf(() => r.fdb[ns].del(mac(i), v === undefined ? undefined : vtep(v)))).toBe(ok ? undefined : 'NotFound');
    }),
  ),
  fc.tuple(nsArb, idArb).map(([ns, i]) =>
    cmd(`ns${ns}: vxlan lookup ${mac(i)}`, (m, r) => {
      const want = m.fdb[ns].get(mac(i));
      const got = r.fdb[ns].lookup(mac(i));
      expect(got.kind === 'hit' ? got.dsts : undefined).toEqual(want);
    }),
  ),
  nsArb.map((ns) =>
    cmd(`ns${ns}: show`, (m, r) => {
      expect(new Map(r.neigh[ns].entries().map((e) => [e.dst, e.lladdr]))).toEqual(m.neigh[ns]);
      const fdb = new Map<string, string[]>();
      for (const e of r.fdb[ns].entries()) fdb.set(e.mac, [...(fdb.get(e.mac) ?? []), e.dst!]);
      expect(fdb).toEqual(m.fdb[ns]);
    }),
  ),
];

describe('neighbour and VXLAN FDB shared storage (fc.commands against Map models)', () => {
  // Why this test? Namespaces share immutable snapshots of their nearly
  // equal neighbour tables and FDBs; writes (and uses, which update an
  // entry's `used` time) go to a private delta; no change in one namespace
  // may show in another, and each sees exactly its own entries.
  it('each namespace sees exactly its own entries, whatever the others do', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60, size: '+1' }), (cmds) => {
        const clock = new SimClock();
        const real: Real = { clock, neigh: [], fdb: [] };
        const model: Model = { neigh: [], fdb: [] };
        for (let ns = 0; ns < NS; ns++) {
          const others = Array.from({ length: N }, (_, i) => i).filter((i) => i !== ns);
          const t = new NeighTable(clock);
          t.load(others.map((i) => ({ dst: ip(i), dev: 'flannel.1', lladdr: mac(i) })));
          const f = new VxlanFdb('flannel.1', clock, { learning: false });
          f.load(others.map((i) => ({ mac: mac(i), dst: vtep(i % 4) })));
          real.neigh.push(t);
          real.fdb.push(f);
          model.neigh.push(new Map(others.map((i) => [ip(i), mac(i)])));
          model.fdb.push(new Map(others.map((i) => [mac(i), [vtep(i % 4)]])));
        }
        // They do share: one snapshot, two private entries each.
        expect(real.neigh[2].storage()).toMatchObject({ base: N - 1, delta: 2 });
        expect(real.fdb[2].storage()).toMatchObject({ base: N - 1, delta: 2 });
        try {
          fc.modelRun(() => ({ model, real }), cmds);
        } finally {
          for (const t of [...real.neigh, ...real.fdb]) t.dispose();
        }
      }),
    );
  });
});
