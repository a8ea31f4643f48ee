import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { Codec } from '../src/codec/index.js';
import { buildScenario, Netlink, type NodeSpec, type PodSpec, type Scenario } from '../src/kernel/index.js';
import { parseRouteLine } from '../src/kernel/route.js';
import { parseAddr } from '../src/kernel/netns.js';

let core: Core;
let codec: Codec;
beforeAll(async () => {
  core = await createCore();
  codec = new Codec(core);
});

const calicoPod = (name: string, addr: string, veth: string): PodSpec => ({
  name,
  address: `${addr}/32`,
  mac: `02:aa:00:00:00:${addr.split('.')[3].padStart(2, '0')}`,
  hostVeth: veth,
  hostVethMac: 'ee:ee:ee:ee:ee:ee',
  routes: ['169.254.1.1 dev eth0 scope link', 'default via 169.254.1.1 dev eth0'],
});

/** node1 on 10.0.1.0/24, node2 on 10.0.2.0/24, router r1 between; `ipip` puts pod routes on tunl0. */
function twoSubnets(ipip: boolean): Scenario {
  const node = (i: number, other: number): NodeSpec => ({
    name: `node${i}`,
    interfaces: [{ kind: 'phys', name: 'eth0', segment: `s${i}`, address: `10.0.${i}.${i}/24`, mac: `02:00:00:00:0${i}:0${i}` }, ...(ipip ? [{ kind: 'ipip' as const, name: 'tunl0', address: `192.168.${i}.0/32` }] : [])],
    routes: [`default via 10.0.${i}.254 dev eth0`, `192.168.${i}.2 dev cali${i} scope link`, ipip ? `192.168.${other}.0/26 via 10.0.${other}.${other} dev tunl0 onlink` : `192.168.${other}.0/26 via 10.0.${i}.254 dev eth0`],
    sysctls: { [`net.ipv4.conf.cali${i}.proxy_arp`]: '1' },
    pods: [calicoPod(`pod${i}`, `192.168.${i}.2`, `cali${i}`)],
  });
  const router: NodeSpec = {
    name: 'r1',
    interfaces: [
      { kind: 'phys', name: 'eth0', segment: 's1', address: '10.0.1.254/24', mac: '02:00:00:00:fe:01' },
      { kind: 'phys', name: 'eth1', segment: 's2', address: '10.0.2.254/24', mac: '02:00:00:00:fe:02' },
    ],
    routes: ipip ? [] : ['192.168.1.0/26 via 10.0.1.1 dev eth0', '192.168.2.0/26 via 10.0.2.2 dev eth1'],
    pods: [],
  };
  return { name: 'two-subnets', description: 'two subnets behind a router', segments: [{ name: 's1' }, { name: 's2' }], nodes: [node(1, 2), node(2, 1), router], probes: [] };
}

describe('kernel model: two subnets behind a router', () => {
  it('routed: pod1 -> node1 -> r1 -> node2 -> pod2', () => {
    const net = buildScenario(core, twoSubnets(false));
    const t = net.walk({ name: 'x', from: 'pod1', to: '192.168.2.2', proto: 'udp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['pod1', 'node1', 'r1', 'node2', 'pod2']);
    expect(t.hops[2].steps.find((s) => s.kind === 'route')!.detail).toBe('192.168.2.0/26 via 10.0.2.2 dev eth1');
    expect(t.hops[4].steps[0].detail).toContain('ttl 61');
    // switch ports are capturable as the netns export names them (NODE.IF)
    expect(net.capture('s1', 'node1.eth0')).toEqual(net.capture('node1', 'eth0'));
    expect(net.capture('s2', 'r1.eth1').length).toBeGreaterThan(0);
    expect(() => net.capture('s1', 'nope')).toThrow(/node1.eth0/);
    net.dispose();
  });

  it('IPIP: the router sees only node addresses; tunl0 decapsulates', () => {
    const net = buildScenario(core, twoSubnets(true));
    const t = net.walk({ name: 'x', from: 'pod1', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['pod1', 'node1', 'r1', 'node2', 'pod2']);
    expect(t.hops[1].steps.find((s) => s.kind === 'encapsulate')!.data).toMatchObject({ mode: 'ipip', local: '10.0.1.1', remote: '10.0.2.2' });
    expect(t.hops[3].steps.find((s) => s.kind === 'decapsulate')!.data).toMatchObject({ mode: 'ipip', outerSrc: '10.0.1.1' });
    const d = codec.decode(net.capture('r1', 'eth1')[0], { mode: 'ipip' });
    expect(d.ok && d.frame.outer.protocol).toBe(4);
    expect(d.ok && d.frame.inner.flow).toMatchObject({ src: '192.168.1.2', dst: '192.168.2.2' });
    expect(net.pcap('node1', 'tunl0').length).toBeGreaterThan(24);
    expect(net.ipLink('node1')).toContain('tunl0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1480 state UNKNOWN');
    net.dispose();
  });

  it('routes that point at each other: LOOP by the hop limit, TTL_EXCEEDED first with a small TTL', () => {
    const s = twoSubnets(false);
    s.nodes[2].routes.push('172.16.0.0/16 via 10.0.1.1 dev eth0');
    s.nodes[0].routes.push('172.16.0.0/16 via 10.0.1.254 dev eth0');
    const net = buildScenario(core, s, { hopLimit: 20 });
    const loop = net.walk({ name: 'x', from: 'pod1', to: '172.16.1.1', proto: 'icmp', ttl: 255, expect: 'LOOP' });
    expect(loop.disposition).toBe('LOOP');
    expect(loop.hops.length).toBeLessThanOrEqual(22);
    const ttl = net.walk({ name: 'x', from: 'pod1', to: '172.16.1.1', proto: 'icmp', ttl: 8, expect: 'TTL_EXCEEDED' });
    expect(ttl.disposition).toBe('TTL_EXCEEDED');
    net.dispose();
  });

  it('a gateway without dev takes the device of its link route; conf.all.proxy_arp answers for every device', () => {
    const s = twoSubnets(false);
    s.nodes[0].routes = ['default via 10.0.1.254', '192.168.1.2 dev cali1 scope link', '192.168.2.0/26 via 10.0.1.254'];
    s.nodes[0].sysctls = { 'net.ipv4.conf.all.proxy_arp': '1', 'net.ipv4.conf.default.proxy_arp': '1', 'net.ipv4.conf.all.forwarding': '1' };
    const net = buildScenario(core, s);
    expect(net.ipRoute('node1')).toContain('192.168.2.0/26 via 10.0.1.254 dev eth0 \n');
    expect(net.walk({ name: 'x', from: 'pod1', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' }).disposition).toBe('DELIVERED');
    net.dispose();
  });

  it('ip_forward=0 on the router stops forwarding', () => {
    const s = twoSubnets(false);
    s.nodes[2].sysctls = { 'net.ipv4.ip_forward': '0' };
    const net = buildScenario(core, s);
    const t = net.walk({ name: 'x', from: 'pod1', to: '192.168.2.2', proto: 'icmp', expect: 'NO_ROUTE' });
    expect(t.disposition).toBe('NO_ROUTE');
    expect(t.hops[t.hops.length - 1].node).toBe('r1');
    net.dispose();
  });

  it('TUN (Flannel udp backend): the agent sends to port 8285, the peer writes into its TUN', () => {
    const s = twoSubnets(false);
    s.nodes[2].routes = [];
    const net = buildScenario(core, s);
    for (const [i, other] of [
      [1, 2],
      [2, 1],
    ]) {
      const nl = Netlink.of(net);
      const ns = `node${i}`;
      nl.linkAdd(ns, { kind: 'tun', name: 'flannel0', mtu: 1472 });
      nl.addrAdd(ns, 'flannel0', `192.168.${i}.0/32`);
      nl.routeReplace(ns, `192.168.${other}.0/26 dev flannel0`);
      nl.setTunAgent(ns, 'flannel0', () => ({ remote: `10.0.${other}.${other}` }));
    }
    const t = net.walk({ name: 'x', from: 'pod1', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['pod1', 'node1', 'r1', 'node2', 'pod2']);
    const d = codec.decode(net.capture('node1', 'eth0')[0], { mode: 'flannel-udp' });
    expect(d.ok && d.frame.udp!.dstPort).toBe(8285);
    Netlink.of(net).setTunAgent('node1', 'flannel0', undefined);
    expect(net.walk({ name: 'x', from: 'pod1', to: '192.168.2.2', proto: 'icmp', expect: 'QUEUED' }).disposition).toBe('QUEUED');
    net.dispose();
  });
});

describe('kernel model: input errors name what was wrong', () => {
  it('route lines', () => {
    expect(() => parseRouteLine('10.0.0.0/24 via 10.0.0.1 dev eth0 frobnicate')).toThrow(/frobnicate/);
    expect(() => parseRouteLine('10.0.0.0/24')).toThrow(/via or dev/);
    expect(() => parseRouteLine('10.0.0.0/24 dev')).toThrow(/a value after dev/);
    expect(() => parseRouteLine('10.0.0.0/24 dev eth0 scope site')).toThrow(/global, link or host/);
    expect(() => parseRouteLine('multicast 224.0.0.0/4 dev eth0')).toThrow(/unicast, local/);
    expect(() => parseRouteLine('fd00::/64 dev eth0')).toThrow(/IPv4/);
    expect(parseRouteLine('unreachable 10.9.0.0/16')).toMatchObject({ type: 'unreachable', table: 'main' });
    expect(parseRouteLine('10.1.0.0/16 via 10.0.0.1 dev eth0 src 10.0.0.5 metric 10 proto static')).toMatchObject({ metric: 10, proto: 'static' });
    expect(() => parseAddr('10.0.0.1/33')).toThrow(/0..32/);
    expect(() => parseAddr('nope')).toThrow(/IPv4 address/);
  });

  it('scenario data', () => {
    const bad = (f: (s: Scenario) => void) => {
      const s = twoSubnets(false);
      f(s);
      return () => buildScenario(core, s);
    };
    expect(bad((s) => ((s.nodes[0].interfaces[0] as { segment: string }).segment = 'nowhere'))).toThrow(/segment/);
    expect(bad((s) => s.nodes[0].routes.push('10.0.1.0/24 dev eth0'))).toThrow(/File exists/);
    expect(bad((s) => s.nodes[0].routes.push('10.7.0.1/8 dev eth0'))).toThrow(/node node1, routes/);
    expect(bad((s) => (s.nodes[0].neigh = ['10.0.1.9 lladdr 02:00:00:00:00:09']))).toThrow(/dev DEV/);
    expect(bad((s) => (s.nodes[0].neigh = ['10.0.1.9 lladdr 02:00:00:00:00:09 dev eth9']))).toThrow(/eth9/);
    expect(bad((s) => (s.nodes[0].fdb = ['02:00:00:00:00:09 dev eth0']))).toThrow(/vxlan device or a bridge port/);
    expect(bad((s) => (s.nodes[0].pods[0].bridge = 'eth0'))).toThrow(/bridge device/);
    expect(bad((s) => (s.nodes[1].pods[0].name = 'pod1'))).toThrow(/unique/);
    expect(bad((s) => (s.nodes[0].sysctls = { 'net.ipv4.conf.nope.proxy_arp': '1' }))).toThrow(/nope/);
    expect(bad((s) => s.nodes[0].routes.push('10.50.0.0/16 via 10.9.9.9 dev eth0'))).toThrow(/Nexthop has invalid gateway/);
    expect(bad((s) => s.nodes[0].routes.push('10.50.0.0/16 via 192.168.1.2 dev eth0'))).toThrow(/on eth0/);
    expect(bad((s) => s.nodes[0].routes.push('10.50.0.0/16 via 10.9.9.9 onlink'))).toThrow(/device for an onlink route/);
    const net = buildScenario(core, twoSubnets(false));
    expect(() => net.ns('ghost')).toThrow(/node or pod/);
    const nl = Netlink.of(net);
    expect(() => nl.setMissAgents('node1', 'eth0', { fdb: () => undefined })).toThrow(/vxlan/);
    expect(() => nl.linkAdd('node1', { kind: 'phys', name: 'eth0', segment: 's1', mac: '02:00:00:00:00:01' })).toThrow(/File exists/);
    expect(() => nl.linkAdd('node1', { kind: 'phys', name: 'a-very-long-interface-name', segment: 's1', mac: '02:00:00:00:00:01' })).toThrow(/IFNAMSIZ/);
    net.dispose();
  });
});
