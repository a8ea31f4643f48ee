// Generated clusters (src/topology) in the real kernel and in the model: the
// generator's Flannel vxlan, Flannel host-gw and Calico-behind-a-router
// shapes, with addresses, MACs and names of its own rules (none recorded
// before), built in network namespaces by the netns export; every probe must
// end as expected, and the model must give the same disposition, path and
// frames byte for byte (randomised fields masked). Runs in the kernel lane
// (root, CI=true or CNIKIT_NETNS=1); skipped with the reason otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createCore } from '../src/core/core.js';
import { buildScenario, type Probe, type Scenario } from '../src/kernel/index.js';
import { runScenario } from '../src/netns/run.js';
import { compareWithModel, outcomeFromTrace } from '../src/netns/compare.js';
import { calicoCluster, flannelCluster } from '../src/topology/index.js';
import { kernelLane, sayskip } from './support/netns.js';

const lane = kernelLane(['ip', 'bridge', 'tcpdump', 'ethtool', 'ping', 'python3', 'iptables-restore']);
if (!lane.ok) sayskip('generated topologies in the real kernel', lane.reason);

const prefix = `cnk-tp-${process.pid}-`;

/** Probes between pods: across nodes (ICMP and UDP) and on one node, all DELIVERED along `path`. */
function withProbes(s: Scenario, pairs: [string, string][]): Scenario {
  const where = new Map(s.nodes.flatMap((n) => n.pods.map((p) => [p.name, { node: n.name, ip: p.address.split('/')[0] }] as const)));
  const router = s.nodes.find((n) => n.pods.length === 0)?.name;
  const segment = (node: string) => {
    const i = s.nodes.find((n) => n.name === node)!.interfaces[0];
    return i.kind === 'phys' ? i.segment : '';
  };
  const probes: Probe[] = pairs.flatMap(([a, b], k) => {
    const x = where.get(a)!;
    const y = where.get(b)!;
    const path = x.node === y.node ? [a, x.node, b] : router && segment(x.node) !== segment(y.node) ? [a, x.node, router, y.node, b] : [a, x.node, y.node, b];
    return [
      { name: `icmp ${a}->${b}`, from: a, to: y.ip, proto: 'icmp' as const, expect: 'DELIVERED' as const, path },
      { name: `udp ${a}->${b}`, from: a, to: y.ip, proto: 'udp' as const, dport: 5000 + k, expect: 'DELIVERED' as const, path },
    ];
  });
  return { ...s, probes };
}

// Two pods on one Flannel node are left out: tcpdump puts cni0 in promiscuous
// mode, so the real bridge also passes every frame it forwards between two
// ports up to cni0 (br_handle_frame_finish with IFF_PROMISC), and the capture
// on cni0 shows them; the model's capture on a bridge holds only what the
// bridge's own stack receives (for ICMP: the kernel 4 frames, the model 1).
// Each case sends at most four probes: a neighbour entry learned from an ARP
// request is STALE, and 5 s (delay_first_probe_time) after its first use the
// kernel probes it by unicast ARP; the model's clock does not run between
// probes, so a longer real run would differ by those ARP frames.
const RACKS = [
  { segment: 'rack-a', cidr: '10.0.1.0/24' },
  { segment: 'rack-b', cidr: '10.0.2.0/24' },
];
const CASES: Scenario[] = [
  withProbes(flannelCluster({ nodes: 3, podsPerNode: 2 }, 'gen-flannel-vxlan'), [['pod-1-1', 'pod-3-2'], ['pod-3-2', 'pod-2-1']]),
  withProbes(flannelCluster({ nodes: 3, podsPerNode: 1, backend: 'host-gw' }, 'gen-flannel-host-gw'), [['pod-1-1', 'pod-2-1'], ['pod-3-1', 'pod-1-1']]),
  withProbes(calicoCluster({ nodes: 4, podsPerNode: 1, racks: RACKS }, 'gen-calico-racks'), [['pod-1-1', 'pod-4-1'], ['pod-1-1', 'pod-2-1']]),
  withProbes(calicoCluster({ nodes: 2, podsPerNode: 2 }, 'gen-calico'), [['pod-1-1', 'pod-1-2'], ['pod-2-2', 'pod-1-1']]),
];

describe.skipIf(!lane.ok)('generated topologies: real kernel and model agree', () => {
  afterAll(() => {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
    expect(left).toEqual([]);
  });

  for (const s of CASES) {
    it(`${s.name}: every probe is delivered along its path, and the model sends the kernel's frames`, async () => {
      const r = await runScenario(s, prefix);
      const net = buildScenario(await createCore(), s, { arpFrames: true });
      try {
        const model = s.probes.map((p, i) => {
          net.clearCaptures();
          return outcomeFromTrace(p.name, net.walk(p), (n, d) => net.capture(n, d), Object.keys(r.observations[i].frames));
        });
        const diff = compareWithModel(r.observations, model);
        const frames = r.observations.reduce((n, o) => n + Object.values(o.frames).reduce((m, f) => m + f.length, 0), 0);
        console.log(`TOPOLOGY ${s.name}: ${s.probes.length} probes, ${frames} kernel frames, ${diff.length} mismatches${diff.length ? '\n  ' + diff.map((d) => `${d.probe} ${d.kind} ${d.wire ?? ''} ${d.detail}`).join('\n  ') : ''}`);
        for (const [i, p] of s.probes.entries()) {
          expect(r.observations[i].disposition, p.name).toBe('DELIVERED');
          expect(r.observations[i].path, p.name).toEqual(p.path);
        }
        expect(diff).toEqual([]);
      } finally {
        net.dispose();
      }
    });
  }
});
