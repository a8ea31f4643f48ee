import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, Netlink } from '../src/kernel/index.js';
import { buildIpPacket, readIp, decTtl, ethFrame, fragment, reassemble, isFragment } from '../src/kernel/packet.js';
import { internetChecksum } from '../src/codec/index.js';
import { calicoPair, flannel, vtepMac } from './support/kernel-scenarios.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

const INPUT_DROP = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -j DROP\n-A OUTPUT -p udp --dport 7 -j REJECT\nCOMMIT\n';

describe('kernel model: edges of the walk', () => {
  it('INPUT and OUTPUT rules of a node', () => {
    const s = calicoPair();
    s.nodes[0].iptables = INPUT_DROP;
    const net = buildScenario(core, s);
    const t = net.walk({ name: 'x', from: 'a', to: '10.0.0.1', proto: 'icmp', expect: 'DENIED' });
    expect(t.disposition).toBe('DENIED');
    expect(t.hops[1].steps.at(-1)).toMatchObject({ kind: 'netfilter', action: 'DROP', data: { hook: 'INPUT' } });
    const o = net.walk({ name: 'x', from: 'node1', to: '10.0.0.2', proto: 'udp', dport: 7, expect: 'DENIED' });
    expect(o.disposition).toBe('DENIED');
    expect(o.hops[0].steps.at(-1)).toMatchObject({ kind: 'netfilter', action: 'REJECT', data: { hook: 'OUTPUT' } });
    // a node reaches its own address through lo
    const lo = net.walk({ name: 'x', from: 'node1', to: '10.0.0.1', proto: 'udp', dport: 9, expect: 'DELIVERED' });
    expect(lo.disposition).toBe('DELIVERED');
    expect(lo.hops[0].steps.at(-1)!.detail).toContain('in lo');
    net.dispose();
  });

  it('unreachable route: NULL_ROUTED with ICMP host unreachable recorded', () => {
    const s = calicoPair();
    s.nodes[0].routes.push('unreachable 10.66.0.0/16');
    const net = buildScenario(core, s);
    const t = net.walk({ name: 'x', from: 'a', to: '10.66.1.1', proto: 'icmp', expect: 'NULL_ROUTED' });
    expect(t.disposition).toBe('NULL_ROUTED');
    expect(t.hops[1].steps.at(-1)!.data).toMatchObject({ type: 'unreachable', icmp: 'host unreachable' });
    net.dispose();
  });

  it('a device down answers no ARP; a wrong static neighbour finds no station', () => {
    const net = buildScenario(core, calicoPair());
    const nl = Netlink.of(net);
    nl.linkSet('node2', 'eth0', { up: false });
    expect(net.walk({ name: 'x', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'NEIGH_FAILED' }).disposition).toBe('NEIGH_FAILED');
    nl.linkSet('node2', 'eth0', { up: true });
    nl.neighReplace('node1', '10.0.0.2 lladdr 02:de:ad:00:00:01 dev eth0');
    const t = net.walk({ name: 'x', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(t.disposition).toBe('NEIGH_FAILED');
    expect(t.hops[1].steps.at(-1)!.detail).toContain('no station 02:de:ad:00:00:01');
    // a station that gets a frame for another MAC drops it (PACKET_OTHERHOST)
    nl.neighReplace('a', '169.254.1.1 lladdr 02:de:ad:00:00:02 dev eth0');
    const o = net.walk({ name: 'x', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(o.hops.at(-1)!.steps.at(-1)!.detail).toContain('PACKET_OTHERHOST');
    net.dispose();
  });

  it('VXLAN with learning: the receiver learns the sender VTEP; a VNI mismatch is dropped', () => {
    const s = flannel();
    for (const n of s.nodes) for (const i of n.interfaces) if (i.kind === 'vxlan') i.learning = true;
    const net = buildScenario(core, s);
    Netlink.of(net).fdbDel('node2', `${vtepMac(1)} dev flannel.1`);
    expect(net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED' }).disposition).toBe('DELIVERED');
    expect(net.bridgeFdb('node2')).toContain(`${vtepMac(1)} dev flannel.1 dst 10.0.0.1 self \n`);
    const m = flannel();
    (m.nodes[1].interfaces[2] as { vni: number }).vni = 2;
    const net2 = buildScenario(core, m);
    const t = net2.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DENIED' });
    expect(t.hops.at(-1)!.steps.at(-1)).toMatchObject({ kind: 'decapsulate', action: 'DROP' });
    expect(t.hops.at(-1)!.steps.at(-1)!.detail).toContain('vni 1 is not 2');
    // an FDB miss without an agent drops at the VTEP
    Netlink.of(net2).fdbDel('node1', `${vtepMac(2)} dev flannel.1`);
    const miss = net2.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(miss.hops[1].steps.at(-1)).toMatchObject({ kind: 'fdb', action: 'DROP' });
    net.dispose();
    net2.dispose();
  });

  it('flooding a bridge: an unknown destination MAC is seen on every other port', () => {
    const net = buildScenario(core, flannel());
    const br = net.ns('node1').iface('cni0');
    // a static neighbour entry in p1 for q1, so no ARP teaches the bridge
    const nl = Netlink.of(net);
    nl.neighReplace('p1', '10.244.1.3 lladdr 0a:58:0a:f4:01:03 dev eth0');
    nl.routeAdd('p1', '10.244.1.3 dev eth0 scope link');
    const t = net.walk({ name: 'x', from: 'p1', to: '10.244.1.3', proto: 'udp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops[1].steps[0]).toMatchObject({ kind: 'fdb', action: 'FLOOD' });
    expect(br.bridgeFdb!.show()).toContain('0a:58:0a:f4:01:02 dev veth1a master cni0 \n');
    // to a MAC nobody has: flooded and lost
    nl.neighReplace('p1', '10.244.1.3 lladdr 0a:58:0a:f4:01:77 dev eth0');
    expect(net.walk({ name: 'x', from: 'p1', to: '10.244.1.3', proto: 'udp', expect: 'NEIGH_FAILED' }).disposition).toBe('NEIGH_FAILED');
    net.dispose();
  });

  it('fragments reassemble in any order to the original packet', () => {
    const ip = buildIpPacket({ proto: 'udp', src: 0x0a000001, dst: 0x0a000002, size: 1200, id: 77 });
    const frags = fragment(ip, 500);
    expect(frags.map((f) => f.length)).toEqual([500, 500, 268]);
    expect(frags.every(isFragment)).toBe(true);
    expect(isFragment(ip)).toBe(false);
    for (const f of frags) expect(internetChecksum(f, 0, 20)).toBe(0);
    const q: Uint8Array[] = [];
    expect(reassemble(q, frags[2])).toBeUndefined();
    expect(reassemble(q, frags[0])).toBeUndefined();
    expect(reassemble(q, frags[1])).toEqual(ip);
    // a fragment fragmented again keeps its offset and MF
    const again = fragment(frags[0], 300);
    expect(again.map((f) => ((f[6] << 8) | f[7]) & 0x3fff)).toEqual([0x2000, 0x2000 | 35]);
  });

  it('probe bytes: valid IPv4 and UDP checksums, TTL decrement keeps the header valid', () => {
    const ip = buildIpPacket({ proto: 'udp', src: 0x0a000001, dst: 0x0a000002, dport: 53, size: 3, df: true });
    expect(internetChecksum(ip, 0, 20)).toBe(0);
    const pseudo = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 11;
    expect(internetChecksum(ip, 20, 11, pseudo)).toBe(0);
    const f = ethFrame('02:00:00:00:00:02', '02:00:00:00:00:01', ip);
    const g = decTtl(f);
    expect(readIp(g)).toMatchObject({ ttl: 63, dport: 53, df: true, totalLength: 31, proto: 17 });
    expect(internetChecksum(g, 14, 20)).toBe(0);
    const icmp = buildIpPacket({ proto: 'icmp', src: 1, dst: 2 });
    expect(internetChecksum(icmp, 20, 64)).toBe(0);
    expect(readIp(icmp, 0)).toMatchObject({ icmpType: 8, icmpCode: 0, totalLength: 84, df: false });
  });
});
