import { describe, expect, it } from 'vitest';
import { exportNetns } from '../src/netns/export.js';
import { layout } from '../src/netns/layout.js';
import { SCENARIOS, findScenario, sameL2, vxlanOverlay, twoSubnets, dropRule } from '../src/scenarios/index.js';
import type { Scenario } from '../src/kernel/scenario.js';
import { cli } from './support/io.js';
import { spawnSync } from 'node:child_process';

const lines = (s: string) => s.split('\n');

describe('scenarios', () => {
  it('has the seven recorded scenarios, each with ICMP and UDP probes and expected paths', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(['same-l2', 'two-subnets', 'vxlan-overlay', 'blackhole', 'drop-rule', 'ttl-expiry', 'mtu-overflow']);
    for (const s of SCENARIOS) {
      expect(s.probes.some((p) => p.proto === 'icmp'), s.name).toBe(true);
      expect(s.probes.some((p) => p.proto === 'udp'), s.name).toBe(true);
      for (const p of s.probes) expect(p.path?.[0], `${s.name} ${p.name}`).toBe(p.from);
    }
    const dispositions = new Set(SCENARIOS.flatMap((s) => s.probes.map((p) => p.expect)));
    expect([...dispositions].sort()).toEqual(['DELIVERED', 'DENIED', 'MTU_EXCEEDED', 'NULL_ROUTED', 'TTL_EXCEEDED']);
    expect(findScenario('nope')).toBeUndefined();
  });

  it('programs Calico nodes as Calico does: /32 pods via 169.254.1.1, ee:ee MAC, proxy_arp, /32 scope link, blackhole block', () => {
    const n1 = sameL2.nodes[0];
    const a = n1.pods[0];
    expect(a.address).toBe('192.168.1.2/32');
    expect(a.routes).toEqual(['169.254.1.1 dev eth0 scope link', 'default via 169.254.1.1 dev eth0']);
    expect(a.hostVethMac).toBe('ee:ee:ee:ee:ee:ee');
    expect(a.hostVeth).toMatch(/^cali[0-9a-f]{11}$/);
    expect(n1.sysctls![`net.ipv4.conf.${a.hostVeth}.proxy_arp`]).toBe('1');
    expect(n1.routes).toContain(`192.168.1.2 dev ${a.hostVeth} scope link`);
    expect(n1.routes).toContain('blackhole 192.168.1.0/26 proto bird');
    expect(n1.routes).toContain('192.168.2.0/26 via 10.0.0.12 dev eth0 proto bird');
    expect(twoSubnets.nodes[0].routes).toContain('192.168.2.0/26 via 10.0.1.1 dev eth0 proto bird');
  });

  it('programs Flannel nodes as flanneld does: onlink route, permanent neigh and FDB per remote lease', () => {
    const n1 = vxlanOverlay.nodes[0];
    expect(n1.routes).toEqual(['10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink']);
    expect(n1.neigh).toEqual(['10.244.2.0 lladdr 0e:6c:0a:f4:02:02 dev flannel.1 nud permanent']);
    expect(n1.fdb).toEqual(['0e:6c:0a:f4:02:02 dev flannel.1 dst 10.0.0.12 self permanent']);
    expect(n1.interfaces.find((i) => i.kind === 'vxlan')).toMatchObject({ vni: 1, dstport: 8472, learning: false, address: '10.244.1.0/32', mtu: 1450 });
  });
});

describe('exportNetns', () => {
  it('renders namespaces, veths moved with ip link set netns, switch ports, addresses and tables', () => {
    const s = exportNetns(sameL2, { prefix: 'cnk-t-' });
    const L = lines(s);
    expect(L[0]).toBe('#!/usr/bin/env bash');
    expect(L).toContain('set -euo pipefail');
    expect(L).toContain('ip netns add cnk-t-seg-lan');
    expect(L).toContain('ip netns add cnk-t-node1-a');
    expect(L).toContain('ip -n cnk-t-seg-lan link add br0 type bridge mcast_snooping 0');
    expect(L).toContain('ip -n cnk-t-node1 link add eth0 type veth peer name node1.eth0');
    expect(L).toContain('ip -n cnk-t-node1 link set node1.eth0 netns cnk-t-seg-lan');
    expect(L).toContain('ip -n cnk-t-seg-lan link set node1.eth0 mtu 1500 master br0 up');
    expect(L).toContain('ip -n cnk-t-node1-a link add eth0 type veth peer name cali1a2b3c4d5e6');
    expect(L).toContain('ip -n cnk-t-node1-a link set cali1a2b3c4d5e6 netns cnk-t-node1');
    expect(L).toContain('ip -n cnk-t-node1 link set cali1a2b3c4d5e6 address ee:ee:ee:ee:ee:ee up');
    expect(L).toContain('ip -n cnk-t-node1-a addr add 192.168.1.2/32 dev eth0');
    expect(L).toContain('ip -n cnk-t-node1-a route add default via 169.254.1.1 dev eth0');
    expect(L).toContain('ip netns exec cnk-t-node1 sysctl -qw net.ipv4.conf.cali1a2b3c4d5e6.proxy_arp=1');
    expect(L).toContain('ip -n cnk-t-node1 route add blackhole 192.168.1.0/26 proto bird');
    expect(L).toContain('ip -n cnk-t-node1 neigh add 192.168.1.2 lladdr 02:42:c0:a8:01:02 dev cali1a2b3c4d5e6 nud permanent');
    expect(L).toContain('ip netns exec cnk-t-node1-a ethtool -K eth0 tx off >/dev/null');
    expect(L.filter((l) => l.includes('disable_ipv6=1')).length).toBe(2 * 5);
    expect(s).toMatch(/teardown\(\) \{\n  for ns in cnk-t-seg-lan cnk-t-node1 cnk-t-node1-a cnk-t-node2 cnk-t-node2-b; do ip netns del/);
  });

  it('every scenario renders a script bash parses (bash -n)', () => {
    for (const s of SCENARIOS) {
      const r = spawnSync('bash', ['-n'], { input: exportNetns(s), encoding: 'utf8' });
      expect([s.name, r.status, r.stderr]).toEqual([s.name, 0, '']);
    }
  });

  it('renders vxlan devices after their underlay, bridges, FDB entries and iptables-restore', () => {
    const L = lines(exportNetns(vxlanOverlay, { prefix: 'x-' }));
    const vx = L.indexOf('ip -n x-node1 link add flannel.1 type vxlan id 1 local 10.0.0.11 dev eth0 dstport 8472 nolearning');
    expect(vx).toBeGreaterThan(L.indexOf('ip -n x-node1 link add eth0 type veth peer name node1.eth0'));
    expect(L).toContain('ip -n x-node1 link add cni0 type bridge');
    expect(L).toContain('ip -n x-node1 link set veth1a2b3c4d address 0a:58:0a:f4:01:f2 mtu 1450 master cni0 up');
    expect(L).toContain('bridge -n x-node1 fdb add 0e:6c:0a:f4:02:02 dev flannel.1 dst 10.0.0.12 self permanent');
    expect(L).toContain('ip -n x-node1 route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    const d = exportNetns(dropRule);
    expect(d).toContain("ip netns exec cnk-node2 iptables-restore <<'EOF'\n*filter\n");
    expect(d).toContain('-A FORWARD -s 192.168.1.2/32 -d 192.168.2.2/32 -p udp -m udp --dport 5000 -j DROP\nCOMMIT\nEOF');
  });

  it('renders ipip devices and falls back to short switch port names', () => {
    const s: Scenario = {
      name: 't', description: 'd', segments: [{ name: 's', mtu: 9000 }], probes: [],
      nodes: [{ name: 'averylongnodename', interfaces: [{ kind: 'phys', name: 'eth0', segment: 's', address: '10.0.0.1/24', mac: '02:00:00:00:00:01' }, { kind: 'ipip', name: 'tunl0', local: '10.0.0.1', address: '192.168.0.1/32', mtu: 1480 }], routes: [], pods: [] }],
    };
    const L = lines(exportNetns(s));
    expect(L).toContain('ip -n cnk-averylongnodename link add eth0 type veth peer name p0');
    expect(L).toContain('ip -n cnk-seg-s link set p0 mtu 9000 master br0 up');
    expect(L).toContain('ip -n cnk-averylongnodename link add tunl0 type ipip local 10.0.0.1');
    expect(L).toContain('ip -n cnk-averylongnodename link set tunl0 mtu 1480');
    expect(layout(s).wires.map((w) => w.key)).toEqual(['averylongnodename/eth0', 's/p0', 'averylongnodename/tunl0']);
  });

  it('rejects names, lines and values that a shell or ip would misread', () => {
    const base = (): Scenario => structuredClone(sameL2);
    const bad: [string, (s: Scenario) => void][] = [
      ['BadTableLine', (s) => s.nodes[0].routes.push('1.2.3.0/24 via 1.2.3.4; rm -rf /')],
      ['BadIfname', (s) => { s.nodes[0].pods[0].hostVeth = 'cali0123456789abcdef'; }],
      ['BadName', (s) => { s.nodes[0].name = 'node 1'; }],
      ['UnknownSegment', (s) => { (s.nodes[0].interfaces[0] as { segment: string }).segment = 'nope'; }],
      ['DuplicateName', (s) => { s.nodes[1].pods[0].name = 'a'; }],
      ['BadAddress', (s) => { s.nodes[0].pods[0].address = '192.168.1.2/33'; }],
      ['BadMtu', (s) => { s.nodes[0].pods[0].mtu = 10; }],
      ['BadIptables', (s) => { s.nodes[0].iptables = '*filter\nEOF\nCOMMIT\n'; }],
    ];
    for (const [code, f] of bad) {
      const s = base();
      f(s);
      expect(() => exportNetns(s), code).toThrow(expect.objectContaining({ code }));
    }
    const v = structuredClone(vxlanOverlay);
    (v.nodes[0].interfaces[2] as { vni: number }).vni = 1 << 24;
    expect(() => exportNetns(v)).toThrow(expect.objectContaining({ code: 'BadVni' }));
    (v.nodes[0].interfaces[2] as { vni: number; dstport: number }).vni = 1;
    (v.nodes[0].interfaces[2] as { dstport: number }).dstport = 0;
    expect(() => exportNetns(v)).toThrow(expect.objectContaining({ code: 'BadPort' }));
  });
});

describe('cnikit netns', () => {
  it('list prints every scenario name', async () => {
    const r = await cli(['netns', 'list']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(SCENARIOS.map((s) => s.name));
  });

  it('export prints the script, with --prefix', async () => {
    const r = await cli(['netns', 'export', 'two-subnets', '--prefix', 'cnk-kr-cli-']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(exportNetns(twoSubnets, { prefix: 'cnk-kr-cli-' }));
    expect(r.stdout).toContain('ip netns add cnk-kr-cli-r1');
  });

  it('export of an unknown scenario exits 2 naming the choices', async () => {
    const r = await cli(['netns', 'export', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('same-l2');
  });
});
