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
    // fib_table_insert: appending a route identical to one there (type, next hop, metric) is EEXIST.
    const fails = (r.hop === 'dev eth1' && !m.eth1Up) || m.routes.some((x) => x.prefix === r.prefix && x.metric === r.metric && x.hop === r.hop);
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

// Every kind of door call on a small network, with names and addresses
// drawn from sets that make some calls valid and some refused.
const NS = ['h1', 'h2', 'p1', 'ghost'];
const DEVS = ['eth0', 'eth1', 'br0', 'vx0', 'v0', 'v1', 'd0', 'lo', 'nope'];
const ADDRS = ['10.0.0.1/24', '10.0.0.2/24', '10.5.0.1/16', '10.5.0.1/33', '10.9.9.9/32'];
const ROUTES = ['10.7.0.0/16 via 10.0.0.2', '10.7.0.0/16 dev d0', 'default via 10.5.0.9', '10.8.0.0/16 via 10.0.0.2 dev eth0 metric 5', 'blackhole 10.66.0.0/16', '10.1.2.3/8 dev eth0', 'local 10.44.0.1 dev d0 table local'];
const NEIGH = ['10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0', '10.0.0.9 dev eth0', '10.5.0.9 lladdr 02:00:00:00:00:0a dev d0 nud reachable', '10.0.0.9 lladdr zz dev eth0'];
const FDB = ['02:00:00:00:00:09 dev vx0 dst 10.0.0.2', '00:00:00:00:00:00 dev vx0 dst 10.0.0.3', '02:00:00:00:00:09 dev v0 master', '02:00:00:00:00:09 dev eth0'];

type Op = { name: string; run: (nl: Netlink) => void };
const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
const rawOps: fc.Arbitrary<Op>[] = [
  fc.tuple(pick(NS), pick(['phys', 'bridge', 'dummy', 'vxlan', 'veth', 'tun', 'ipip'] as const), pick(DEVS)).map(([ns, kind, name]) => ({
    name: `link add ${ns} ${kind} ${name}`,
    run: (nl: Netlink) => {
      if (kind === 'phys') nl.linkAdd(ns, { kind, name, segment: 'lan' });
      else if (kind === 'vxlan') nl.linkAdd(ns, { kind, name, id: 7, dev: 'eth0', local: '10.0.0.1' });
      else if (kind === 'veth') nl.linkAdd(ns, { kind, name, peer: { name: 'v1', ns: 'p1' } });
      else nl.linkAdd(ns, { kind, name });
    },
  })),
  fc.tuple(pick(NS), pick(DEVS)).map(([ns, d]) => ({ name: `link del ${ns} ${d}`, run: (nl: Netlink) => nl.linkDel(ns, d) })),
  fc.tuple(pick(NS), pick(DEVS), fc.record({ up: fc.option(fc.boolean(), { nil: undefined }), mtu: fc.option(pick([1400, 9000, 10]), { nil: undefined }), master: fc.option(pick(['br0', 'eth0', null]), { nil: undefined }), l2miss: fc.option(fc.boolean(), { nil: undefined }) })).map(([ns, d, s]) => ({
    name: `link set ${ns} ${d} ${JSON.stringify(s)}`,
    run: (nl: Netlink) => nl.linkSet(ns, d, s),
  })),
  fc.tuple(pick(NS), pick(DEVS), pick(NS), fc.option(pick(['eth0', 'v2']), { nil: undefined })).map(([ns, d, to, name]) => ({
    name: `link set ${ns} ${d} netns ${to}${name ? ` name ${name}` : ''}`,
    run: (nl: Netlink) => nl.linkSet(ns, d, { netns: to, name }),
  })),
  fc.tuple(pick(NS), pick(DEVS), pick(ADDRS), fc.boolean()).map(([ns, d, a, add]) => ({ name: `addr ${add ? 'add' : 'del'} ${ns} ${d} ${a}`, run: (nl: Netlink) => (add ? nl.addrAdd(ns, d, a) : nl.addrDel(ns, d, a)) })),
  fc.tuple(pick(NS), pick(ROUTES), pick(['add', 'replace', 'append', 'del'] as const)).map(([ns, r, op]) => ({
    name: `route ${op} ${ns} ${r}`,
    run: (nl: Netlink) => (op === 'add' ? nl.routeAdd(ns, r) : op === 'replace' ? nl.routeReplace(ns, r) : op === 'append' ? nl.routeAppend(ns, r) : nl.routeDel(ns, r)),
  })),
  fc.tuple(pick(NS), pick(NEIGH), pick(['add', 'replace', 'del'] as const)).map(([ns, a, op]) => ({
    name: `neigh ${op} ${ns} ${a}`,
    run: (nl: Netlink) => (op === 'add' ? nl.neighAdd(ns, a) : op === 'replace' ? nl.neighReplace(ns, a) : nl.neighDel(ns, a)),
  })),
  fc.tuple(pick(NS), pick(FDB), pick(['add', 'append', 'replace', 'del'] as const)).map(([ns, a, op]) => ({
    name: `fdb ${op} ${ns} ${a}`,
    run: (nl: Netlink) => (op === 'add' ? nl.fdbAdd(ns, a) : op === 'append' ? nl.fdbAppend(ns, a) : op === 'replace' ? nl.fdbReplace(ns, a) : nl.fdbDel(ns, a)),
  })),
  fc.tuple(pick(NS), pick(['net.ipv4.ip_forward', 'net.ipv4.conf.eth0.proxy_arp', 'net.ipv4.conf.v0.proxy_arp', 'net.ipv4.neigh.d0.app_solicit']), pick(['0', '1', '3', 'x'])).map(([ns, k, v]) => ({ name: `sysctl ${ns} ${k}=${v}`, run: (nl: Netlink) => nl.sysctl(ns, k, v) })),
  fc.tuple(pick(NS), pick(['*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -o v0 -j DROP\nCOMMIT\n', '*filter\n-A FORWARD -j NOWHERE\nCOMMIT\n']), fc.boolean()).map(([ns, t, noflush]) => ({ name: `iptables-restore ${ns}${noflush ? ' --noflush' : ''} ${t.length}`, run: (nl: Netlink) => nl.iptablesRestore(ns, t, { noflush }) })),
  fc.tuple(pick(['p1', 'p2']), fc.boolean()).map(([name, add]) => ({
    name: `pod ${add ? 'add' : 'del'} ${name}`,
    run: (nl: Netlink) => (add ? nl.podAdd('h1', { name, address: '10.0.0.50/24', mac: '02:00:00:00:00:50', hostVeth: `veth-${name}`, hostVethMac: '02:00:00:00:00:51', routes: ['default via 10.0.0.2 dev eth0'] }) : nl.podDel(name)),
  })),
  fc.tuple(pick(NS), fc.boolean()).map(([ns, add]) => ({ name: `netns ${add ? 'add' : 'del'} ${ns}`, run: (nl: Netlink) => (add ? nl.netnsAdd(ns) : nl.netnsDel(ns)) })),
];

// Printed by name in counterexamples.
const ops = rawOps.map((a) => a.map((o) => ({ ...o, toString: () => o.name })));

/** `ip addr` essentials: each device's addresses. */
function addrs(net: SimNetwork, ns: string): string {
  return [...net.ns(ns).ifaces.values()].map((i) => `${i.name}: ${i.addrs.map((a) => `${a.addr}/${a.len}`).join(' ')}\n`).join('');
}

/** Every table of every namespace, as the Linux tools print them. */
function dumpAll(net: SimNetwork): string {
  return [...net.namespaces.keys()]
    .sort()
    .map((ns) => `${ns}\n${net.ipLink(ns)}${addrs(net, ns)}${net.ipRoute(ns)}${net.ipRoute(ns, 'local')}${net.ns(ns).neigh.show({ nud: 'all' })}${net.bridgeFdb(ns)}${net.iptablesSave(ns)}${[...net.ns(ns).sysctls].join(' ')}`)
    .join('\n');
}

describe('Netlink: any call', () => {
  // Why this test? The door's promise: a call either works or throws the
  // door's own error (never a TypeError from half-made state) and then
  // leaves every table and counter as it was; walks never crash after it.
  it('either changes the network or throws a CnikitError and changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(...ops), { maxLength: 25 }), (seq) => {
        const net = createNetwork(core);
        const nl = Netlink.of(net);
        try {
          nl.segmentAdd('lan');
          for (const ns of ['h1', 'h2', 'p1']) nl.netnsAdd(ns, { ipForward: true });
          for (const [ns, a] of [['h1', '10.0.0.1/24'], ['h2', '10.0.0.2/24']]) {
            nl.linkAdd(ns, { kind: 'phys', name: 'eth0', segment: 'lan' });
            nl.addrAdd(ns, 'eth0', a);
          }
          for (const op of seq) {
            const before = dumpAll(net);
            const counters = JSON.stringify(nl.counters);
            try {
              op.run(nl);
            } catch (e) {
              if (!(e instanceof Error) || e.constructor.name === 'TypeError' || !('code' in e)) throw new Error(`${op.name}: ${String(e)}`);
              expect(dumpAll(net), op.name).toBe(before);
              expect(JSON.stringify(nl.counters), op.name).toBe(counters);
            }
            for (const from of ['h1', 'p1']) if (net.namespaces.has(from)) net.walk({ from, to: '10.0.0.2', proto: 'icmp' });
          }
        } finally {
          net.dispose();
        }
      }),
      { numRuns: 150 },
    );
  });
});
