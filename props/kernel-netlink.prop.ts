// Model-based property of the programming door: random `ip route`
// add/replace/append/del and link down/up against a plain list model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/core/core.js';
import { createNetwork, Netlink, type SimNetwork } from '../src/kernel/index.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

const PREFIXES = ['10.1.0.0/16', '10.1.1.0/24', '10.2.0.0/16', 'default'];
const HOPS = ['dev eth0', 'via 10.0.0.2 dev eth0', 'dev eth1', 'via 10.0.0.3 dev eth0 onlink'];
const METRICS = [undefined, 10, 20];

interface Route {
  prefix: string;
  hop: string;
  metric: number;
}
/** The obviously correct table: routes in `ip route` order (prefix, then metric, then insertion). */
interface Model {
  routes: Route[];
  eth1Up: boolean;
}
interface Real {
  net: SimNetwork;
  nl: Netlink;
}

const text = (r: Route) => `${r.prefix} ${r.hop}${r.metric ? ` metric ${r.metric}` : ''}`;
const key = (p: string) => (p === 'default' ? [0, 0] : [p.split(/[./]/).slice(0, 4).reduce((a, b) => a * 256 + Number(b), 0), Number(p.split('/')[1])]);

/** Where a new route goes: after the routes of its prefix with a lower or equal metric. */
function insertAt(m: Model, r: Route): number {
  const [p, l] = key(r.prefix);
  const i = m.routes.findIndex((x) => {
    const [q, k] = key(x.prefix);
    return q > p || (q === p && k > l) || (q === p && k === l && x.metric > r.metric);
  });
  return i < 0 ? m.routes.length : i;
}

function dump(net: SimNetwork): string {
  return `${net.ipRoute('h')}${net.ipRoute('h', 'local')}${net.ipLink('h')}${net.ipNeigh('h')}`;
}

/** Runs `op` on the door; it must throw exactly when the model says so, and a refusal changes nothing. */
function expectOutcome(real: Real, fails: boolean, op: () => void): void {
  const before = dump(real.net);
  const count = real.nl.counters.route + real.nl.counters.link;
  if (fails) {
    expect(op).toThrow();
    expect(dump(real.net)).toBe(before);
    expect(real.nl.counters.route + real.nl.counters.link).toBe(count);
  } else {
    op();
    expect(real.nl.counters.route + real.nl.counters.link).toBe(count + 1);
  }
}

function check(m: Model, real: Real): void {
  const routes = real.net.ns('h').fib.list('main').filter((r) => r.proto !== 'kernel');
  const shown = real.net.ipRoute('h').split('\n').filter((l) => l !== '' && !l.includes('proto kernel')).map((l) => l.trimEnd());
  expect(routes).toHaveLength(m.routes.length);
  expect(shown).toEqual(m.routes.map((r) => routeLine(r)));
}

// iproute2's rendering of the model's routes.
function routeLine(r: Route): string {
  const scope = r.hop.startsWith('dev') ? ' scope link' : '';
  return `${r.prefix.endsWith('/32') ? r.prefix.slice(0, -3) : r.prefix} ${r.hop.replace(' onlink', '')}${scope}${r.metric ? ` metric ${r.metric}` : ''}${r.hop.endsWith('onlink') ? ' onlink' : ''}`;
}

type Cmd = fc.Command<Model, Real>;
const route = fc.record({ prefix: fc.constantFrom(...PREFIXES), hop: fc.constantFrom(...HOPS), metric: fc.constantFrom(...METRICS) });

const commands: fc.Arbitrary<Cmd>[] = [
  route.map((s) => command(`ip route add ${text({ ...s, metric: s.metric ?? 0 })}`, (m, real) => {
    const r = { ...s, metric: s.metric ?? 0 };
    const fails = (r.hop === 'dev eth1' && !m.eth1Up) || m.routes.some((x) => x.prefix === r.prefix && x.metric === r.metric);
    expectOutcome(real, fails, () => real.nl.routeAdd('h', text(r)));
    if (!fails) m.routes.splice(insertAt(m, r), 0, r);
  })),
  route.map((s) => command(`ip route append ${text({ ...s, metric: s.metric ?? 0 })}`, (m, real) => {
    const r = { ...s, metric: s.metric ?? 0 };
    const fails = r.hop === 'dev eth1' && !m.eth1Up;
    expectOutcome(real, fails, () => real.nl.routeAppend('h', text(r)));
    if (!fails) m.routes.splice(insertAt(m, r), 0, r);
  })),
  route.map((s) => command(`ip route replace ${text({ ...s, metric: s.metric ?? 0 })}`, (m, real) => {
    const r = { ...s, metric: s.metric ?? 0 };
    const fails = r.hop === 'dev eth1' && !m.eth1Up;
    expectOutcome(real, fails, () => real.nl.routeReplace('h', text(r)));
    if (fails) return;
    const same = m.routes.findIndex((x) => x.prefix === r.prefix && x.metric === r.metric);
    if (same >= 0) m.routes[same] = r;
    else m.routes.splice(insertAt(m, r), 0, r);
  })),
  fc.record({ prefix: fc.constantFrom(...PREFIXES), metric: fc.constantFrom(...METRICS) }).map((s) =>
    command(`ip route del ${s.prefix}${s.metric === undefined ? '' : ` metric ${s.metric}`}`, (m, real) => {
      const at = m.routes.findIndex((x) => x.prefix === s.prefix && (s.metric === undefined || x.metric === s.metric));
      expectOutcome(real, at < 0, () => real.nl.routeDel('h', `${s.prefix}${s.metric === undefined ? '' : ` metric ${s.metric}`}`));
      if (at >= 0) m.routes.splice(at, 1);
    }),
  ),
  fc.boolean().map((up) =>
    command(`ip link set eth1 ${up ? 'up' : 'down'}`, (m, real) => {
      expectOutcome(real, false, () => real.nl.linkSet('h', 'eth1', { up }));
      // Down: the routes through it go; up: they do not come back.
      if (!up) m.routes = m.routes.filter((r) => r.hop !== 'dev eth1');
      m.eth1Up = up;
    }),
  ),
];

function command(name: string, run: (m: Model, r: Real) => void): Cmd {
  return {
    check: () => true,
    run: (m, r) => {
      run(m, r);
      check(m, r);
    },
    toString: () => name,
  };
}

describe('Netlink routes against a list model', () => {
  const nets: SimNetwork[] = [];
  afterAll(() => nets.forEach((n) => n.dispose()));

  // Why this test? Route aliases, metrics, EEXIST/ESRCH and device-down flushes
  // interact; every sequence must leave `ip route` as Linux would, and every
  // refused call must leave all tables and counters as they were.
  it('ip route add/append/replace/del and link down/up keep `ip route` equal to the model', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 30 }), (cmds) => {
        const net = createNetwork(core);
        nets.push(net);
        const nl = Netlink.of(net);
        nl.segmentAdd('lan');
        nl.netnsAdd('h');
        nl.linkAdd('h', { kind: 'phys', name: 'eth0', segment: 'lan', mac: '02:00:00:00:00:01' });
        nl.addrAdd('h', 'eth0', '10.0.0.1/24');
        nl.linkAdd('h', { kind: 'dummy', name: 'eth1' });
        fc.modelRun(() => ({ model: { routes: [], eth1Up: true }, real: { net, nl } }), cmds);
        net.dispose();
        nets.pop();
      }),
      { numRuns: 60 },
    );
  });
});
