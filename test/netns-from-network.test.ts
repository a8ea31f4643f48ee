// A network built by cnikit's flanneld read back as a scenario (scenarioFromNetwork)
// and `cnikit netns export --cluster`: the tables the export writes, a round trip
// through buildScenario giving the same tables, and what cannot be exported.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildScenario } from '../src/kernel/index.js';
import { exportNetns } from '../src/netns/export.js';
import { scenarioFromNetwork } from '../src/netns/from-network.js';
import { ping } from '../src/ping/index.js';
import { cli } from './support/io.js';
import { flannelClusters } from './support/flannel-clusters.js';

const h = flannelClusters();
const { cluster } = h;
const dir = mkdtempSync(join(tmpdir(), 'cnikit-fromnet-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const three = (backend: string, extra = '') => `name: t
nodes:
  - { name: a, subnet: 10.244.1.0/24, pods: 2 }
  - { name: b, subnet: 10.244.2.0/24, pods: 1 }
  - { name: c, subnet: 10.244.3.0/24, pods: 0 }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: ${backend} } }
${extra}`;


describe('scenarioFromNetwork', () => {
  it('vxlan: nodes with eth0, cni0 and flannel.1, pods on cni0; routes without the kernel\'s, permanent neighbours and FDB entries, iptables', () => {
    const r = cluster(three('vxlan'));
    const s = scenarioFromNetwork(r.net, 't');
    expect(s.segments).toEqual([{ name: r.cluster.underlay.racks[0].name, mtu: 1500 }]);
    expect(s.nodes.map((n) => [n.name, n.pods.map((p) => p.name)])).toEqual([['a', ['a-pod-1', 'a-pod-2']], ['b', ['b-pod-1']], ['c', []]]);
    const a = s.nodes[0];
    const mac = (n: string) => r.net.ns(n).iface('flannel.1').mac;
    expect(a.interfaces.map((i) => `${i.kind} ${i.name}`)).toEqual(['phys eth0', 'vxlan flannel.1', 'bridge cni0']);
    expect(a.interfaces[1]).toMatchObject({ vni: 1, local: '10.0.0.11', dev: 'eth0', dstport: 8472, learning: false, mtu: 1450, address: '10.244.1.0/32', mac: mac('a') });
    expect(a.routes).toEqual(['10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink', '10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink']);
    expect(a.neigh).toEqual([`10.244.2.0 lladdr ${mac('b')} dev flannel.1 nud permanent`, `10.244.3.0 lladdr ${mac('c')} dev flannel.1 nud permanent`]);
    expect(a.fdb).toEqual(expect.arrayContaining([`${mac('b')} dev flannel.1 dst 10.0.0.12 self permanent`, `${mac('c')} dev flannel.1 dst 10.0.0.13 self permanent`]));
    expect(a.fdb).toHaveLength(2);
    expect(a.sysctls).toMatchObject({ 'net.ipv4.ip_forward': '1' });
    expect(a.iptables).toContain('-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully');
    expect(a.pods[0]).toMatchObject({ address: '10.244.1.2/24', bridge: 'cni0', mtu: 1450, routes: ['default via 10.244.1.1 dev eth0', '10.244.0.0/16 via 10.244.1.1 dev eth0'] });
    const script = exportNetns(s, { prefix: 'cnk-x-' });
    expect(script).toContain('ip -n cnk-x-a link add flannel.1 type vxlan id 1 local 10.0.0.11 dev eth0 dstport 8472 nolearning\n');
    expect(script).toContain(`bridge -n cnk-x-a fdb add ${mac('b')} dev flannel.1 dst 10.0.0.12 self permanent\n`);
    expect(script).toContain('ip -n cnk-x-a-a-pod-1 route add 10.244.0.0/16 via 10.244.1.1 dev eth0\n');
  });

  it('round trip: the scenario built again has the same tables in every namespace (vxlan with two racks, host-gw, ipip)', () => {
    for (const text of [three('vxlan').replace('name: t\n', 'name: t\nunderlay:\n  racks: [ { name: r1, cidr: 10.0.1.0/24 }, { name: r2, cidr: 10.0.2.0/24 } ]\n').replace('pods: 0 }', 'pods: 0, rack: r2 }').replace(/pods: (\d) }/g, 'pods: $1, rack: r1 }'), three('host-gw'), three('ipip')]) {
      const r = cluster(text);
      const again = buildScenario(h.core, scenarioFromNetwork(r.net, 't'));
      try {
        expect([...again.namespaces.keys()].sort()).toEqual([...r.net.namespaces.keys()].sort());
        for (const ns of r.net.namespaces.keys()) {
          for (const show of ['ipRoute', 'ipNeigh', 'bridgeFdb', 'ipLink', 'iptablesSave'] as const) expect(again[show](ns), `${ns} ${show}`).toBe(r.net[show](ns));
        }
      } finally {
        again.dispose();
      }
    }
  });

  it('refuses a TUN device (flanneld\'s udp backend encapsulates in user space), naming the device', () => {
    expect(() => scenarioFromNetwork(cluster(three('udp')).net, 't')).toThrow(/"a flannel0": .*TUN device needs its user-space program/);
  });

  it('carries vxlan proxy, l2miss and l3miss (no longer refused); without a responder given, the node gets none', () => {
    const r = cluster(three('vxlan'));
    r.nl.linkSet('b', 'flannel.1', { l3miss: true, l2miss: true, proxy: true });
    const s = scenarioFromNetwork(r.net, 't');
    const b = s.nodes.find((n) => n.name === 'b')!;
    expect(b.interfaces.find((i) => i.name === 'flannel.1')).toMatchObject({ proxy: true, l2miss: true, l3miss: true, learning: false });
    expect(s.nodes.find((n) => n.name === 'a')!.interfaces.find((i) => i.name === 'flannel.1')).not.toHaveProperty('l3miss');
    expect(b.missResponder).toBeUndefined();
    expect(exportNetns(s, { prefix: 'cnk-x-' })).toContain('ip -n cnk-x-b link add flannel.1 type vxlan id 1 local 10.0.0.12 dev eth0 dstport 8472 nolearning proxy l2miss l3miss\n');
  });

  it('legacy v0.5: app_solicit 3, FDB self permanent, the one /16 route, and per node a responder answering L3 misses from its flanneld\'s leases', () => {
    const r = cluster(three('vxlan', '  legacyMisses: true\n'));
    const mac = (n: string) => r.net.ns(n).iface('flannel.1').mac;
    const resp = r.run.missResponders!();
    expect([...resp.keys()]).toEqual(['a', 'b', 'c']);
    expect(resp.get('a')).toEqual({ dev: 'flannel.1', l2: false, latencyMs: 2, leases: [{ subnet: '10.244.2.0/24', vtepMac: mac('b'), publicIp: '10.0.0.12' }, { subnet: '10.244.3.0/24', vtepMac: mac('c'), publicIp: '10.0.0.13' }] });
    const s = scenarioFromNetwork(r.net, 't', '', { missResponders: resp });
    const a = s.nodes[0];
    expect(a.sysctls).toMatchObject({ 'net.ipv4.neigh.flannel/1.app_solicit': '3' });
    expect(a.routes).toEqual([]);
    expect(a.interfaces[1]).toMatchObject({ kind: 'vxlan', learning: false, address: '10.244.1.0/16' });
    expect(a.fdb).toEqual(expect.arrayContaining([`${mac('b')} dev flannel.1 dst 10.0.0.12 self permanent`]));
    expect(a.missResponder).toEqual(resp.get('a'));
    const script = exportNetns(s, { prefix: 'cnk-x-' });
    expect(script).toContain('ip netns exec cnk-x-a sysctl -qw net.ipv4.neigh.flannel/1.app_solicit=3\n');
    expect(script).toContain(`ip netns exec cnk-x-a python3 -c "$MISS_RESPONDER" flannel.1 0 10.244.2.0/24 ${mac('b')} 10.0.0.12 10.244.3.0/24 ${mac('c')} 10.0.0.13 </dev/null >/run/cnikit/cnk-x-a.miss.log 2>&1 & echo $! >/run/cnikit/cnk-x-a.miss.pid\n`);
    // down kills each responder's process group before deleting the namespaces.
    expect(script).toContain('if [ -e /run/cnikit/cnk-x-c.miss.pid ]; then kill -- -"$(cat /run/cnikit/cnk-x-c.miss.pid)" 2>/dev/null || true;');
    expect(script.indexOf('kill -- -')).toBeLessThan(script.indexOf('ip netns del'));
  });

  it('legacy v0.4: learning proxy l2miss, no FDB entries, a responder answering L2 misses too; a stopped flanneld has no responder', () => {
    const r = cluster(three('vxlan', '  legacyMisses: true\n  legacyVersion: v0.4\n'));
    r.run.nodeDown('c');
    const resp = r.run.missResponders!();
    expect([...resp.keys()]).toEqual(['a', 'b']);
    expect(resp.get('b')!.l2).toBe(true);
    const s = scenarioFromNetwork(r.net, 't', '', { missResponders: resp });
    expect(s.nodes[1].interfaces[1]).toMatchObject({ learning: true, proxy: true, l2miss: true });
    expect(s.nodes[1].fdb).toBeUndefined();
    expect(s.nodes[2].missResponder).toBeUndefined();
    expect(exportNetns(s, { prefix: 'cnk-x-' })).toMatch(/ip netns exec cnk-x-b python3 -c "\$MISS_RESPONDER" flannel\.1 1 10\.244\.1\.0\/24 /);
  });

  it('round trip of a legacy cluster: the same tables, and the rebuilt network answers the misses as flanneld did', () => {
    for (const v of ['v0.5', 'v0.4']) {
      const r = cluster(three('vxlan', `  legacyMisses: true\n  legacyVersion: ${v}\n`));
      const again = buildScenario(h.core, scenarioFromNetwork(r.net, 't', '', { missResponders: r.run.missResponders!() }));
      try {
        for (const ns of r.net.namespaces.keys()) {
          for (const show of ['ipRoute', 'ipNeigh', 'bridgeFdb', 'ipLink', 'iptablesSave'] as const) expect(again[show](ns), `${v} ${ns} ${show}`).toBe(r.net[show](ns));
        }
        const outcomes = (net: typeof r.net) => ping(net, { from: 'a-pod-1', to: '10.244.2.2', count: 3 }).seqs.map((x) => x.outcome);
        const rebuilt = outcomes(again);
        expect(rebuilt, v).toEqual(outcomes(r.net));
        expect(rebuilt, v).toEqual(v === 'v0.4' ? ['lost', 'reply', 'reply'] : ['reply', 'reply', 'reply']);
        expect(again.ipNeigh('a'), v).toMatch(new RegExp(`10\\.244\\.2\\.2 dev flannel\\.1 lladdr ${r.net.ns('b').iface('flannel.1').mac} REACHABLE`));
      } finally {
        again.dispose();
      }
    }
  });

  it('refuses a responder for a device or node the network does not have, and a bad lease, naming it', () => {
    const r = cluster(three('vxlan', '  legacyMisses: true\n'));
    const ok = r.run.missResponders!().get('a')!;
    expect(() => scenarioFromNetwork(r.net, 't', '', { missResponders: new Map([['a', { ...ok, dev: 'flannel.9' }]]) })).toThrow(/"a missResponder": .*vxlan devices \(flannel\.1\), got flannel\.9/);
    expect(() => scenarioFromNetwork(r.net, 't', '', { missResponders: new Map([['zz', ok]]) })).toThrow(/"zz missResponder": .*one of the network's nodes/);
    const bad = scenarioFromNetwork(r.net, 't', '', { missResponders: new Map([['a', { ...ok, leases: [{ ...ok.leases[0], vtepMac: 'nope; rm -rf /' }] }]]) });
    expect(() => exportNetns(bad)).toThrow(/InvalidMac/);
  });
});

describe('cnikit netns export --cluster', () => {
  const file = join(dir, 'c.yaml');
  writeFileSync(file, three('vxlan'));

  it('prints the script of the cluster as flanneld programmed it', async () => {
    const r = await cli(['netns', 'export', '--cluster', file, '--design', 'flannel', '--prefix', 'cnk-q-']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const run = cluster(three('vxlan'));
    expect(r.stdout).toBe(exportNetns(scenarioFromNetwork(run.net, 't', `${file} as flannel programmed it`), { prefix: 'cnk-q-' }));
    expect(r.stdout).toContain('ip -n cnk-q-b route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink');
  });

  it('a legacyMisses cluster: the script carries the legacy devices and starts a responder per node with its flanneld\'s leases', async () => {
    const f = join(dir, 'legacy.yaml');
    writeFileSync(f, three('vxlan', '  legacyMisses: true\n  legacyVersion: v0.4\n'));
    const r = await cli(['netns', 'export', '--cluster', f, '--design', 'flannel', '--prefix', 'cnk-q-']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const run = cluster(three('vxlan', '  legacyMisses: true\n  legacyVersion: v0.4\n'));
    expect(r.stdout).toBe(exportNetns(scenarioFromNetwork(run.net, 't', `${f} as flannel programmed it`, { missResponders: run.run.missResponders!() }), { prefix: 'cnk-q-' }));
    expect(r.stdout).toContain('dstport 8472 learning proxy l2miss\n');
    expect(r.stdout.match(/^ip netns exec cnk-q-[abc] python3 -c "\$MISS_RESPONDER" flannel\.1 1 /gm)).toHaveLength(3);
  });

  it('--at applies the events: a node down for longer than its lease\'s TTL is no longer routed to', async () => {
    const f = join(dir, 'ev.yaml');
    // Without pinned subnets (a pinned subnet is a reservation that never expires).
    writeFileSync(f, three('vxlan').replace(/, subnet: [0-9./]+/g, '') + 'events:\n  - { at: 1m, node-down: c }\n');
    const routes = (out: string) => out.split('\n').filter((l) => /^ip -n cnk-a route add .* dev flannel\.1 onlink$/.test(l)).length;
    const before = await cli(['netns', 'export', '--cluster', f, '--design', 'flannel']);
    const after = await cli(['netns', 'export', '--cluster', f, '--design', 'flannel', '--at', '25h']);
    expect([before.status, after.status]).toEqual([0, 0]);
    expect([routes(before.stdout), routes(after.stdout)]).toEqual([2, 1]);
  });

  it('bad combinations exit 2 saying what was expected', async () => {
    const both = await cli(['netns', 'export', 'same-l2', '--cluster', file, '--design', 'flannel']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('either SCENARIO or --cluster FILE');
    const noDesign = await cli(['netns', 'export', '--cluster', file]);
    expect(noDesign.status).toBe(2);
    expect(noDesign.stderr).toContain('--design flannel');
    const none = await cli(['netns', 'export']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('or --cluster FILE');
    const missing = await cli(['netns', 'export', '--cluster', join(dir, 'no-such.yaml'), '--design', 'flannel']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/UnreadableFile: ".*no-such\.yaml": --cluster: a readable file/);
    const atAlone = await cli(['netns', 'export', 'same-l2', '--at', '1m']);
    expect(atAlone.status).toBe(2);
    expect(atAlone.stderr).toContain('only with --cluster');
  });
});

describe('iptables-restore of iptables-save -c text', () => {
  it('reads a [pkts:bytes] prefix and, without -c, ignores it as xtables-restore does', () => {
    const r = cluster(three('vxlan'));
    const saved = r.net.iptablesSave('a');
    expect(saved).toMatch(/^\[0:0\] -A FLANNEL-FWD /m);
    const again = buildScenario(h.core, { ...scenarioFromNetwork(r.net, 't'), nodes: scenarioFromNetwork(r.net, 't').nodes.map((n) => ({ ...n, iptables: n.iptables?.replace(/^\[0:0\] /gm, '[7:420] ') })) });
    try {
      expect(again.iptablesSave('a')).toBe(saved);
    } finally {
      again.dispose();
    }
  });
});
