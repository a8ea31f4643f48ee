// flanneld's legacy vxlan modes (v0.5-v0.6, v0.4) from cluster files: misses answered from the leases.
import { describe, expect, it } from 'vitest';
import { verifyCluster } from '../src/cluster/index.js';
import { buildPingScenario, ping, pingFlavour } from '../src/ping/index.js';
import { flannelClusters } from './support/flannel-clusters.js';

const h = flannelClusters();
const { cluster } = h;

const two = (extra: string, backend = 'vxlan') => `nodes:
  - { name: a, subnet: 10.244.1.0/24, pods: 1 }
  - { name: b, subnet: 10.244.2.0/24, pods: 1 }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: ${backend} } }
${extra}`;


const missLines = (r: ReturnType<typeof ping>) => r.notifications.filter((n) => n.msg.type === 'miss').map((n) => `${n.ns}@${n.atMs} ${n.text.replace(/ dev .*/, '')}`);

describe('legacyMisses v0.5 (the seed flanneld)', () => {
  it('one Network dev flannel.1 route from <subnet>.0/16, nolearning, app_solicit 3, FDB self permanent per lease, no neighbours up front', () => {
    const r = cluster(two('  legacyMisses: true\n'));
    const mac = (n: string) => r.net.ns(n).iface('flannel.1').mac;
    expect(r.net.ipRoute('a')).toContain('10.244.0.0/16 dev flannel.1 proto kernel scope link src 10.244.1.0 \n');
    expect(r.net.ipRoute('a')).not.toContain('10.244.2.0/24');
    expect(r.net.ipLink('a')).toMatch(/vxlan id 1 .*nolearning/);
    expect(r.net.ipLink('a')).not.toMatch(/l2miss/);
    expect(r.net.ns('a').sysctls.get('net.ipv4.neigh.flannel/1.app_solicit')).toBe('3');
    expect(r.net.bridgeFdb('a')).toContain(`${mac('b')} dev flannel.1 dst 10.0.0.12 self permanent`);
    expect(r.net.ipNeigh('a')).not.toContain('flannel.1');
  });

  it('an L3 miss is answered from the leases with a REACHABLE neighbour for the pod address; nothing lost, as cnikit ping flannel-seed', () => {
    const r = cluster(two('  legacyMisses: true\n'));
    const p = ping(r.net, { from: 'a-pod-1', to: '10.244.2.2', count: 3, monitor: true });
    const seed = ping(buildPingScenario(h.core, pingFlavour('flannel-seed')), { from: 'pod1', to: '172.16.57.15', count: 3, monitor: true });
    expect(p.seqs.map((s) => s.outcome)).toEqual(seed.seqs.map((s) => s.outcome));
    expect(p.seqs.map((s) => s.outcome)).toEqual(['reply', 'reply', 'reply']);
    expect(missLines(p)).toEqual(['a@0 miss 10.244.2.2', 'b@2 miss 10.244.1.2']);
    expect(missLines(p).map((l) => l.replace(/^a|^b/, '').replace(/[\d.]+$/, ''))).toEqual(missLines(seed).map((l) => l.replace(/^master|^minion/, '').replace(/[\d.]+$/, '')));
    expect(r.net.ipNeigh('a')).toMatch(new RegExp(`10\\.244\\.2\\.2 dev flannel\\.1 lladdr ${r.net.ns('b').iface('flannel.1').mac} REACHABLE`));
    expect(r.run.show('a', 'flanneld-log')).toMatch(/L3 miss: AddL3 for 10\.244\.2\.2 succeeded/);
  });

  it('a stopped flanneld answers nothing: the miss goes unanswered and the packets fail with host unreachable', () => {
    const r = cluster(two('  legacyMisses: true\n'));
    r.run.nodeDown('a');
    const p = ping(r.net, { from: 'a-pod-1', to: '10.244.2.2', count: 1, monitor: true });
    expect(p.seqs.map((s) => s.outcome)).toEqual(['error']);
    expect(missLines(p).filter((l) => l.startsWith('a@'))).toEqual(['a@0 miss 10.244.2.2', 'a@1000 miss 10.244.2.2', 'a@2000 miss 10.244.2.2']);
  });

  it('a lease removed takes its FDB entry; start reconciles a stale FDB entry away', () => {
    const r = cluster(two('  legacyMisses: true\n'));
    const macB = r.net.ns('b').iface('flannel.1').mac;
    r.nl.fdbAdd('a', { mac: '0e:00:00:00:00:01', dev: 'flannel.1', dst: '10.0.0.99' });
    r.run.nodeDown('a');
    r.run.nodeUp('a');
    r.run.converge();
    expect(r.net.bridgeFdb('a')).not.toContain('0e:00:00:00:00:01');
    expect(r.net.bridgeFdb('a')).toContain(`${macB} dev flannel.1 dst 10.0.0.12 self permanent`);
  });
});

describe('legacyMisses v0.4', () => {
  it('learning proxy l2miss, no FDB entries up front; the first request dies at the L2 miss, then replies, as cnikit ping flannel-v04', () => {
    const r = cluster(two('  legacyMisses: true\n  legacyVersion: v0.4\n'));
    expect(r.net.ipLink('a')).toMatch(/vxlan id 1 .*proxy l2miss/);
    expect(r.net.bridgeFdb('a')).not.toMatch(/dst 10\.0\.0\.12/);
    const p = ping(r.net, { from: 'a-pod-1', to: '10.244.2.2', count: 3, monitor: true });
    const v04 = ping(buildPingScenario(h.core, pingFlavour('flannel-v04')), { from: 'pod1', to: '172.16.57.15', count: 3, monitor: true });
    expect(p.seqs.map((s) => s.outcome)).toEqual(v04.seqs.map((s) => s.outcome));
    expect(p.seqs.map((s) => s.outcome)).toEqual(['lost', 'reply', 'reply']);
    expect(r.run.show('a', 'flanneld-log')).toMatch(new RegExp(`L2 miss: AddL2 for ${r.net.ns('b').iface('flannel.1').mac} succeeded`));
    expect(r.net.bridgeFdb('a')).toMatch(/dst 10\.0\.0\.12 self/);
  });
});

describe('legacyMisses: leases going and entries ageing', () => {
  it('v0.5: a dead node\'s lease expires after the TTL; the others delete its FDB entry and stop answering for its subnet', () => {
    // Unpinned subnets: real leases with the 24 h TTL (a pinned subnet is a reservation that never expires).
    const r = cluster(two('  legacyMisses: true\n').replace(/ subnet: [^,]+,/g, ''));
    const macB = r.net.ns('b').iface('flannel.1').mac;
    const podB = r.run.podAddress('b-pod-1')!;
    expect(r.net.bridgeFdb('a')).toContain(macB);
    r.applyNow('node-down', 'b');
    r.advanceTo(25 * 3600_000);
    expect(r.net.bridgeFdb('a')).not.toContain(macB);
    const p = ping(r.net, { from: 'a-pod-1', to: podB, count: 1 });
    expect(p.seqs[0].outcome).toBe('error');
    expect(r.run.show('a', 'flanneld-log')).toContain(`L3 miss but route for ${podB} not found`);
  });

  it('v0.4: the answered FDB entry ages out and the next frame misses again (and dies)', () => {
    const r = cluster(two('  legacyMisses: true\n  legacyVersion: v0.4\n'));
    const first = ping(r.net, { from: 'a-pod-1', to: '10.244.2.2', count: 3 });
    expect(first.seqs.map((s) => s.outcome)).toEqual(['lost', 'reply', 'reply']);
    r.advanceTo(r.clock.now() + 600_000);
    expect(r.net.bridgeFdb('a')).not.toMatch(/dst 10\.0\.0\.12/);
    const again = ping(r.net, { from: 'a-pod-1', to: '10.244.2.2', count: 3 });
    expect(again.seqs[0].outcome).toBe('lost');
    expect((r.run.show('a', 'flanneld-log') ?? '').match(/L2 miss: AddL2/g)!.length).toBeGreaterThanOrEqual(2);
  });
});

describe('cluster check on legacy clusters', () => {
  const three = (v: string) => `nodes:
  - { name: a, pods: 2 }
  - { name: b, pods: 1 }
  - { name: c, pods: 1 }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: vxlan } }
  legacyMisses: true
  legacyVersion: ${v}
`;
  it('v0.5: every pod reaches every pod, each first packet through an answered L3 miss', () => {
    const r = cluster(three('v0.5'));
    const v = verifyCluster(r);
    expect(v.violations).toEqual([]);
    expect([v.pairs, v.delivered]).toEqual([12, 12]);
  });

  it('v0.4: each pair\'s first frame dies at the L2 miss (as Linux drops it); once answered, every pair is delivered', () => {
    const r = cluster(three('v0.4'));
    const cold = verifyCluster(r);
    expect(cold.delivered).toBeLessThan(cold.pairs);
    expect(cold.violations.every((x) => /NEIGH_FAILED at/.test(x))).toBe(true);
    r.advanceTo(r.clock.now() + 10);
    const warm = verifyCluster(r);
    expect(warm.violations).toEqual([]);
    expect(warm.delivered).toBe(warm.pairs);
  });
});

describe('legacyMisses refused where no flanneld had it', () => {
  it('names the field for host-gw', () => {
    expect(() => cluster(two('  legacyMisses: true\n', 'host-gw'))).toThrow(/legacyMisses.*vxlan.*host-gw/s);
  });
});
