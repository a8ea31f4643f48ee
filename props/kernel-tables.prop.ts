// Stateful properties of the kernel tables on the simulated clock.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BridgeFdb, NeighTable } from '../src/kernel/index.js';
import { SimClock } from '../src/store/clock.js';

const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3'];
const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03'];

interface NeighReal {
  clock: SimClock;
  t: NeighTable;
  wireUp: { v: boolean };
  agentUp: { v: boolean };
  /** Packets parked by timed lookups: how many times each ended (resumed or failed), and for which address. */
  parked: { ip: string; ends: number }[];
  /** Agent answers still on their way (each a clock timer). */
  agentTimers: () => number;
  untimed: { v: boolean };
}

// Why this test? Every entry timer the table sets must belong to a live
// REACHABLE, DELAY, PROBE or (timed) INCOMPLETE entry (no leaked or double
// timers); no entry may hold an address in a state that has none; and a
// packet parked in an unresolved entry ends exactly once (sent on with the
// answer, or failed), never while its entry is still INCOMPLETE.
function invariants(r: NeighReal): void {
  const entries = r.t.entries();
  for (const e of entries) {
    if (e.state === 'INCOMPLETE' || e.state === 'FAILED') expect(e.lladdr).toBeUndefined();
    else expect(e.lladdr).toBeDefined();
    if (e.state === 'REACHABLE') expect(r.clock.now() - e.confirmed).toBeLessThan(30_000);
  }
  // Agent answers on their way hold a timer of their own (latency), beside the entries'.
  expect(r.clock.pending - r.agentTimers()).toBe(entries.filter((e) => e.state === 'REACHABLE' || e.state === 'DELAY' || e.state === 'PROBE' || e.state === 'INCOMPLETE').length);
  for (const p of r.parked) {
    expect(p.ends).toBeLessThanOrEqual(1);
    const e = r.t.get(p.ip, 'eth0');
    if (p.ends === 0) expect(e?.state).toBe('INCOMPLETE');
  }
}

type NCmd = fc.Command<object, NeighReal>;
const neighCommands: fc.Arbitrary<NCmd>[] = [
  fc.constantFrom(...IPS).map((ip) =>
    cmd(`lookup ${ip}`, (r) => {
      // An untimed lookup installs an agent's answer at once, whatever its latency.
      r.untimed.v = true;
      r.t.lookup(ip, 'eth0');
      r.untimed.v = false;
    }),
  ),
  fc.constantFrom(...IPS).map((ip) =>
    cmd(`send ${ip} (timed)`, (r) => {
      const p = { ip, ends: 0 };
      const res = r.t.lookup(ip, 'eth0', { resume: () => void p.ends++, fail: () => void p.ends++ });
      if (res.kind === 'queued') r.parked.push(p);
    }),
  ),
  fc.constantFrom(...IPS).map((ip) => cmd(`confirm ${ip}`, (r) => r.t.confirm(ip, 'eth0'))),
  fc.constantFrom(...IPS).map((ip) => cmd(`replace ${ip} permanent`, (r) => void r.t.replace(ip, 'eth0', { lladdr: MACS[0] }))),
  fc.constantFrom(...IPS).map((ip) => cmd(`del ${ip}`, (r) => (r.t.get(ip, 'eth0') ? r.t.del(ip, 'eth0') : undefined))),
  fc.constantFrom(1_000, 4_999, 5_000, 25_000, 30_000, 60_000).map((ms) => cmd(`advance ${ms}ms`, (r) => r.clock.advance(ms))),
  fc.boolean().map((v) => cmd(`wire ${v ? 'up' : 'down'}`, (r) => void (r.wireUp.v = v))),
  fc.boolean().map((v) => cmd(`agent ${v ? 'answers' : 'silent'}`, (r) => void (r.agentUp.v = v))),
];

function cmd(name: string, f: (r: NeighReal) => void): NCmd {
  return {
    check: () => true,
    run: (_m, r) => {
      f(r);
      invariants(r);
    },
    toString: () => name,
  };
}

describe('NeighTable on the simulated clock', () => {
  it('keeps one timer per ageing entry and addresses only in states that have one', () => {
    fc.assert(
      fc.property(fc.commands(neighCommands, { maxCommands: 40, size: '+1' }), fc.nat(3), (cmds, app) => {
        const clock = new SimClock();
        const t = new NeighTable(clock);
        t.setParams('eth0', { appSolicit: app });
        const wireUp = { v: true };
        const agentUp = { v: false };
        // Answers after 0 or 300 ms (the latter on the clock); the due times of those still pending.
        const due: number[] = [];
        const untimed = { v: false };
        let n = 0;
        t.setResolver(() => (wireUp.v ? MACS[1] : undefined));
        t.setAgent(() => {
          if (!agentUp.v) return undefined;
          const latencyMs = n++ % 2 ? 300 : 0;
          if (latencyMs && !untimed.v) due.push(clock.now() + latencyMs);
          return { lladdr: MACS[2], latencyMs };
        });
        const agentTimers = () => due.filter((d) => d > clock.now()).length;
        fc.modelRun(() => ({ model: {}, real: { clock, t, wireUp, agentUp, parked: [], agentTimers, untimed } }), cmds);
      }),
    );
  });
});

interface FdbModel {
  now: number;
  // MAC -> port, state and last-seen time; the obviously-correct table.
  m: Map<string, { port: string; fixed: boolean; seen: number }>;
}
type FCmd = fc.Command<FdbModel, { clock: SimClock; br: BridgeFdb }>;
const AGE = 300_000;

function modelLookup(m: FdbModel, mac: string): string | undefined {
  const e = m.m.get(mac);
  if (!e) return undefined;
  if (!e.fixed && m.now - e.seen >= AGE) {
    m.m.delete(mac);
    return undefined;
  }
  return e.port;
}

const fdbCommands: fc.Arbitrary<FCmd>[] = [
  fc.tuple(fc.constantFrom(...MACS), fc.constantFrom('veth1', 'veth2')).map(([mac, port]) => ({
    check: () => true,
    run: (m, r) => {
      r.br.learn(mac, port);
      const e = m.m.get(mac);
      // br_fdb_update: a static entry follows the station but never ages; anything else is (re)learned now.
      if (e?.fixed) e.port = port;
      else m.m.set(mac, { port, fixed: false, seen: m.now });
    },
    toString: () => `learn ${mac} on ${port}`,
  })),
  fc.constantFrom(...MACS).map((mac) => ({
    check: () => true,
    run: (m, r) => {
      if (modelLookup(m, mac) !== undefined) return void expect(() => r.br.add(mac, 'veth9', { state: 'static' })).toThrow('File exists');
      r.br.add(mac, 'veth9', { state: 'static' });
      m.m.set(mac, { port: 'veth9', fixed: true, seen: m.now });
    },
    toString: () => `add ${mac} dev veth9 master static`,
  })),
  fc.constantFrom(...MACS).map((mac) => ({
    check: () => true,
    run: (m, r) => {
      const port = modelLookup(m, mac);
      const got = r.br.lookup(mac);
      expect(got.kind === 'forward' ? got.entry.dev : undefined).toBe(port);
    },
    toString: () => `lookup ${mac}`,
  })),
  fc.constantFrom(1_000, 100_000, 299_999, 300_000).map((ms) => ({
    check: () => true,
    run: (m, r) => {
      m.now += ms;
      r.clock.advance(ms);
    },
    toString: () => `advance ${ms}ms`,
  })),
];

describe('BridgeFdb against a plain map', () => {
  it('learns, moves, ages learned entries at ageing_time and keeps static ones', () => {
    fc.assert(
      fc.property(fc.commands(fdbCommands, { maxCommands: 40, size: '+1' }), (cmds) => {
        const clock = new SimClock();
        fc.modelRun(() => ({ model: { now: 0, m: new Map() }, real: { clock, br: new BridgeFdb('cni0', clock) } }), cmds);
      }),
    );
  });
});
