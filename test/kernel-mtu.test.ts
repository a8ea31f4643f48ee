// Tunnel MTU as Linux does it (../shared/reference/kernel-mtu.md): vxlan MTU rules and `df`,
// outer fragmentation, PMTU exceptions on the simulated clock, frag needed from cni0's
// address, silent L2 drops; through net.send() and the door on the MTU scenarios.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { createNetwork, Netlink, type SimNetwork } from '../src/kernel/index.js';
import { buildMtuScenario } from '../src/scenarios/index.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

/** IPv4 total length, DF, MF and offset of each frame (Ethernet + IPv4). */
const ipOf = (f: Uint8Array) => {
  const flags = (f[20] << 8) | f[21];
  return { len: (f[16] << 8) | f[17], df: (flags & 0x4000) !== 0, mf: (flags & 0x2000) !== 0, off: (flags & 0x1fff) * 8, proto: f[23], src: [...f.subarray(26, 30)].join('.'), dst: [...f.subarray(30, 34)].join('.') };
};
const lens = (net: SimNetwork, ns: string, dev: string) => net.capture(ns, dev).map((f) => ipOf(f).len);

function lan(): { net: SimNetwork; nl: Netlink } {
  const net = createNetwork(core);
  const nl = Netlink.of(net);
  nl.segmentAdd('lan');
  nl.netnsAdd('h');
  nl.linkAdd('h', { kind: 'phys', name: 'eth0', segment: 'lan' });
  return { net, nl };
}

describe('vxlan device MTU and df (vxlan_config_apply, vxlan_change_mtu)', () => {
  it('lower - 50 when not given; silently clamped at creation; EINVAL on link set above it; 1500 without dev', () => {
    const { net, nl } = lan();
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx0', id: 1, dev: 'eth0' });
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx1', id: 2, dev: 'eth0', mtu: 9000 });
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx2', id: 3, dev: 'eth0', mtu: 1400 });
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx3', id: 4 });
    const h = net.ns('h');
    expect(['vx0', 'vx1', 'vx2', 'vx3'].map((d) => h.iface(d).mtu)).toEqual([1450, 1450, 1400, 1500]);
    const before = net.ipLink('h');
    expect(() => nl.linkSet('h', 'vx0', { mtu: 1451 })).toThrow(/RTNETLINK answers: Invalid argument/);
    expect(net.ipLink('h')).toBe(before);
    nl.linkSet('h', 'vx0', { mtu: 1300 });
    expect(h.iface('vx0').mtu).toBe(1300);
    nl.linkSet('h', 'vx3', { mtu: 9000 });
    expect(h.iface('vx3').mtu).toBe(9000);
    net.dispose();
  });

  it('lowering the lower device leaves the vxlan MTU as it was; only values <= new lower - 50 are accepted afterwards', () => {
    const { net, nl } = lan();
    nl.linkAdd('h', { kind: 'vxlan', name: 'flannel.1', id: 1, dev: 'eth0' });
    nl.linkSet('h', 'eth0', { mtu: 1400 });
    expect(net.ns('h').iface('flannel.1').mtu).toBe(1450);
    expect(() => nl.linkSet('h', 'flannel.1', { mtu: 1450 })).toThrow(/Invalid argument/);
    nl.linkSet('h', 'flannel.1', { mtu: 1350 });
    expect(net.ns('h').iface('flannel.1').mtu).toBe(1350);
    net.dispose();
  });

  it('df unset|set|inherit: default unset (not printed), set and inherit printed by ip -d link; anything else refused', () => {
    const { net, nl } = lan();
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx0', id: 1, dev: 'eth0' });
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx1', id: 2, dev: 'eth0', df: 'set' });
    nl.linkAdd('h', { kind: 'vxlan', name: 'vx2', id: 3, dev: 'eth0', df: 'inherit' });
    const h = net.ns('h');
    expect(['vx0', 'vx1', 'vx2'].map((d) => h.iface(d).vxlan!.df)).toEqual(['unset', 'set', 'inherit']);
    const link = net.ipLink('h');
    expect(link).toMatch(/vxlan id 2 .* df set/);
    expect(link).toMatch(/vxlan id 3 .* df inherit/);
    expect(link).not.toMatch(/vxlan id 1 .* df/);
    expect(() => nl.linkAdd('h', { kind: 'vxlan', name: 'vx3', id: 4, df: 'maybe' as 'set' })).toThrow(/InvalidDf/);
    expect(h.ifaces.has('vx3')).toBe(false);
    net.dispose();
  });

  it('mtu-auto-1400 and mtu-auto-9000: flannel.1 created without mtu gets 1350 and 8950', () => {
    for (const [name, vx] of [['mtu-auto-1400', 1350], ['mtu-auto-9000', 8950]] as const) {
      const net = buildMtuScenario(core, name);
      expect(net.ns('node1').iface('flannel.1').mtu).toBe(vx);
      expect(net.ns('a').iface('eth0').mtu).toBe(vx);
      const ok = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: vx - 28, pmtudisc: 'do' });
      expect(ok.trace.disposition).toBe('DELIVERED');
      expect(net.capture('node1', 'eth0').map((f) => ipOf(f).len)).toEqual([vx + 50, vx + 50]);
      expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: vx - 27, pmtudisc: 'do' }).trace.disposition).toBe('MTU_EXCEEDED');
      net.dispose();
    }
  });
});

describe('mtu-consistent: underlay 1500, flannel.1 and pods 1450', () => {
  it('-M do -s 1422 fits exactly (inner 1450, outer 1500, no DF outside); -s 1423 fails in the pod: message too long, mtu=1450, nothing sent', () => {
    const net = buildMtuScenario(core, 'mtu-consistent');
    const ok = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' });
    expect(ok.trace.disposition).toBe('DELIVERED');
    expect(ok.reply!.disposition).toBe('DELIVERED');
    const wire = net.capture('node1', 'eth0').map(ipOf);
    expect(wire.map((w) => [w.len, w.df])).toEqual([[1500, false], [1500, false]]);
    net.clearCaptures();
    const big = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1423, pmtudisc: 'do' });
    expect(big.trace.disposition).toBe('MTU_EXCEEDED');
    expect(big.trace.hops).toHaveLength(1);
    expect(big.trace.hops[0].steps.at(-1)).toMatchObject({ kind: 'mtu', action: 'DROP', data: { mtu: 1450, length: 1451 } });
    expect(big.trace.hops[0].steps.at(-1)!.detail).toContain('message too long, mtu=1450');
    expect(net.capture('a', 'eth0')).toEqual([]);
    net.dispose();
  });

  it('-M dont -s 1472: the pod fragments (1444 + 76), each fragment in its own VXLAN packet; the reply is fragmented by b', () => {
    const net = buildMtuScenario(core, 'mtu-consistent');
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'dont' });
    expect(r.trace.disposition).toBe('DELIVERED');
    expect(r.reply!.disposition).toBe('DELIVERED');
    expect(lens(net, 'a', 'eth0')).toEqual([1444, 76, 1444, 76]);
    expect(lens(net, 'b', 'eth0')).toEqual([1444, 76, 1444, 76]);
    expect(lens(net, 'node1', 'eth0')).toEqual([1494, 126, 1494, 126]);
    expect(net.capture('node1', 'eth0').every((f) => !ipOf(f).mf && !ipOf(f).df)).toBe(true);
    net.dispose();
  });

  it('-M want -s 1472 (ping\'s default): the packet over the path MTU leaves without DF, fragmented by the pod', () => {
    const net = buildMtuScenario(core, 'mtu-consistent');
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'want' }).trace.disposition).toBe('DELIVERED');
    expect(net.capture('a', 'eth0').slice(0, 2).map((f) => [ipOf(f).len, ipOf(f).df])).toEqual([[1444, false], [76, false]]);
    net.clearCaptures();
    net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1000, pmtudisc: 'want' });
    expect(ipOf(net.capture('a', 'eth0')[0]).df).toBe(true);
    net.dispose();
  });
});

describe('mtu-pod-too-big: pods and cni0 1500 over flannel.1 1450', () => {
  it('a forwarded DF packet over 1450 gets frag needed mtu 1450 from cni0 (10.244.1.1) quoting it; the pod caches the PMTU (600 s) and later sends fail locally', () => {
    const net = buildMtuScenario(core, 'mtu-pod-too-big');
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'do' });
    expect(r.trace.disposition).toBe('MTU_EXCEEDED');
    expect(r.trace.hops.map((h) => h.node)).toEqual(['a', 'node1']);
    expect(r.errors).toHaveLength(1);
    const fn = net.capture('a', 'eth0').at(-1)!;
    expect(ipOf(fn)).toMatchObject({ src: '10.244.1.1', dst: '10.244.1.2', proto: 1 });
    expect([fn[34], fn[35], (fn[40] << 8) | fn[41]]).toEqual([3, 4, 1450]);
    // the quote: the original request's IP header (to 10.244.2.2, 1500 bytes, DF)
    const q = fn.subarray(42);
    expect([(q[2] << 8) | q[3], q[6] & 0x40, [...q.subarray(16, 20)].join('.')]).toEqual([1500, 0x40, '10.244.2.2']);
    expect(r.errors[0].hops.at(-1)!.steps.some((s) => s.kind === 'mtu' && s.action === 'PMTU')).toBe(true);
    expect(net.ipRouteGet('a', '10.244.2.2')).toBe('10.244.2.2 via 10.244.1.1 dev eth0 src 10.244.1.2\n    cache expires 600sec mtu 1450');
    net.clock.advance(3000);
    expect(net.ipRouteGet('a', '10.244.2.2')).toBe('10.244.2.2 via 10.244.1.1 dev eth0 src 10.244.1.2\n    cache expires 597sec mtu 1450');
    // later sends fail in the pod: message too long, mtu=1450; nothing leaves it
    net.clearCaptures();
    const again = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'do' });
    expect(again.trace.hops).toHaveLength(1);
    expect(again.trace.hops[0].steps.at(-1)).toMatchObject({ kind: 'mtu', action: 'DROP', data: { mtu: 1450 } });
    expect(again.trace.hops[0].steps.at(-1)!.detail).toContain('mtu=1450');
    expect(net.capture('a', 'eth0')).toEqual([]);
    // -M want now fragments in the pod to the path MTU: 1444 + 76 (DF clear)
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'want' }).trace.disposition).toBe('DELIVERED');
    expect(lens(net, 'a', 'eth0').slice(0, 2)).toEqual([1444, 76]);
    // net.ipv4.route.mtu_expires: gone after 600 s
    net.clock.advance(597_000);
    expect(net.ipRouteGet('a', '10.244.2.2')).toBe('10.244.2.2 via 10.244.1.1 dev eth0 src 10.244.1.2');
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'do' }).trace.hops.map((h) => h.node)).toEqual(['a', 'node1']);
    net.dispose();
  });

  it('without DF node1 fragments the packet before encapsulating it', () => {
    const net = buildMtuScenario(core, 'mtu-pod-too-big');
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'dont' });
    expect(r.trace.disposition).toBe('DELIVERED');
    expect(lens(net, 'node1', 'flannel.1').slice(0, 2)).toEqual([1444, 76]);
    net.dispose();
  });

  it('min_pmtu: a frag needed below 552 is raised to it and locked (mtu lock 552); mtu_expires is a sysctl', () => {
    const net = buildMtuScenario(core, 'mtu-pod-too-big');
    const nl = Netlink.of(net);
    nl.linkSet('node1', 'flannel.1', { mtu: 500 });
    nl.sysctl('a', 'net.ipv4.route.mtu_expires', '100');
    net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1000, pmtudisc: 'do' });
    expect(net.ipRouteGet('a', '10.244.2.2')).toBe('10.244.2.2 via 10.244.1.1 dev eth0 src 10.244.1.2\n    cache expires 100sec mtu lock 552');
    expect(() => nl.sysctl('a', 'net.ipv4.route.min_pmtu', '20')).toThrow(/InvalidSysctlValue/);
    net.dispose();
  });
});

describe('mtu-underlay-smaller: eth0 lowered to 1400 under flannel.1 1450', () => {
  it('df unset: the outer packet is fragmented by node1 (1396 + 124, MF), reassembled by node2, delivered; node1 records mtu 1350 towards b, the pod learns nothing', () => {
    const net = buildMtuScenario(core, 'mtu-underlay-smaller');
    expect(net.ns('node1').iface('flannel.1').mtu).toBe(1450);
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' });
    expect(r.trace.disposition).toBe('DELIVERED');
    expect(r.reply!.disposition).toBe('DELIVERED');
    expect(r.errors).toEqual([]);
    const out = net.capture('node1', 'eth0').map(ipOf);
    expect(out.map((w) => [w.len, w.mf, w.off, w.df])).toEqual([
      [1396, true, 0, false],
      [124, false, 1376, false],
      [1396, true, 0, false],
      [124, false, 1376, false],
    ]);
    expect(lens(net, 'b', 'eth0')).toEqual([1450, 1450]);
    expect(net.ipRouteGet('node1', '10.244.2.2')).toBe('10.244.2.2 via 10.244.2.0 dev flannel.1 src 10.244.1.0\n    cache expires 600sec mtu 1350');
    expect(net.ipRouteGet('a', '10.244.2.2')).toBe('10.244.2.2 via 10.244.1.1 dev eth0 src 10.244.1.2');
    // ip_forward_use_pmtu = 0: forwarding ignores the exception, the next packet goes the same way
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' }).trace.disposition).toBe('DELIVERED');
    net.dispose();
  });

  it('ip_forward_use_pmtu=1: from the second packet on node1 answers with frag needed mtu 1350 from cni0, and the pod adapts', () => {
    const net = buildMtuScenario(core, 'mtu-underlay-smaller', { forwardUsePmtu: true });
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' }).trace.disposition).toBe('DELIVERED');
    net.clearCaptures();
    const second = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' });
    expect(second.trace.disposition).toBe('MTU_EXCEEDED');
    const fn = net.capture('a', 'eth0').at(-1)!;
    expect(ipOf(fn).src).toBe('10.244.1.1');
    expect([fn[34], fn[35], (fn[40] << 8) | fn[41]]).toEqual([3, 4, 1350]);
    expect(net.ipRouteGet('a', '10.244.2.2')).toMatch(/cache expires 600sec mtu 1350$/);
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1322, pmtudisc: 'do' }).trace.disposition).toBe('DELIVERED');
    net.dispose();
  });

  it('df set: the outer packet is dropped at node1, which sends frag needed mtu 1400 only to itself (10.0.0.11 -> 10.0.0.11 on lo); the pod hears nothing', () => {
    const net = buildMtuScenario(core, 'mtu-underlay-smaller', { df: 'set' });
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' });
    expect(r.trace.disposition).toBe('MTU_EXCEEDED');
    expect(r.trace.hops.map((h) => h.node)).toEqual(['a', 'node1']);
    expect(r.trace.hops[1].steps.at(-1)).toMatchObject({ kind: 'mtu', action: 'DROP', data: { mtu: 1400, length: 1500 } });
    expect(net.capture('node1', 'eth0')).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].hops.map((h) => h.node)).toEqual(['node1']);
    expect(r.errors[0].disposition).toBe('DELIVERED');
    expect(r.errors[0].hops[0].steps.at(-1)!.detail).toContain('in lo');
    // the pod got nothing back and learned nothing
    expect(net.capture('a', 'eth0')).toHaveLength(1);
    expect(net.ipRouteGet('a', '10.244.2.2')).not.toContain('cache');
    // smaller packets fit: outer DF set on the wire
    net.clearCaptures();
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1322, pmtudisc: 'do' }).trace.disposition).toBe('DELIVERED');
    expect(net.capture('node1', 'eth0').map((f) => [ipOf(f).len, ipOf(f).df])).toEqual([[1400, true], [1400, true]]);
    net.dispose();
  });

  it('df inherit: an inner DF packet behaves as df set, one without DF as df unset', () => {
    const net = buildMtuScenario(core, 'mtu-underlay-smaller', { df: 'inherit' });
    const withDf = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' });
    expect(withDf.trace.disposition).toBe('MTU_EXCEEDED');
    expect(net.capture('node1', 'eth0')).toEqual([]);
    const noDf = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'dont' });
    expect(noDf.trace.disposition).toBe('DELIVERED');
    expect(lens(net, 'node1', 'eth0')).toEqual([1396, 124, 1396, 124]);
    net.dispose();
  });
});

describe('mtu-path-smaller: NICs 1500, switch ports 1400', () => {
  it('frames over 1400 are dropped silently by the port (a wire DROP step, no ICMP); delivered when everything fits', () => {
    const net = buildMtuScenario(core, 'mtu-path-smaller');
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, pmtudisc: 'do' });
    expect(r.trace.disposition).toBe('MTU_EXCEEDED');
    expect(r.errors).toEqual([]);
    const last = r.trace.hops.at(-1)!.steps.at(-1)!;
    expect(last).toMatchObject({ kind: 'wire', action: 'DROP' });
    expect(last.detail).toContain('dropped silently');
    expect(net.capture('node2', 'eth0')).toEqual([]);
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1322, pmtudisc: 'do' }).trace.disposition).toBe('DELIVERED');
    // is_skb_forwardable lets MTU + 14 + 4 bytes through: an outer packet of 1404 passes, 1405 does not (as the kernel, test/netns-mtu.kernel.test.ts)
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1326, pmtudisc: 'do' }).trace.disposition).toBe('DELIVERED');
    net.clearCaptures();
    expect(net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1327, pmtudisc: 'do' }).trace.disposition).toBe('MTU_EXCEEDED');
    // the NIC sent it, its switch port never passed it
    expect(lens(net, 'node1', 'eth0')).toEqual([1405]);
    expect(net.capture('lan', 'node1.eth0')).toEqual([]);
    net.dispose();
  });

  it('a veth drops a frame over its peer\'s MTU silently; a bridge drops one over the egress port\'s MTU', () => {
    const net = buildMtuScenario(core, 'mtu-consistent');
    const nl = Netlink.of(net);
    nl.linkSet('b', 'eth0', { mtu: 1000 });
    const r = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1200, pmtudisc: 'do' });
    expect(r.trace.disposition).toBe('MTU_EXCEEDED');
    expect(r.errors).toEqual([]);
    const last = r.trace.hops.at(-1)!.steps.at(-1)!;
    expect(last).toMatchObject({ kind: 'wire', action: 'DROP' });
    expect(last.detail).toMatch(/^veth .* frame of 1242 bytes over mtu 1000/);
    const host = net.ns('node2').iface('cni0').ports!.find((p) => p.peer?.ns.name === 'b')!;
    nl.linkSet('b', 'eth0', { mtu: 1450 });
    nl.linkSet('node2', host.name, { mtu: 1000 });
    const r2 = net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1200, pmtudisc: 'do' });
    expect(r2.trace.disposition).toBe('MTU_EXCEEDED');
    expect(r2.trace.hops.at(-1)!.steps.at(-1)!.detail).toMatch(/^cni0 port .* over mtu 1000/);
    net.dispose();
  });
});

describe('PMTU sysctls and the route cache through the door', () => {
  it('ip route flush cache forgets exceptions; bad route sysctl values are refused and change nothing', () => {
    const net = buildMtuScenario(core, 'mtu-pod-too-big');
    const nl = Netlink.of(net);
    net.send({ from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, pmtudisc: 'do' });
    expect(net.ipRouteGet('a', '10.244.2.2')).toContain('mtu 1450');
    net.flushRouteCache('a');
    expect(net.ipRouteGet('a', '10.244.2.2')).not.toContain('cache');
    expect(() => nl.sysctl('a', 'net.ipv4.route.mtu_expires', '-1')).toThrow(/InvalidSysctlValue/);
    expect(() => nl.sysctl('a', 'net.ipv4.ip_forward_use_pmtu', '2')).toThrow(/InvalidSysctlValue/);
    expect(net.ns('a').pmtu.params).toEqual({ mtuExpires: 600, minPmtu: 552, forwardUsePmtu: false });
    nl.sysctl('node1', 'net.ipv4.ip_forward_use_pmtu', '1');
    expect(net.ns('node1').pmtu.params.forwardUsePmtu).toBe(true);
    net.dispose();
  });

  it('unknown MTU scenarios and df values are named', () => {
    expect(() => buildMtuScenario(core, 'mtu-nope')).toThrow(/UnknownScenario/);
    expect(() => buildMtuScenario(core, 'mtu-consistent', { df: 'always' as 'set' })).toThrow(/InvalidDf/);
  });
});
