// Model-based properties: the WASM RouteTable against the TS reference, for
// both families, through random sequences of insert / replace / remove /
// get / lookup / batch lookup, interleaved with allocations that force WASM
// memory to grow mid-use.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/core/core.js';
import { RouteTable } from '../src/lpm/route-table.js';
import { ReferenceTable } from '../src/lpm/reference.js';
import { formatCidr, formatIPv4, formatIPv6, maskV4, maskV6, parseCidr, type Ip6 } from '../src/net/ip.js';

interface Sys {
  core: Core;
  real: RouteTable;
  blocks: number[];
}
type Cmd = fc.Command<ReferenceTable, Sys>;

// Addresses cluster under a few bases so prefixes nest and collide often.
const v4Addr = fc.oneof(
  fc.tuple(fc.constantFrom(0x0a000000, 0x0a010000, 0xc0a80000, 0), fc.integer({ min: 0, max: 0xffff })).map(([b, x]) => (b | x) >>> 0),
  fc.integer({ min: 0, max: 0xffffffff }),
);
const v6Addr: fc.Arbitrary<Ip6> = fc
  .tuple(fc.constantFrom(0x20010db8, 0xfd000010, 0), fc.constantFrom(0, 1, 0x2440000), fc.oneof(fc.constantFrom(0, 1, 0x80000000), fc.nat()), fc.oneof(fc.constantFrom(0, 1, 0x40, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })), fc.boolean())
  .map(([a, b, c, d, zeroMiddle]) => [a, b, zeroMiddle ? 0 : c, d >>> 0] as Ip6);
const v4Cidr = fc.tuple(v4Addr, fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(0, 8, 16, 24, 26, 32))).map(([a, len]) => formatCidr({ family: 4, addr: (a & maskV4(len)) >>> 0, len }));
const v6Cidr = fc.tuple(v6Addr, fc.oneof(fc.integer({ min: 0, max: 128 }), fc.constantFrom(0, 32, 48, 64, 122, 128))).map(([a, len]) => formatCidr({ family: 6, addr: maskV6(a, len), len }));
const nextHop = fc.integer({ min: 0, max: 20 });

class Insert implements Cmd {
  constructor(readonly cidr: string, readonly nh: number) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    m.insert(this.cidr, this.nh);
    s.real.insert(this.cidr, this.nh);
    expect(s.real.size).toBe(m.size);
    expect(s.real.get(this.cidr)).toBe(this.nh);
    const first = this.cidr.split('/')[0];
    expect(s.real.lookup(first)).toBe(m.lookup(first));
  }
  toString = () => `insert ${this.cidr} -> ${this.nh}`;
}

class Remove implements Cmd {
  constructor(readonly cidr: string) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    expect(s.real.remove(this.cidr)).toBe(m.remove(this.cidr));
    expect(s.real.size).toBe(m.size);
    const first = this.cidr.split('/')[0];
    expect(s.real.lookup(first)).toBe(m.lookup(first));
  }
  toString = () => `remove ${this.cidr}`;
}

class Get implements Cmd {
  constructor(readonly cidr: string) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    expect(s.real.get(this.cidr)).toBe(m.get(this.cidr));
  }
  toString = () => `get ${this.cidr}`;
}

class Lookup implements Cmd {
  constructor(readonly addr: string) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    expect(s.real.lookup(this.addr)).toBe(m.lookup(this.addr));
  }
  toString = () => `lookup ${this.addr}`;
}

/** Looks up an address inside the `pick`-th route present when it runs (printed once resolved). */
class LookupInside implements Cmd {
  private addr = '(not run)';
  constructor(readonly pick: number, readonly bits: Ip6) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    const routes = [...m];
    if (routes.length === 0) return;
    const [text, lenText] = routes[this.pick % routes.length].cidr.split('/');
    const len = Number(lenText);
    if (m.family === 4) {
      const base = parseCidr(text, 4).addr as number;
      this.addr = formatIPv4((base | (this.bits[3] & ~maskV4(len))) >>> 0);
    } else {
      const base = parseCidr(text, 6).addr as Ip6;
      const host = maskV6(this.bits, len);
      this.addr = formatIPv6(base.map((w, i) => (w | (this.bits[i] & ~host[i])) >>> 0) as Ip6);
    }
    expect(s.real.lookup(this.addr)).toBe(m.lookup(this.addr));
  }
  toString = () => `lookup ${this.addr}`;
}

class Batch implements Cmd {
  constructor(readonly words: number[], readonly family: 4 | 6, readonly inPlace: boolean) {}
  check = () => true;
  private addrs(): (number | Ip6)[] {
    if (this.family === 4) return this.words;
    const out: Ip6[] = [];
    for (let i = 0; i < this.words.length; i += 4) out.push(this.words.slice(i, i + 4) as Ip6);
    return out;
  }
  run(m: ReferenceTable, s: Sys): void {
    const want = this.addrs().map((a) => m.lookup(a));
    let got: number[];
    if (this.inPlace) {
      const view = s.real.batchView(want.length);
      view.set(this.words);
      got = [...s.real.lookupBatchInPlace(want.length)];
    } else got = [...s.real.lookupBatch(Uint32Array.from(this.words), new Int32Array(want.length))];
    expect(got).toEqual(want);
  }
  toString = () =>
    `batch${this.inPlace ? ' in place' : ''} [${this.addrs().map((a) => (typeof a === 'number' ? formatIPv4(a) : formatIPv6(a))).join(', ')}]`;
}

/**
 * A burst of inserts and removes (null next hop) with no lookup in between,
 * over a small pool of prefixes so that they repeat: the IPv6 sorted store
 * then has an unsorted tail, tombstones that come back to life, and
 * compactions triggered by the tail's length (64 + n/64), not by a lookup.
 */
class Burst implements Cmd {
  constructor(readonly ops: [string, number | null][]) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    for (const [c, nh] of this.ops) {
      if (nh === null) expect(s.real.remove(c)).toBe(m.remove(c));
      else {
        m.insert(c, nh);
        s.real.insert(c, nh);
      }
    }
    expect(s.real.size).toBe(m.size);
    for (const [c] of this.ops.slice(0, 10)) expect(s.real.get(c)).toBe(m.get(c));
  }
  toString = () => `burst ${this.ops.map(([c, nh]) => (nh === null ? `-${c}` : `${c}->${nh}`)).join(' ')}`;
}

/**
 * IPv4 table-shape command: `n` random /8-/32 prefixes (seeded), so many
 * that a poptrie is over 64 KiB + 32 B per prefix and an 'auto' table moves
 * to the sorted store at its next rebuild; with `undo`, removes them again
 * (the table shrinks to half and tries the poptrie again).
 */
class Sparse implements Cmd {
  constructor(readonly seed: number, readonly n: number, readonly undo: boolean) {}
  check = () => true;
  run(m: ReferenceTable, s: Sys): void {
    let x = this.seed | 1;
    const rnd = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>>= 0));
    const added: string[] = [];
    for (let i = 0; i < this.n; i++) {
      const len = 8 + (rnd() % 25);
      const c = formatCidr({ family: 4, addr: (rnd() & maskV4(len)) >>> 0, len });
      if (m.get(c) === -1) added.push(c);
      m.insert(c, i % 21);
      s.real.insert(c, i % 21);
    }
    s.real.build();
    expect(s.real.memoryBytes).toBeLessThanOrEqual(65536 + 32 * s.real.size);
    if (this.undo) for (const c of added) expect(s.real.remove(c)).toBe(m.remove(c));
    expect(s.real.size).toBe(m.size);
  }
  toString = () => `sparse seed=${this.seed} n=${this.n}${this.undo ? ' undo' : ''}`;
}

/** Allocates a block (freeing the oldest beyond 3), which may grow WASM memory. */
class Grow implements Cmd {
  constructor(readonly kib: number) {}
  check = () => true;
  run(_m: ReferenceTable, s: Sys): void {
    s.blocks.push(s.core.alloc(this.kib * 1024));
    if (s.blocks.length > 3) s.core.free(s.blocks.shift()!);
  }
  toString = () => `grow ${this.kib} KiB`;
}

function commands(family: 4 | 6): fc.Arbitrary<Cmd>[] {
  const shape: fc.Arbitrary<Cmd>[] = family === 4 ? [fc.tuple(fc.nat(), fc.integer({ min: 0, max: 14 }), fc.boolean()).map(([seed, k, undo]) => (k === 0 ? new Sparse(seed, 2500, undo) : new Get('10.0.0.0/8')))] : [];
  const cidr = family === 4 ? v4Cidr : v6Cidr;
  const addr = family === 4 ? v4Addr.map(formatIPv4) : v6Addr.map(formatIPv6);
  const words = family === 4 ? fc.array(v4Addr, { maxLength: 40 }) : fc.array(v6Addr, { maxLength: 20 }).map((xs) => xs.flat());
  return [
    fc.tuple(cidr, nextHop).map(([c, n]) => new Insert(c, n)),
    fc.tuple(cidr, nextHop).map(([c, n]) => new Insert(c, n)),
    cidr.map((c) => new Remove(c)),
    cidr.map((c) => new Get(c)),
    addr.map((a) => new Lookup(a)),
    fc.tuple(fc.nat(), v6Addr).map(([p, b]) => new LookupInside(p, b)),
    fc.tuple(fc.nat(), v6Addr).map(([p, b]) => new LookupInside(p, b)),
    fc.tuple(words, fc.boolean()).map(([w, p]) => new Batch(w, family, p)),
    fc.integer({ min: 64, max: 4096 }).map((k) => new Grow(k)),
    ...shape,
    fc
      .tuple(fc.array(cidr, { minLength: 1, maxLength: 100 }), fc.array(fc.tuple(fc.nat(), fc.option(nextHop, { freq: 3 })), { maxLength: 200 }))
      .map(([pool, ops]) => new Burst(ops.map(([i, nh]) => [pool[i % pool.length], nh]))),
  ];
}

// IPv4 tables run both as 'auto' (a poptrie until a Sparse command pushes
// them over the memory bound) and forced onto the sorted store.
for (const [family, structure] of [[4, 'auto'], [4, 'sorted'], [6, 'auto']] as const) {
  describe(`RouteTable IPv${family} (${structure}) against the reference`, () => {
    it('agrees on every command sequence', async () => {
      const core = await createCore();
      await fc.assert(
        fc.asyncProperty(fc.commands(commands(family), { maxCommands: 80 }), async (cmds) => {
          const sys: Sys = { core, real: new RouteTable(core, { family, structure }), blocks: [] };
          const model = new ReferenceTable({ family });
          fc.modelRun(() => ({ model, real: sys }), cmds);
          // Why this test? A replace or remove that forgot to mark the table
          // dirty would only show in a lookup *after* the change; the final
          // full comparison catches it even when the sequence ended early.
          expect([...sys.real]).toEqual([...model]);
          sys.real.dispose();
          for (const b of sys.blocks) core.free(b);
        }),
      );
    });
  });
}

// Why this test? Replaying the exact prefix a lookup hits while the covering
// one changes is the classic place where leaf-pushed tries go stale.
describe('nested prefixes removed and re-added', () => {
  it('always restores the covering prefix', async () => {
    const core = await createCore();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 32 }), { minLength: 1, maxLength: 12 }), v4Addr, async (lens, a) => {
        const real = new RouteTable(core);
        const model = new ReferenceTable();
        const cidrs = [...new Set(lens)].map((len) => formatCidr({ family: 4, addr: (a & maskV4(len)) >>> 0, len }));
        cidrs.forEach((c, i) => (real.insert(c, i), model.insert(c, i)));
        for (const c of cidrs) {
          real.remove(c);
          model.remove(c);
          expect(real.lookup(a)).toBe(model.lookup(a));
        }
        real.dispose();
      }),
    );
  });
});
