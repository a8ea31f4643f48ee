/**
 * Properties of the iptables engine: the WASM engine (classified and linear
 * scan) agrees with the reference interpreter on every verdict, deciding
 * rule, resulting packet and counter, and iptables-save output written back
 * from a loaded ruleset loads again to the same program.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { createCoreSync, type Core } from '../src/core/core.js';
import { HOOKS, IptEngine, ReferenceEngine, compile, parseIpsets, parsePacket, parseRuleset, saveIpsets, saveRuleset, type CounterMap, type Ruleset } from '../src/iptables/all.js';
import { CTX, ipsetArb, packetArb, rulesetArb } from './iptables.arb.js';
import { InputError } from '../src/core/errors.js';

let core: Core;
beforeAll(() => {
  core = createCoreSync();
});

function flat(rs: Ruleset, c: CounterMap): string[] {
  const out: string[] = [];
  for (const t of rs.tables.values())
    for (const ch of t.chains.values()) {
      const p = c.get(ch);
      if (p) out.push(`${t.name} ${ch.name} policy ${p.packets}:${p.bytes}`);
      ch.rules.forEach((r, i) => {
        const v = c.get(r);
        if (v) out.push(`${t.name} ${ch.name} ${i} ${v.packets}:${v.bytes}`);
      });
    }
  return out;
}

describe('iptables WASM engine vs reference', () => {
  it('agrees on verdict, deciding rule, packet and counters for random rulesets and packets', () => {
    fc.assert(
      fc.property(rulesetArb, ipsetArb, fc.array(fc.tuple(fc.constantFrom(...HOOKS), packetArb), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (text, setText, pkts, minRun) => {
        const ipsets = parseIpsets(setText);
        const rs = parseRuleset(text, { ipsets });
        const ref = new ReferenceEngine(rs, ipsets, CTX);
        // Tiny chunks so that classification, chunk edges and resumption are all exercised.
        const fast = new IptEngine(core, rs, { ipsets, ctx: CTX, minRun, chunkRules: 5 + minRun * 7 });
        const slow = new IptEngine(core, rs, { ipsets, ctx: CTX, classify: false });
        try {
          for (const [hook, desc] of pkts) {
            const p = parsePacket(desc);
            const want = ref.walk(hook, p);
            for (const [eng, mode] of [
              [fast, 'classified'],
              [slow, 'linear'],
            ] as const) {
              const [got] = eng.walk(hook, [p], mode);
              const ctx = `${hook} ${desc} (${mode})\n${text}`;
              expect(got.verdict, ctx).toBe(want.verdict);
              expect(got.rule, ctx).toEqual(want.rule);
              expect({ ...got.packet }, ctx).toEqual({ ...want.packet });
            }
          }
          expect(flat(rs, fast.counters())).toEqual(flat(rs, ref.counters));
          expect(flat(rs, slow.counters())).toEqual(flat(rs, ref.counters));
        } finally {
          fast.dispose();
          slow.dispose();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('batch walks give the same results as one-by-one walks', () => {
    fc.assert(
      fc.property(rulesetArb, ipsetArb, fc.constantFrom(...HOOKS), fc.array(packetArb, { minLength: 1, maxLength: 60 }), (text, setText, hook, descs) => {
        const ipsets = parseIpsets(setText);
        const rs = parseRuleset(text, { ipsets });
        const eng = new IptEngine(core, rs, { ipsets, ctx: CTX, minRun: 2 });
        try {
          const ps = descs.map(parsePacket);
          const batch = eng.walk(hook, ps);
          const single = ps.map((p) => eng.walk(hook, [p])[0]);
          expect(batch).toEqual(single);
        } finally {
          eng.dispose();
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('iptables-save round trip', () => {
  it('save -> load gives the same program and the same text', () => {
    fc.assert(
      fc.property(rulesetArb, ipsetArb, (text, setText) => {
        const ipsets = parseIpsets(setText);
        const rs = parseRuleset(text, { ipsets });
        const saved = saveRuleset(rs);
        const again = parseRuleset(saved, { ipsets });
        const a = compile(rs, ipsets, CTX);
        const b = compile(again, ipsets, CTX);
        expect([...b.words]).toEqual([...a.words]);
        expect(b.refs.map((r) => r && { ...r, line: 0 })).toEqual(a.refs.map((r) => r && { ...r, line: 0 }));
        expect(saveRuleset(again)).toBe(saved);
      }),
      { numRuns: 150 },
    );
  });

  it('ipset save -> load gives the same members', () => {
    fc.assert(
      fc.property(ipsetArb, (setText) => {
        const a = parseIpsets(setText);
        const b = parseIpsets(saveIpsets(a));
        expect([...b.values()].map((s) => [s.name, s.type, s.ranges])).toEqual([...a.values()].map((s) => [s.name, s.type, s.ranges]));
      }),
    );
  });
});

describe('loader robustness', () => {
  // Why this test? Loading is all-or-nothing and must fail only with an InputError naming the line.
  const WORDS = ['*filter', '*nat', '*raw', 'COMMIT', ':INPUT', ':x', 'ACCEPT', 'DROP', '-', '[0:0]', '[1:2]', '-A', 'INPUT', 'x', '-s', '-d', '-p', 'tcp', '-m', 'tcp', 'mark', 'set', 'multiport', '--dport', '--mark', '--dports', '80:90', '1,2', '!', '-j', '-g', 'MARK', '--set-xmark', '0x1/0x1', '10.0.0.0/8', '"', "'", '-i', 'eth+', '--match-set', 'sa', 'src,dst', 'DNAT', '--to-destination', '1.2.3.4:80', '#'];
  const line = fc.array(fc.constantFrom(...WORDS), { maxLength: 8 }).map((w) => w.join(' '));
  it('random rule text either loads or throws an InputError with a line', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(line, fc.string()), { maxLength: 12 }), fc.boolean(), (lines, lenient) => {
        const ipsets = parseIpsets('create sa hash:net\nadd sa 10.0.0.0/8');
        try {
          const rs = parseRuleset(lines.join('\n'), { lenient, ipsets });
          expect(parseRuleset(saveRuleset(rs), { lenient: true, ipsets }).tables.size).toBe(rs.tables.size);
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
          expect((e as InputError).position?.line).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });
  it('random ipset and packet text either parses or throws an InputError', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.constantFrom('create', 'add', 'a', 'hash:net', 'bitmap:port', '10.0.0.1', '1-2', 'nomatch', ',tcp:80', 'family', 'inet'), { maxLength: 6 }), (junk, words) => {
        for (const text of [junk, `create a hash:ip,port\n${words.join(' ')}`, words.join(' ')]) {
          try {
            parseIpsets(text);
          } catch (e) {
            expect(e).toBeInstanceOf(InputError);
          }
          try {
            parsePacket(text);
          } catch (e) {
            expect(e).toBeInstanceOf(InputError);
          }
        }
      }),
    );
  });
});

describe('iptables engine as a stateful system (fc.commands)', () => {
  // Why this test? Counters accumulate across calls and reset; the model is the reference
  // interpreter, and each command prints a replayable line.
  type Sys = { eng: IptEngine; rs: Ruleset };
  type Model = { ref: ReferenceEngine };
  class Walk implements fc.Command<Model, Sys> {
    constructor(
      readonly hook: (typeof HOOKS)[number],
      readonly descs: string[],
    ) {}
    check(): boolean {
      return true;
    }
    run(m: Model, s: Sys): void {
      const ps = this.descs.map(parsePacket);
      const got = s.eng.walk(this.hook, ps);
      ps.forEach((p, i) => expect(got[i].rule).toEqual(m.ref.walk(this.hook, p).rule));
      expect(flat(s.rs, s.eng.counters())).toEqual(flat(s.rs, m.ref.counters));
    }
    toString(): string {
      return `walk ${this.hook} [${this.descs.join(' | ')}]`;
    }
  }
  class Reset implements fc.Command<Model, Sys> {
    check(): boolean {
      return true;
    }
    run(m: Model, s: Sys): void {
      s.eng.resetCounters();
      m.ref.counters.clear();
      expect(s.eng.counters().size).toBe(0);
    }
    toString(): string {
      return 'reset counters';
    }
  }
  it('walks and counter resets keep engine and reference counters equal', () => {
    const cmds = [fc.tuple(fc.constantFrom(...HOOKS), fc.array(packetArb, { minLength: 1, maxLength: 8 })).map(([h, d]) => new Walk(h, d)), fc.constant(new Reset())];
    fc.assert(
      fc.property(rulesetArb, fc.commands(cmds, { maxCommands: 12 }), (text, commands) => {
        const ipsets = parseIpsets('create sa hash:net\ncreate sb hash:ip\ncreate sc hash:ip,port\ncreate sd bitmap:port\nadd sd 80');
        const rs = parseRuleset(text, { ipsets });
        const eng = new IptEngine(core, rs, { ipsets, ctx: CTX, minRun: 2 });
        try {
          fc.modelRun(() => ({ model: { ref: new ReferenceEngine(rs, ipsets, CTX) }, real: { eng, rs } }), commands);
        } finally {
          eng.dispose();
        }
      }),
      { numRuns: 40 },
    );
  });
});
