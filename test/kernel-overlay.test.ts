import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { Codec } from '../src/codec/index.js';
import { readCapture } from '../src/pcap/index.js';
import { buildScenario, Netlink } from '../src/kernel/index.js';
import { flannel, vtepMac } from './support/kernel-scenarios.js';

let core: Core;
let codec: Codec;
beforeAll(async () => {
  core = await createCore();
  codec = new Codec(core);
});

describe('kernel model: Flannel VXLAN overlay', () => {
  it('ping p1 -> p2 crosses cni0, flannel.1, the wire and back out of cni0: DELIVERED', () => {
    const net = buildScenario(core, flannel());
    const t = net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['p1', 'node1', 'node2', 'p2']);
    const n1 = t.hops[1].steps;
    expect(n1.find((s) => s.kind === 'route')!.detail).toBe('10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(n1.find((s) => s.kind === 'fdb' && s.detail.includes('flannel.1'))!.detail).toBe(`${vtepMac(2)} dev flannel.1 dst 10.0.0.2`);
    expect(n1.find((s) => s.kind === 'encapsulate')!.data).toMatchObject({ mode: 'vxlan', vni: 1, local: '10.0.0.1', remote: '10.0.0.2' });
    expect(t.hops[2].steps.find((s) => s.kind === 'decapsulate')!.data).toMatchObject({ vni: 1, outerSrc: '10.0.0.1', outerDst: '10.0.0.2' });
    net.dispose();
  });

  it('the wire frame on node1 eth0 decodes with the codec: VNI 1, dstport 8472, node addresses', () => {
    const net = buildScenario(core, flannel());
    const sent = net.send({ from: 'p1', to: '10.244.2.2', proto: 'udp', dport: 5000 });
    const frames = net.capture('node1', 'eth0');
    // the datagram, then the ICMP port unreachable coming back through the overlay
    expect(frames).toHaveLength(2);
    const back = codec.decode(frames[1], { mode: 'vxlan' });
    expect(back.ok && back.frame.outer).toMatchObject({ src: '10.0.0.2', dst: '10.0.0.1' });
    expect(back.ok && back.frame.inner.flow).toMatchObject({ src: '10.244.2.2', dst: '10.244.1.2', protocol: 1, icmp: { type: 3, code: 3 } });
    expect(sent.errors.map((t) => t.disposition)).toEqual(['DELIVERED']);
    const d = codec.decode(frames[0], { mode: 'vxlan' });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.frame.vxlan!.vni).toBe(1);
    expect(d.frame.udp!.dstPort).toBe(8472);
    expect(d.frame.outer).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' });
    expect(d.frame.inner).toMatchObject({ srcMac: vtepMac(1), dstMac: vtepMac(2) });
    expect(d.frame.inner.flow).toMatchObject({ src: '10.244.1.2', dst: '10.244.2.2', protocol: 17, dstPort: 5000, ttl: 63 });
    // same frame on node2's eth0; inner frame on both flannel.1 devices; pcap round trip
    expect(net.capture('node2', 'eth0')[0]).toEqual(frames[0]);
    expect(net.capture('node2', 'flannel.1')[0]).toEqual(frames[0].subarray(50));
    const cap = readCapture(net.pcap('node1', 'eth0'));
    expect(cap.packets[0].data).toEqual(frames[0]);
    // the pod's own eth0 saw the original frame (ttl 64, to cni0's MAC)
    const p = net.capture('p1', 'eth0')[0];
    expect([...p.subarray(0, 6)]).toEqual([0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x01]);
    expect(p[14 + 8]).toBe(64);
    net.dispose();
  });

  it('pins the fields Linux randomises; check() compares probes with their expectation', () => {
    const s = flannel();
    s.probes = [
      { name: 'ok', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED', path: ['p1', 'node1', 'node2', 'p2'] },
      { name: 'bad', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DENIED', path: ['p1', 'node2'] },
    ];
    const net = buildScenario(core, s, { pins: { vxlanSrcPort: 40000, outerIpId: 7, ipId: 9, icmpId: 99 } });
    const [ok, bad] = net.check(s.probes);
    expect(ok).toMatchObject({ ok: true, problems: [], path: ['p1', 'node1', 'node2', 'p2'] });
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual(['disposition DELIVERED, expected DENIED', 'path p1 > node1 > node2 > p2, expected p1 > node2']);
    const d = codec.decode(net.capture('node1', 'eth0')[0]);
    expect(d.ok && d.frame.udp!.srcPort).toBe(40000);
    expect(d.ok && d.frame.outer.id).toBe(7);
    const inner = net.capture('p1', 'eth0')[0];
    expect((inner[18] << 8) | inner[19]).toBe(9);
    expect((inner[38] << 8) | inner[39]).toBe(99);
    net.dispose();
  });

  it('ARP frames through the bridge: a request is flooded to every port, the reply goes back one way', () => {
    const net = buildScenario(core, flannel(), { arpFrames: true });
    net.walk({ name: 'x', from: 'p1', to: '10.244.1.3', proto: 'udp', expect: 'DELIVERED' });
    const isArp = (f: Uint8Array) => f[12] === 8 && f[13] === 6;
    expect(net.capture('q1', 'eth0').filter(isArp).map((f) => f[21])).toEqual([1, 2]);
    expect(net.capture('node1', 'cni0').filter(isArp).map((f) => f[21])).toEqual([1]);
    expect(net.capture('node1', 'veth1b').filter(isArp).map((f) => f[21])).toEqual([1, 2]);
    expect(net.capture('p1', 'eth0').filter(isArp).map((f) => f[21])).toEqual([1, 2]);
    net.clearCaptures();
    net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'udp', expect: 'DELIVERED' });
    // the gateway (cni0) answers p1; node2's cni0 asks for p2 from its own address
    const gw = net.capture('p1', 'eth0').filter(isArp);
    expect([...gw[1].subarray(6, 12)]).toEqual([0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x01]);
    const ask = net.capture('p2', 'eth0').filter(isArp)[0];
    expect([...ask.subarray(28, 32)]).toEqual([10, 244, 2, 1]);
    net.dispose();
  });

  it('prints the node tables in Linux formats', () => {
    const net = buildScenario(core, flannel());
    net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(net.bridgeFdb('node1')).toContain(`${vtepMac(2)} dev flannel.1 dst 10.0.0.2 self permanent\n`);
    expect(net.bridgeFdb('node1')).toContain('0a:58:0a:f4:01:02 dev veth1a master cni0 \n');
    expect(net.ipNeigh('node1')).toContain(`10.244.2.0 dev flannel.1 lladdr ${vtepMac(2)} PERMANENT`);
    const link = net.ipLink('node1');
    expect(link).toContain('flannel.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 state UP');
    expect(link).toContain('vxlan id 1 local 10.0.0.1 dev eth0 srcport 0 0 dstport 8472 nolearning');
    expect(link).toContain('veth1a@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 master cni0 state UP');
    expect(link).toContain('link-netns p1');
    expect(net.ipLink('p1')).toMatch(/2: eth0@if\d+: /);
    net.dispose();
  });

  it('pods on one bridge reach each other without leaving node1', () => {
    const net = buildScenario(core, flannel());
    const t = net.walk({ name: 'x', from: 'p1', to: '10.244.1.3', proto: 'icmp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['p1', 'node1', 'q1']);
    expect(t.hops[1].steps.map((s) => s.kind)).toEqual(['fdb', 'transmit', 'wire']);
    net.dispose();
  });

  it('MTU overflow with DF: 1500-byte pod MTU over a 1450 flannel.1 -> MTU_EXCEEDED with frag needed', () => {
    const net = buildScenario(core, flannel({ podMtu: 1500 }));
    const sent = net.send({ from: 'p1', to: '10.244.2.2', proto: 'icmp', size: 1472 - 8 + 8, df: true });
    const t = sent.trace;
    expect(t.disposition).toBe('MTU_EXCEEDED');
    const last = t.hops[t.hops.length - 1];
    expect(last.node).toBe('node1');
    expect(last.steps[last.steps.length - 1].data).toEqual({ icmp: { type: 3, code: 4, mtu: 1450 } });
    // frag needed goes back to the pod from cni0's address, next-hop MTU 1450 in bytes 6-7
    expect(sent.errors[0].hops.map((h) => h.node)).toEqual(['node1', 'p1']);
    const fn = net.capture('p1', 'eth0').at(-1)!;
    expect([fn[34], fn[35], (fn[40] << 8) | fn[41]]).toEqual([3, 4, 1450]);
    expect([...fn.subarray(26, 30)]).toEqual([10, 244, 1, 1]);
    expect(fn.length).toBe(14 + 576);
    // the pod itself refuses with EMSGSIZE when its own MTU is smaller
    const net2 = buildScenario(core, flannel());
    const t2 = net2.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', size: 1472, expect: 'MTU_EXCEEDED' });
    expect(t2.disposition).toBe('MTU_EXCEEDED');
    expect(t2.hops).toHaveLength(1);
    // without DF node1 fragments into flannel.1; p2 reassembles and answers; node2 fragments the reply
    // (the frag needed above left p1 a PMTU exception, with which p1 would fragment itself: forgotten first, as `ip route flush cache`)
    net.clearCaptures();
    net.flushRouteCache();
    const sent3 = net.send({ from: 'p1', to: '10.244.2.2', proto: 'icmp', size: 1472, df: false });
    const t3 = sent3.trace;
    expect(t3.disposition).toBe('DELIVERED');
    expect(t3.hops[1].steps.find((s) => s.kind === 'fragment')!.detail).toBe('1500 > mtu 1450 of flannel.1: 2 fragments');
    const vx = net.capture('node1', 'flannel.1').map((f) => [((f[20] << 8) | f[21]) & 0x3fff, (f[16] << 8) | f[17]]);
    expect(vx).toEqual([
      [0x2000, 1444], // request: MF, offset 0, 1424 bytes of data
      [178, 76], // offset 1424/8, last
      [0x2000, 1444], // reply fragments, made by node2
      [178, 76],
    ]);
    expect(net.capture('p2', 'eth0').map((f) => f.length)).toEqual([14 + 1444, 14 + 76, 14 + 1500]);
    expect(sent3.reply!.disposition).toBe('DELIVERED');
    expect(net.capture('p1', 'eth0').map((f) => f.length)).toEqual([14 + 1500, 14 + 1444, 14 + 76]);
    net.dispose();
    net2.dispose();
  });

  it('L3 MISS (app_solicit) answered: the packet continues; L2 MISS answered: the frame is dropped, the next one passes (Linux)', () => {
    const net = buildScenario(core, flannel({ dynamic: true }));
    const silent = net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(silent.disposition).toBe('NEIGH_FAILED');
    const asked: string[] = [];
    const nl = Netlink.of(net);
    // old flanneld (v0.4.1) made its device with l2miss and set app_solicit 3; it listened for the misses
    nl.linkSet('node1', 'flannel.1', { l2miss: true, l3miss: true });
    nl.sysctl('node1', 'net.ipv4.neigh.flannel/1.app_solicit', '3');
    nl.setMissAgents('node1', 'flannel.1', {
      neigh: (q) => {
        asked.push(`L3 ${q.dst}`);
        return q.dst === '10.244.2.0' ? { lladdr: vtepMac(2) } : undefined;
      },
      fdb: (q) => {
        asked.push(`L2 ${q.mac}`);
        return q.mac === vtepMac(2) ? { dst: '10.0.0.2' } : undefined;
      },
    });
    const t = net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(asked).toEqual(['L3 10.244.2.0', `L2 ${vtepMac(2)}`]);
    // vxlan has no queue: the frame that missed is dropped, the answer serves the next one
    expect(t.disposition).toBe('NEIGH_FAILED');
    const n1 = t.hops[1].steps;
    expect(n1.find((s) => s.kind === 'neighbour' && s.action === 'AGENT')!.detail).toContain('L3 MISS answered by the agent');
    const vx = n1.find((s) => s.kind === 'fdb' && s.detail.includes('dev flannel.1'))!;
    expect(vx.action).toBe('DROP');
    expect(vx.detail).toContain('L2 MISS sent to user space, the frame is dropped');
    // installed: the next packet hits
    const again = net.walk({ name: 'x', from: 'p1', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(again.disposition).toBe('DELIVERED');
    expect(again.hops[1].steps.filter((s) => s.action === 'AGENT')).toEqual([]);
    expect(net.ipNeigh('node1')).toContain(`10.244.2.0 dev flannel.1 lladdr ${vtepMac(2)} REACHABLE`);
    net.dispose();
  });
});
