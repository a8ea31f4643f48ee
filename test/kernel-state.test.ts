// State that scales: shared FIB / neighbour / FDB storage, bulk loads,
// deletes that shrink, the segment's indexes, captures off by default.
import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, createNetwork, NeighTable, Netlink, VxlanFdb, type KRoute } from '../src/kernel/index.js';
import { Fib } from '../src/kernel/route.js';
import { SimClock } from '../src/store/clock.js';
import { calicoPair } from './support/kernel-scenarios.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

const R = (i: number, over: Partial<KRoute> = {}): KRoute => ({ table: 'main', type: 'unicast', prefix: (0x0a800000 + i * 64) >>> 0, len: 26, via: 0x0a000001 + i, dev: 'eth0', onlink: false, scope: 'global', proto: 'bird', ...over });
const connected: KRoute = { table: 'main', type: 'unicast', prefix: 0x0a000000, len: 16, dev: 'eth0', onlink: false, scope: 'link', proto: 'kernel' };

/** A node's table: connected /16, a block route per remote node, a blackhole for its own. */
function nodeTable(n: number, self: number): KRoute[] {
  const out: KRoute[] = [];
  for (let i = 0; i < n; i++) out.push(i === self ? R(i, { type: 'blackhole', via: undefined, dev: undefined }) : R(i));
  return out;
}

function fibWith(self: number, n = 200): Fib {
  const f = new Fib(core);
  f.add(connected);
  f.load('main', nodeTable(n, self));
  return f;
}

describe('Fib: shared storage', () => {
  it('nearly equal tables share one snapshot and keep only their differences', () => {
    const a = fibWith(0);
    const b = fibWith(1);
    expect(a.size()).toBe(201);
    expect(b.storage()).toMatchObject({ base: 201, baseRefs: 2 });
    expect(b.storage().delta).toBeLessThanOrEqual(4);
    expect(a.get(0x0a800001)?.type).toBe('blackhole');
    expect(b.get(0x0a800001)?.via).toBe(0x0a000001);
    expect(b.get(0x0a800041)?.type).toBe('blackhole');
    a.dispose();
    b.dispose();
  });

  it('a change in one namespace never shows in another', () => {
    const a = fibWith(0);
    const b = fibWith(1);
    b.del({ prefix: R(5).prefix, len: 26 });
    b.replace(R(6, { via: 0x0a000099 }));
    expect(b.get(R(5).prefix + 1)).toBeUndefined();
    expect(a.get(R(5).prefix + 1)?.via).toBe(0x0a000006);
    expect(a.get(R(6).prefix + 1)?.via).toBe(0x0a000007);
    expect(b.get(R(6).prefix + 1)?.via).toBe(0x0a000099);
    a.dispose();
    b.dispose();
  });

  it('a tombstone over the base uncovers a shorter base prefix', () => {
    const f = new Fib(core);
    f.add(connected);
    f.load('main', [...nodeTable(100, 0), { ...connected, prefix: 0x0a800000, len: 9, dev: 'eth1', proto: 'boot' }]);
    const g = new Fib(core);
    g.add(connected);
    g.load('main', [...nodeTable(100, 0), { ...connected, prefix: 0x0a800000, len: 9, dev: 'eth1', proto: 'boot' }]);
    expect(g.storage().baseRefs).toBe(2);
    g.del({ prefix: R(3).prefix, len: 26 });
    expect(g.get(R(3).prefix + 1)?.dev).toBe('eth1');
    expect(f.get(R(3).prefix + 1)?.dev).toBe('eth0');
    f.dispose();
    g.dispose();
  });

  it('deletes shrink the table (the snapshot is rebuilt once the tombstones outgrow it)', () => {
    const f = fibWith(0, 1000);
    for (let i = 1; i < 950; i++) f.del({ prefix: R(i).prefix, len: 26 });
    expect(f.size()).toBe(52);
    const s = f.storage();
    expect(s.base + s.delta).toBeLessThan(300); // of 1,001 before: the live 52, plus at most the refreeze size of tombstones
    f.dispose();
  });

  it('routes added one by one refreeze O(log n) times, never once per route', () => {
    // Why: a freeze is O(n); if its result could still be over the refreeze
    // size, every following add would freeze again (quadratic).
    const f = new Fib(core);
    f.add(connected);
    for (let i = 0; i < 3000; i++) f.add(R(i));
    expect(f.size()).toBe(3001);
    expect(f.storage().freezes).toBeLessThan(25);
    const n = new NeighTable(new SimClock());
    for (let i = 0; i < 3000; i++) n.replace(`10.${i >> 8}.${i & 255}.1`, 'eth0', { lladdr: '02:00:00:00:00:01' });
    expect(n.storage().freezes).toBeLessThan(25);
    f.dispose();
    n.dispose();
  });

  it('small tables (a pod) live in their delta: no WASM table', () => {
    const { net, nl } = (() => {
      const net = createNetwork(core);
      return { net, nl: Netlink.of(net) };
    })();
    nl.netnsAdd('h');
    nl.podAdd('h', { name: 'p', address: '10.1.0.2/32', mac: '02:00:00:00:00:02', hostVeth: 'cali1', hostVethMac: 'ee:ee:ee:ee:ee:ee', routes: ['169.254.1.1 dev eth0 scope link', 'default via 169.254.1.1 dev eth0'] });
    const p = net.ns('p').fib;
    expect(p.storage('main')).toMatchObject({ base: 0, delta: 2 });
    expect(p.storage('local')).toMatchObject({ base: 0 });
    net.dispose();
  });
});

describe('Fib.load', () => {
  it('is all or nothing: an existing prefix refuses the batch and names it', () => {
    const f = fibWith(0, 100);
    const before = f.show();
    expect(() => f.load('main', [R(500), R(501), R(3)])).toThrow(/File exists.*batch item 2/);
    expect(f.show()).toBe(before);
    f.dispose();
  });

  it('checks gateways in batch order, even past the one-pass load', () => {
    // 70 routes whose gateways the connected /16 reaches, then a route inside that /16
    // through a gateway, then one more whose gateway it now covers: Linux refuses the last.
    const f = new Fib(core);
    f.add(connected);
    const batch = nodeTable(70, 99);
    batch.push({ ...R(0), prefix: 0x0a000000, len: 24, via: 0x0a00fe01 });
    batch.push(R(80, { via: 0x0a000005 }));
    expect(() => f.load('main', batch)).toThrow(/invalid gateway.*batch item 71/);
    expect(f.size()).toBe(1);
    // The link route first, then the routes through it: accepted.
    const g = new Fib(core);
    const ok = [{ ...connected, prefix: 0x0a010000, len: 16, dev: 'eth1' }, ...Array.from({ length: 70 }, (_, i) => R(i, { via: 0x0a010000 + i + 1, dev: 'eth1' }))];
    g.load('main', ok);
    expect(g.size()).toBe(71);
    f.dispose();
    g.dispose();
  });

  it('flushDev removes the routes through a device; find and del match the door', () => {
    const f = fibWith(0, 100);
    f.add({ ...connected, prefix: 0x0b000000, len: 8, dev: 'eth1' });
    expect(f.find({ prefix: 0x0b000000, len: 8, dev: 'eth1' })?.dev).toBe('eth1');
    expect(f.flushDev('eth1')).toBe(1);
    expect(() => f.del({ prefix: 0x0b000000, len: 8 })).toThrow(/No such process/);
    expect(f.flushDev('eth0')).toBe(100);
    expect(f.size()).toBe(1);
    f.dispose();
  });
});

describe('NeighTable and VxlanFdb: shared storage', () => {
  const neighBatch = (self: number) =>
    Array.from({ length: 100 }, (_, i) => i)
      .filter((i) => i !== self)
      .map((i) => ({ dst: `10.244.${i}.0`, dev: 'flannel.1', lladdr: `0a:00:00:00:00:${i.toString(16).padStart(2, '0')}` }));

  it('neighbour tables share; a use after time passes copies the entry into that table only', () => {
    const clock = new SimClock();
    const a = new NeighTable(clock);
    const b = new NeighTable(clock);
    a.load(neighBatch(0));
    b.load(neighBatch(1));
    expect(b.storage()).toMatchObject({ base: 99, baseRefs: 2 });
    expect(b.storage().delta).toBe(2);
    clock.advance(1000);
    const hit = b.lookup('10.244.5.0', 'flannel.1');
    expect(hit.kind).toBe('hit');
    expect(b.get('10.244.5.0', 'flannel.1')?.used).toBe(1000);
    expect(a.get('10.244.5.0', 'flannel.1')?.used).toBe(0);
    b.del('10.244.7.0', 'flannel.1');
    expect(a.get('10.244.7.0', 'flannel.1')).toBeDefined();
    expect(() => b.del('10.244.7.0', 'flannel.1')).toThrow(/No such file or directory/);
    expect(b.flushDev('flannel.1')).toBe(98);
    expect(a.entries()).toHaveLength(99);
    a.dispose();
    b.dispose();
  });

  it('VXLAN FDBs share; del and l2miss on a live device stay local to it', () => {
    const clock = new SimClock();
    const batch = (self: number) => Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== self).map((i) => ({ mac: `0a:00:00:00:00:${i.toString(16).padStart(2, '0')}`, dst: `10.0.1.${i}` }));
    const a = new VxlanFdb('flannel.1', clock, { learning: false });
    const b = new VxlanFdb('flannel.1', clock, { learning: false });
    a.load(batch(0));
    b.load(batch(1));
    expect(b.storage()).toMatchObject({ base: 99, baseRefs: 2 });
    b.del('0a:00:00:00:00:05');
    expect(b.lookup('0a:00:00:00:00:05').kind).toBe('miss');
    expect(a.lookup('0a:00:00:00:00:05')).toMatchObject({ kind: 'hit', dsts: ['10.0.1.5'] });
    b.l2miss = true;
    b.setAgent(() => ({ dst: '10.0.1.55' }));
    expect(b.lookup('0a:00:00:00:00:05')).toMatchObject({ kind: 'miss', l2miss: true, installed: { dst: '10.0.1.55' } });
    expect(a.lookup('0a:00:00:00:00:05')).toMatchObject({ kind: 'hit', dsts: ['10.0.1.5'] });
    a.dispose();
    b.dispose();
  });
});

describe('bulk loads through the door', () => {
  function hosts(n: number) {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    nl.segmentAdd('lan');
    for (let i = 0; i < n; i++) {
      nl.netnsAdd(`h${i}`);
      nl.linkAdd(`h${i}`, { kind: 'phys', name: 'eth0', segment: 'lan', mac: `02:00:00:00:00:${i.toString(16).padStart(2, '0')}` });
      nl.addrAdd(`h${i}`, 'eth0', `10.0.0.${i + 1}/16`);
      nl.linkAdd(`h${i}`, { kind: 'vxlan', name: 'flannel.1', id: 1, local: `10.0.0.${i + 1}`, dev: 'eth0', learning: false, mac: `0a:00:00:00:00:${i.toString(16).padStart(2, '0')}` });
    }
    return { net, nl };
  }
  const neigh = (i: number) => ({ dst: `10.244.${i}.0`, dev: 'flannel.1', lladdr: `0a:00:00:00:01:${i.toString(16).padStart(2, '0')}` });
  const fdb = (i: number) => ({ mac: `0a:00:00:00:01:${i.toString(16).padStart(2, '0')}`, dev: 'flannel.1', dst: `10.0.0.${i + 1}` });

  it('a repeated neighbour or FDB entry refuses the batch even into an empty table that would share a snapshot', () => {
    const { net, nl } = hosts(2);
    const ns = Array.from({ length: 100 }, (_, i) => neigh(i));
    const fs = Array.from({ length: 100 }, (_, i) => fdb(i));
    nl.neighLoad('h0', ns);
    nl.fdbLoad('h0', fs);
    expect(() => nl.neighLoad('h1', [...ns, neigh(7)])).toThrow(/File exists.*batch item 100/);
    expect(() => nl.fdbLoad('h1', [...fs.slice(0, 50), fdb(3), ...fs.slice(50)])).toThrow(/File exists.*batch item 50/);
    expect(net.ipNeigh('h1')).toBe('');
    expect(net.bridgeFdb('h1')).toBe('');
    nl.neighLoad('h1', ns.slice(1));
    expect(net.ns('h1').neigh.storage()).toMatchObject({ base: 100, delta: 1, baseRefs: 2 });
    net.dispose();
  });

  it('a typed route reused after a change is converted again (the per-object memo checks every field)', () => {
    const { net, nl } = hosts(2);
    const batch = Array.from({ length: 80 }, (_, i) => ({ dst: `10.128.${i}.0/24`, via: `10.0.0.${(i % 2) + 1}`, dev: 'eth0' }));
    nl.routeLoad('h0', batch);
    batch[5].via = '10.0.9.9';
    nl.routeLoad('h1', batch);
    expect(net.ipRouteGet('h0', '10.128.5.1')).toContain('via 10.0.0.2');
    expect(net.ipRouteGet('h1', '10.128.5.1')).toContain('via 10.0.9.9');
    net.dispose();
  });

  it('appending a route identical to one there is EEXIST (fib_table_insert)', () => {
    const f = new Fib(core);
    f.add(connected);
    f.append(R(1, { metric: 10 }));
    f.append(R(1, { via: 0x0a000063, metric: 10 }));
    expect(() => f.append(R(1, { metric: 10 }))).toThrow(/File exists/);
    expect(f.list().filter((r) => r.len === 26).map((r) => r.via)).toEqual([0x0a000002, 0x0a000063]);
    expect(f.get(R(1).prefix + 1)?.via).toBe(0x0a000002);
    f.dispose();
  });
});

describe('Segment indexes', () => {
  it('finds the owner of an address and a MAC without asking every station', () => {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    nl.segmentAdd('lan');
    for (const i of [1, 2, 3]) {
      nl.netnsAdd(`h${i}`, { ipForward: true });
      nl.linkAdd(`h${i}`, { kind: 'phys', name: 'eth0', segment: 'lan', mac: `02:00:00:00:00:0${i}` });
      nl.addrAdd(`h${i}`, 'eth0', `10.0.0.${i}/24`);
    }
    const seg = net.segments.get('lan')!;
    const eth0 = (i: number) => net.ns(`h${i}`).iface('eth0');
    expect(seg.ownerOf(0x0a000002)).toBe(eth0(2));
    expect(seg.ownerOf(0x0a000002, eth0(2))).toBeUndefined();
    // arp_ignore 0: an address on another device of the namespace is owned too.
    nl.linkAdd('h3', { kind: 'dummy', name: 'dummy0' });
    nl.addrAdd('h3', 'dummy0', '192.168.9.9/32');
    expect(seg.ownerOf(0xc0a80909)).toBe(eth0(3));
    nl.addrDel('h3', 'dummy0', '192.168.9.9/32');
    expect(seg.ownerOf(0xc0a80909)).toBeUndefined();
    expect(seg.ownerOf(0x7f000001)).toBeUndefined();
    expect(seg.stationByMac('02:00:00:00:00:03')).toBe(eth0(3));
    nl.linkSet('h3', 'eth0', { address: '02:00:00:00:00:33' });
    expect(seg.stationByMac('02:00:00:00:00:03')).toBeUndefined();
    expect(seg.stationByMac('02:00:00:00:00:33')).toBe(eth0(3));
    nl.linkDel('h3', 'eth0');
    expect(seg.stationByMac('02:00:00:00:00:33')).toBeUndefined();
    expect(seg.ownerOf(0x0a000003)).toBeUndefined();
    expect(seg.members).toHaveLength(2);
    // Walks still resolve through the index.
    expect(net.walk({ name: 'x', from: 'h1', to: '10.0.0.2', proto: 'icmp', expect: 'DELIVERED' }).disposition).toBe('DELIVERED');
    net.dispose();
  });

  it('with no owner on the segment, a proxy_arp NIC answers (and only then is a flag scan made)', () => {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    nl.segmentAdd('lan');
    for (const i of [1, 2, 3]) {
      nl.netnsAdd(`h${i}`, { ipForward: true });
      nl.linkAdd(`h${i}`, { kind: 'phys', name: 'eth0', segment: 'lan', mac: `02:00:00:00:00:0${i}` });
      nl.addrAdd(`h${i}`, 'eth0', `10.0.0.${i}/24`);
    }
    nl.linkAdd('h2', { kind: 'veth', name: 'v0', peer: { name: 'v1', ns: 'h3' } });
    nl.addrAdd('h2', 'v0', '10.9.0.1/16');
    nl.routeAdd('h1', '10.9.0.0/16 dev eth0');
    const seg = net.segments.get('lan')!;
    expect(seg.proxyArpNics()).toEqual([]);
    nl.sysctl('h2', 'net.ipv4.conf.eth0.proxy_arp', '1');
    expect(seg.proxyArpNics()).toEqual([net.ns('h2').iface('eth0')]);
    net.walk({ name: 'x', from: 'h1', to: '10.9.0.5', proto: 'icmp', expect: 'DELIVERED' });
    expect(net.ns('h1').neigh.get('10.9.0.5', 'eth0')?.lladdr).toBe('02:00:00:00:00:02');
    net.dispose();
  });

  it('a flood copies the frame only into the captures that are on', () => {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    nl.segmentAdd('lan');
    for (const i of [1, 2, 3]) {
      nl.netnsAdd(`h${i}`);
      nl.linkAdd(`h${i}`, { kind: 'phys', name: 'eth0', segment: 'lan', mac: `02:00:00:00:00:0${i}` });
    }
    const seg = net.segments.get('lan')!;
    const [a, b, c] = [1, 2, 3].map((i) => net.ns(`h${i}`).iface('eth0'));
    const frame = new Uint8Array(60);
    seg.flood(a, b, frame);
    expect(c.frames).toHaveLength(0);
    c.capture = true;
    seg.flood(a, b, frame);
    expect(c.frames).toHaveLength(1);
    expect(c.frames[0]).not.toBe(frame);
    expect(b.frames).toHaveLength(0);
    net.dispose();
  });
});

describe('captures', () => {
  it('are off on a network built through the door, on for a built scenario', () => {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    nl.netnsAdd('h');
    nl.linkAdd('h', { kind: 'dummy', name: 'd0' });
    expect(net.ns('h').iface('d0').capture).toBe(false);
    net.dispose();
    const built = buildScenario(core, calicoPair());
    for (const n of built.namespaces.values()) for (const i of n.ifaces.values()) expect(i.capture).toBe(true);
    built.dispose();
  });
});
