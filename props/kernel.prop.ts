// Properties of the kernel model on random small topologies (Flannel host-gw
// or VXLAN clusters from src/topology: nodes on one segment, a cni0 bridge
// with pods per node).
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, Netlink, type Scenario } from '../src/kernel/index.js';
import { flannelCluster } from '../src/topology/index.js';
import type { Disposition } from '../src/core/trace.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

interface Topo {
  mode: 'host-gw' | 'vxlan';
  pods: number[]; // pods per node
  /** routes[i][j]: node i has its route to node j's pod CIDR. */
  routes: boolean[][];
  /** Extra routes that can be wrong: blackholes and wrong next hops (only in the finiteness property). */
  extras: { node: number; line: string }[];
  dropPort?: number;
}

/** The topology from the generator, then the Topo's gaps and extras: routes to some nodes left out, wrong routes added. */
function scenario(t: Topo): Scenario {
  const n = t.pods.length;
  const s = flannelCluster({
    nodes: n,
    podsPerNode: t.pods,
    backend: t.mode,
    racks: [{ segment: 'lan', cidr: '10.0.0.0/24', gateway: '10.0.0.254' }],
    firstHost: 1,
    defaultRoute: false,
    podName: (p) => `n${p.node + 1}p${p.index}`,
    iptables: () => (t.dropPort ? `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p udp --dport ${t.dropPort} -j DROP\nCOMMIT\n` : undefined),
  });
  s.nodes.forEach((node, i) => {
    const missing = [...Array(n).keys()].filter((j) => j !== i && !t.routes[i][j]).map((j) => `10.244.${j + 1}.0/24 `);
    node.routes = [...node.routes.filter((r) => !missing.some((m) => r.startsWith(m))), ...t.extras.filter((e) => e.node === i).map((e) => e.line)];
  });
  return s;
}

const topo = (withExtras: boolean): fc.Arbitrary<Topo> =>
  fc.integer({ min: 1, max: 3 }).chain((n) =>
    fc.record({
      mode: fc.constantFrom('host-gw' as const, 'vxlan' as const),
      pods: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
      routes: fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
      extras: withExtras
        ? fc.array(
            fc.record({
              node: fc.integer({ min: 0, max: n - 1 }),
              line: fc.constantFrom('blackhole 10.244.2.0/25', 'unreachable 10.244.3.3', '10.244.1.0/26 via 10.0.0.3 dev eth0', '10.99.0.0/16 via 10.0.0.1 dev eth0', 'default via 10.0.0.2 dev eth0'),
            }),
            { maxLength: 3 },
          ).map((xs) => xs.filter((x, i) => xs.findIndex((y) => y.node === x.node && y.line.split(' ').slice(0, 2).join() === x.line.split(' ').slice(0, 2).join()) === i))
        : fc.constant([]),
      dropPort: fc.option(fc.constantFrom(53, 80), { nil: undefined }),
    }),
  );

const probe = fc.record({
  from: fc.nat(),
  to: fc.constantFrom('10.244.1.2', '10.244.1.3', '10.244.2.2', '10.244.2.4', '10.244.3.2', '10.0.0.1', '10.0.0.3', '10.99.1.1', '8.8.8.8', '10.244.2.1'),
  proto: fc.constantFrom('icmp' as const, 'udp' as const),
  dport: fc.constantFrom(53, 80, 9),
  ttl: fc.integer({ min: 1, max: 64 }),
});

const DISPOSITIONS: Disposition[] = ['DELIVERED', 'DENIED', 'NO_ROUTE', 'NULL_ROUTED', 'NEIGH_FAILED', 'TTL_EXCEEDED', 'MTU_EXCEEDED', 'LOOP', 'QUEUED'];

function podNames(s: Scenario): string[] {
  return s.nodes.flatMap((n) => n.pods.map((p) => p.name));
}

describe('kernel model properties', () => {
  // Why this test? The walk follows devices, bridges, tunnels and the fabric;
  // any cycle or missing case would hang or throw instead of ending in a disposition.
  it('every trace is finite and ends in a disposition', () => {
    fc.assert(
      fc.property(topo(true), fc.array(probe, { minLength: 1, maxLength: 4 }), (t, probes) => {
        const s = scenario(t);
        const net = buildScenario(core, s, { hopLimit: 32 });
        try {
          const pods = podNames(s);
          for (const p of probes) {
            const tr = net.walk({ name: 'p', from: pods[p.from % pods.length], to: p.to, proto: p.proto, dport: p.dport, ttl: p.ttl, expect: 'DELIVERED' });
            expect(DISPOSITIONS).toContain(tr.disposition);
            expect(tr.hops.length).toBeGreaterThan(0);
            expect(tr.hops.length).toBeLessThanOrEqual(34);
            expect(tr.hops[tr.hops.length - 1].steps.length).toBeGreaterThan(0);
          }
        } finally {
          net.dispose();
        }
      }),
      { numRuns: 60 },
    );
  });

  // Why this test? Local delivery and bridging do not depend on any route the
  // control plane installs: a pod always reaches itself and its bridge neighbours.
  it('a pod reaches itself and its bridge neighbours', () => {
    fc.assert(
      fc.property(topo(true), fc.nat(), fc.constantFrom('icmp' as const, 'udp' as const), (t, pick, proto) => {
        const s = scenario(t);
        const net = buildScenario(core, s);
        try {
          const node = s.nodes[pick % s.nodes.length];
          const me = node.pods[pick % node.pods.length];
          for (const other of node.pods) {
            const tr = net.walk({ name: 'p', from: me.name, to: other.address.split('/')[0], proto, dport: 9, expect: 'DELIVERED' });
            expect(tr.disposition).toBe('DELIVERED');
            expect(tr.hops[tr.hops.length - 1].node).toBe(other.name);
          }
        } finally {
          net.dispose();
        }
      }),
      { numRuns: 60 },
    );
  });

  // Why this test? Reachability is monotone in the routes when every route is
  // either correct or absent (no blackholes or more-specific wrong routes,
  // whose removal can legitimately open a path): deleting one never helps.
  it('removing a route never makes an unreachable destination reachable', () => {
    fc.assert(
      fc.property(topo(false), probe, fc.nat(), fc.nat(), (t, p, nsPick, routePick) => {
        const s = scenario(t);
        const pods = podNames(s);
        const spec = { name: 'p', from: pods[p.from % pods.length], to: p.to, proto: p.proto, dport: p.dport, ttl: p.ttl, expect: 'DELIVERED' as const };
        const a = buildScenario(core, s);
        const b = buildScenario(core, s);
        try {
          const names = [...b.namespaces.keys()];
          const ns = b.ns(names[nsPick % names.length]);
          const routes = ns.fib.list('main');
          fc.pre(routes.length > 0);
          const r = routes[routePick % routes.length];
          Netlink.of(b).routeDel(ns.name, { dst: `${[r.prefix >>> 24, (r.prefix >>> 16) & 255, (r.prefix >>> 8) & 255, r.prefix & 255].join('.')}/${r.len}` });
          const before = a.walk(spec).disposition;
          const after = b.walk(spec).disposition;
          if (before !== 'DELIVERED') expect(after).not.toBe('DELIVERED');
        } finally {
          a.dispose();
          b.dispose();
        }
      }),
      { numRuns: 80 },
    );
  });
});
