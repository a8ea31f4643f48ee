// Properties of the topology generator (src/topology): any cluster it makes
// within its address space has disjoint pod CIDRs and unique addresses, and,
// built in the kernel model, connects every pod to every other pod.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, type Scenario } from '../src/kernel/index.js';
import { formatIPv4, maskV4, parseIPv4 } from '../src/net/ip.js';
import { calicoCluster, flannelCluster, planCalico, planFlannel, prefix4, type ClusterPlan } from '../src/topology/index.js';
import { inside, overlaps } from '../src/topology/address.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

type Shape = 'flannel-vxlan' | 'flannel-host-gw' | 'calico' | 'calico-racks';

const RACKS = [
  { segment: 'rack-a', cidr: '10.0.1.0/24' },
  { segment: 'rack-b', cidr: '10.0.2.0/24' },
];

function cluster(shape: Shape, pods: number[]): Scenario {
  const nodes = pods.length;
  if (shape === 'flannel-vxlan') return flannelCluster({ nodes, podsPerNode: pods });
  if (shape === 'flannel-host-gw') return flannelCluster({ nodes, podsPerNode: pods, backend: 'host-gw' });
  if (shape === 'calico') return calicoCluster({ nodes, podsPerNode: pods });
  return calicoCluster({ nodes, podsPerNode: pods, racks: RACKS });
}

/** The segment of a node's `eth0`. */
function segmentOf(s: Scenario, node: string): string | undefined {
  const eth0 = s.nodes.find((n) => n.name === node)!.interfaces[0];
  return eth0.kind === 'phys' ? eth0.segment : undefined;
}

/** Pod CIDRs disjoint and inside `network`, every pod inside its node's CIDR, no address twice. */
function checkPlan(plan: ClusterPlan, network: string): void {
  const net = prefix4(network);
  const cidrs = plan.nodes.map((n) => prefix4(n.podCidr));
  const seen = new Set<string>();
  cidrs.forEach((c, i) => {
    expect(overlaps(c, net) && c.len >= net.len).toBe(true);
    for (let j = 0; j < i; j++) expect(overlaps(c, cidrs[j])).toBe(false);
    for (const p of plan.nodes[i].pods) {
      expect(inside(c, parseIPv4(p.address))).toBe(true);
      expect(seen.has(p.address)).toBe(false);
      seen.add(p.address);
    }
    expect(seen.has(plan.nodes[i].address)).toBe(false);
    seen.add(plan.nodes[i].address);
  });
}

describe('topology generator properties', () => {
  // Why this test? The arithmetic has edges (octet carries, the skipped first
  // lease, block ordinals): random networks, lengths and counts near the
  // capacity must still give disjoint CIDRs and unique addresses, or an
  // AddressExhausted error, never a silent overlap.
  it('Flannel leases and Calico blocks are disjoint, pods inside their own, addresses unique', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 14, max: 22 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 0xffffff }),
        (netLen, extra, nodes, pods, low) => {
          // 100.0.0.0 - 163.255.255.255: apart from the default underlay 10.0.0.0/16
          const network = `${formatIPv4((((100 + (low & 63)) * 2 ** 24 + low) & maskV4(netLen)) >>> 0)}/${netLen}`;
          const subLen = Math.min(30, netLen + extra);
          try {
            checkPlan(planFlannel({ nodes, podsPerNode: pods, network, subnetLen: Math.max(subLen, netLen + 2) }), network);
            checkPlan(planCalico({ nodes, podsPerNode: pods, pool: network, blockSize: subLen }), network);
          } catch (e) {
            // only running out of addresses may stop it
            expect((e as { code?: string }).code).toBe('AddressExhausted');
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  // Why this test? The generator's routes, neighbours, FDB entries and
  // sysctls must agree with each other for every shape and size: a route to
  // the wrong VTEP or a block routed to the wrong node loses packets.
  it('every pod reaches every other pod of a generated cluster, through its node and the peer node', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Shape>('flannel-vxlan', 'flannel-host-gw', 'calico', 'calico-racks'),
        fc.integer({ min: 2, max: 4 }).chain((n) => fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n })),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('icmp' as const, 'udp' as const)), { minLength: 1, maxLength: 4 }),
        (shape, pods, pairs) => {
          const s = cluster(shape, pods);
          const all = s.nodes.flatMap((n) => n.pods.map((p) => ({ node: n.name, pod: p.name, ip: p.address.split('/')[0] })));
          const net = buildScenario(core, s);
          try {
            for (const [x, y, proto] of pairs) {
              const a = all[x % all.length];
              const b = all[y % all.length];
              const t = net.walk({ name: 'p', from: a.pod, to: b.ip, proto, dport: 9, expect: 'DELIVERED' });
              expect(t.disposition).toBe('DELIVERED');
              const path = t.hops.map((h) => h.node);
              expect(path.at(-1)).toBe(b.pod);
              if (a.node !== b.node) {
                const via = shape === 'calico-racks' && segmentOf(s, a.node) !== segmentOf(s, b.node);
                expect(path).toEqual(via ? [a.pod, a.node, 'r1', b.node, b.pod] : [a.pod, a.node, b.node, b.pod]);
              }
            }
          } finally {
            net.dispose();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
