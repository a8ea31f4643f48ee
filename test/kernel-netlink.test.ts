import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, createNetwork, Netlink, type NlEvent, type SimNetwork } from '../src/kernel/index.js';
import { calicoPair, flannel, vtepMac } from './support/kernel-scenarios.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

/** Every table of every namespace, as the Linux tools print them, plus the segments' ports. */
function dump(net: SimNetwork): string {
  let out = '';
  for (const ns of [...net.namespaces.keys()].sort()) {
    const n = net.ns(ns);
    out += `## ${ns} fwd=${n.ipForward} proxy=${n.proxyArpAll}\n${net.ipLink(ns)}${net.ipRoute(ns)}${net.ipRoute(ns, 'local')}`;
    out += `${n.neigh.show({ nud: 'all' })}${net.bridgeFdb(ns)}${net.iptablesSave(ns)}${JSON.stringify([...n.sysctls])}\n`;
    out += [...n.ifaces.values()].map((i) => `${i.name} ${i.addrs.map((x) => `${x.addr}/${x.len}`).join(',')} proxy_arp=${i.proxyArp} app=${n.neigh.paramsOf(i.name).appSolicit}`).join('\n');
  }
  for (const [name, s] of net.segments) out += `\n## segment ${name}: ${[...s.ports.keys()].join(' ')}`;
  return out;
}

/** `f` throws `re` and leaves every table and every counter as they were. */
function refused(net: SimNetwork, f: () => void, re: RegExp): void {
  const nl = Netlink.of(net);
  const before = dump(net);
  const counters = { ...nl.counters };
  expect(f).toThrow(re);
  expect(dump(net)).toBe(before);
  expect(nl.counters).toEqual(counters);
}

/** Two hosts on one segment, programmed through the door only. */
function twoHosts(): { net: SimNetwork; nl: Netlink } {
  const net = createNetwork(core);
  const nl = Netlink.of(net);
  nl.segmentAdd('lan');
  for (const i of [1, 2]) {
    nl.netnsAdd(`h${i}`, { ipForward: true });
    nl.linkAdd(`h${i}`, { kind: 'phys', name: 'eth0', segment: 'lan', mac: `02:00:00:00:00:0${i}` });
    nl.addrAdd(`h${i}`, 'eth0', `10.0.0.${i}/24`);
  }
  return { net, nl };
}

const ping = (from: string, to: string) => ({ name: 'x', from, to, proto: 'icmp' as const, expect: 'DELIVERED' as const });

describe('Netlink: routes', () => {
  it('add, replace, append and del in main and local, with iproute2 errors that change nothing', () => {
    const { net, nl } = twoHosts();
    nl.routeAdd('h1', '10.9.0.0/16 via 10.0.0.2 dev eth0');
    expect(net.ipRoute('h1')).toContain('10.9.0.0/16 via 10.0.0.2 dev eth0 \n');
    refused(net, () => nl.routeAdd('h1', '10.9.0.0/16 via 10.0.0.2 dev eth0'), /RTNETLINK answers: File exists/);
    refused(net, () => nl.routeAdd('h1', '10.8.0.0/16 via 10.7.7.7 dev eth0'), /Error: Nexthop has invalid gateway/);
    refused(net, () => nl.routeAdd('h1', '10.8.0.0/16 dev eth9'), /Cannot find device "eth9"/);
    refused(net, () => nl.routeAdd('h1', { dst: '10.8.0.0/16', via: '10.0.0.2', dev: 'nope', onlink: true }), /Cannot find device "nope"/);
    refused(net, () => nl.routeDel('h1', '10.8.0.0/16'), /RTNETLINK answers: No such process/);
    refused(net, () => nl.routeDel('h1', '10.9.0.0/16 via 10.0.0.3'), /No such process/);
    refused(net, () => nl.routeAdd('h1', '10.8.0.1/16 dev eth0'), /invalid prefix/);
    refused(net, () => nl.routeAdd('h1', '10.8.0.0/16 dev eth0 table 100'), /table main or local/);
    refused(net, () => nl.routeAdd('nowhere', '10.8.0.0/16 dev eth0'), /Cannot open network namespace "nowhere"/);
    refused(net, () => nl.routeAdd('h1', '10.8.0.0/16 dev eth0 src 10.0.0.77'), /Error: Invalid prefsrc address/);
    nl.linkAdd('h1', { kind: 'dummy', name: 'd0', up: false });
    refused(net, () => nl.routeAdd('h1', '10.8.0.0/16 dev d0'), /Error: Device for nexthop is not up/);
    refused(net, () => nl.routeAdd('h1', '10.8.0.0/16 via 10.0.0.2 dev d0 onlink'), /Error: Nexthop device is not up/);
    // replace: same prefix and metric, new next hop; a different metric is another route
    nl.routeReplace('h1', { dst: '10.9.0.0/16', dev: 'eth0' });
    expect(net.ipRoute('h1')).toContain('10.9.0.0/16 dev eth0 scope link \n');
    nl.routeAdd('h1', '10.9.0.0/16 via 10.0.0.2 dev eth0 metric 10');
    expect(net.ipRoute('h1')).toContain('10.9.0.0/16 dev eth0 scope link \n10.9.0.0/16 via 10.0.0.2 dev eth0 metric 10 \n');
    expect(net.ipRouteGet('h1', '10.9.1.1')).toBe('10.9.1.1 dev eth0 src 10.0.0.1');
    // append: an alias after its equals; lookups use the first until it goes
    nl.routeDel('h1', '10.9.0.0/16 metric 10');
    nl.routeAppend('h1', '10.9.0.0/16 via 10.0.0.2 dev eth0');
    expect(net.ipRoute('h1').match(/^10\.9\.0\.0\/16/gm)).toHaveLength(2);
    nl.routeDel('h1', '10.9.0.0/16 dev eth0 scope link');
    expect(net.ipRouteGet('h1', '10.9.1.1')).toBe('10.9.1.1 via 10.0.0.2 dev eth0 src 10.0.0.1');
    nl.routeDel('h1', '10.9.0.0/16');
    expect(net.ipRouteGet('h1', '10.9.1.1')).toBe('RTNETLINK answers: Network is unreachable');
    // the local table
    nl.routeAdd('h1', 'local 10.50.0.1 dev eth0 table local');
    expect(net.ipRoute('h1', 'local')).toContain('local 10.50.0.1 dev eth0 scope host \n');
    nl.routeDel('h1', { dst: '10.50.0.1', type: 'local', table: 'local' });
    expect(net.ipRoute('h1', 'local')).not.toContain('10.50.0.1');
    expect(nl.counters.route).toBe(9);
    // the last address of a device gone: every route through it goes (fib_disable_ip)
    nl.routeAdd('h1', '10.7.0.0/16 via 10.0.0.2 dev eth0');
    nl.addrDel('h1', 'eth0', '10.0.0.1/24');
    expect(net.ipRoute('h1')).toBe('');
    net.dispose();
  });

  it('a route to a missing device is refused (it used to reach the walk and crash it)', () => {
    const { net, nl } = twoHosts();
    refused(net, () => nl.routeAdd('h1', { dst: '10.20.0.0/16', dev: 'ghost0' }), /Cannot find device "ghost0"/);
    refused(net, () => nl.routeLoad('h1', ['10.21.0.0/16 dev eth0', '10.20.0.0/16 dev ghost0']), /Cannot find device "ghost0".*batch item 1/);
    net.dispose();
  });

  it('routeLoad adds a typed batch at once; one bad route loads none', () => {
    const { net, nl } = twoHosts();
    const batch = Array.from({ length: 200 }, (_, k) => ({ dst: `10.${100 + (k >> 8)}.${k & 255}.0/24`, via: '10.0.0.2', dev: 'eth0' }));
    nl.routeLoad('h1', batch);
    expect(net.ns('h1').fib.list('main')).toHaveLength(201);
    expect(nl.counters.route).toBe(200);
    refused(net, () => nl.routeLoad('h1', [{ dst: '10.200.0.0/24', dev: 'eth0' }, { dst: '10.100.0.0/24', via: '10.0.0.2' }]), /File exists.*batch item 1/);
    refused(net, () => nl.routeLoad('h1', [{ dst: '10.200.0.0/24', dev: 'eth0' }, { dst: '10.201.0.0/24', via: '10.66.0.2' }]), /invalid gateway.*batch item 1/);
    refused(net, () => nl.routeLoad('h1', [{ dst: 'local 10.200.0.1', type: 'local', dev: 'eth0' }]), /prefix/);
    expect(net.walk(ping('h1', '10.100.7.1')).hops.map((h) => h.node)).toEqual(['h1', 'h2']);
    net.dispose();
  });
});

describe('Netlink: addresses and links', () => {
  it('addr add/del adds and removes the routes Linux derives', () => {
    const { net, nl } = twoHosts();
    nl.linkAdd('h1', { kind: 'dummy', name: 'dummy0' });
    nl.addrAdd('h1', 'dummy0', '172.16.5.1/24');
    expect(net.ipRoute('h1')).toContain('172.16.5.0/24 dev dummy0 proto kernel scope link src 172.16.5.1 \n');
    expect(net.ipRoute('h1', 'local')).toContain('local 172.16.5.1 dev dummy0 proto kernel scope host src 172.16.5.1 \n');
    expect(net.ipRoute('h1', 'local')).toContain('broadcast 172.16.5.255 dev dummy0 proto kernel scope link src 172.16.5.1 \n');
    nl.routeAdd('h1', '172.17.0.0/16 dev dummy0 src 172.16.5.1');
    refused(net, () => nl.addrAdd('h1', 'dummy0', '172.16.5.1/24'), /File exists/);
    refused(net, () => nl.addrAdd('h1', 'dummy0', '172.16.5.1/40'), /0..32/);
    refused(net, () => nl.addrDel('h1', 'dummy0', '172.16.6.1/24'), /Cannot assign requested address/);
    refused(net, () => nl.addrAdd('h1', 'dummy9', '172.16.5.1/24'), /Cannot find device "dummy9"/);
    nl.addrDel('h1', 'dummy0', '172.16.5.1/24');
    expect(net.ipRoute('h1')).not.toContain('172.1');
    expect(net.ipRoute('h1', 'local')).not.toContain('172.16');
    net.dispose();
  });

  it('link down flushes routes and neighbours through it (local routes stay); up brings back the address routes', () => {
    const { net, nl } = twoHosts();
    nl.routeAdd('h1', '10.9.0.0/16 via 10.0.0.2 dev eth0');
    nl.neighAdd('h1', '10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0');
    nl.linkSet('h1', 'eth0', { up: false });
    expect(net.ipRoute('h1')).toBe('');
    expect(net.ipNeigh('h1')).toBe('');
    expect(net.ipRoute('h1', 'local')).toContain('local 10.0.0.1 dev eth0');
    expect(net.ipRoute('h1', 'local')).not.toContain('broadcast 10.0.0.255');
    expect(net.ipLink('h1')).toContain('eth0: <BROADCAST,MULTICAST> mtu 1500 state DOWN');
    nl.linkSet('h1', 'eth0', { up: true });
    expect(net.ipRoute('h1')).toBe('10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 \n');
    expect(net.walk(ping('h1', '10.0.0.2')).disposition).toBe('DELIVERED');
    // an address added while down has only its local route until up
    nl.linkSet('h2', 'eth0', { up: false });
    nl.addrAdd('h2', 'eth0', '10.1.0.2/24');
    expect(net.ipRoute('h2')).toBe('');
    expect(net.ipRoute('h2', 'local')).toContain('local 10.1.0.2 dev eth0');
    nl.linkSet('h2', 'eth0', { up: true });
    expect(net.ipRoute('h2')).toContain('10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.2');
    net.dispose();
  });

  it('link set mtu and address; errors change nothing', () => {
    const { net, nl } = twoHosts();
    nl.linkSet('h1', 'eth0', { mtu: 9000, address: '02:00:00:00:01:01' });
    expect(net.ipLink('h1')).toContain('eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 state UP\n    link/ether 02:00:00:00:01:01');
    refused(net, () => nl.linkSet('h1', 'eth0', { mtu: 20 }), /Invalid argument/);
    refused(net, () => nl.linkSet('h1', 'eth0', { address: 'zz' }), /zz/);
    refused(net, () => nl.linkSet('h1', 'eth0', { master: 'eth0' }), /Operation not supported/);
    refused(net, () => nl.linkSet('h1', 'eth0', { l2miss: true }), /vxlan/);
    refused(net, () => nl.linkSet('h1', 'eth7', { up: true }), /Cannot find device "eth7"/);
    refused(net, () => nl.linkDel('h1', 'lo'), /Operation not supported/);
    refused(net, () => nl.linkAdd('h1', { kind: 'dummy', name: 'eth0' }), /File exists/);
    refused(net, () => nl.linkAdd('h1', { kind: 'phys', name: 'eth1', segment: 'wan' }), /segment/);
    refused(net, () => nl.linkAdd('h1', { kind: 'veth', name: 'v0', peer: { name: 'v1', ns: 'h9' } }), /Cannot open network namespace "h9"/);
    refused(net, () => nl.linkAdd('h1', { kind: 'veth', name: 'v0', peer: { name: 'eth0', ns: 'h2' } }), /File exists/);
    refused(net, () => nl.linkAdd('h1', { kind: 'vxlan', name: 'vx0', id: 1 << 24 }), /VNI/);
    refused(net, () => nl.linkAdd('h1', { kind: 'vxlan', name: 'vx0', id: 1, dev: 'eth5' }), /Cannot find device "eth5"/);
    refused(net, () => nl.linkAdd('h1', { kind: 'vxlan', name: 'vx0', id: 1, dev: 'eth0', mtu: 65536 }), /Invalid argument/);
    refused(net, () => nl.linkAdd('h1', { kind: 'wifi', name: 'wl0' } as never), /phys, veth, bridge/);
    net.dispose();
  });

  it('veth pairs across namespaces, bridges and masters, and their removal', () => {
    const { net, nl } = twoHosts();
    nl.netnsAdd('c1', { node: 'h1' });
    nl.linkAdd('c1', { kind: 'veth', name: 'eth0', mac: '0a:00:00:00:00:02', peer: { name: 'vh1', ns: 'h1', mac: '0a:00:00:00:00:01' } });
    nl.linkAdd('h1', { kind: 'bridge', name: 'br0', mac: '0a:00:00:00:00:ff' });
    nl.linkSet('h1', 'vh1', { master: 'br0' });
    expect(net.ipLink('h1')).toContain('vh1@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state UP');
    expect(net.bridgeFdb('h1')).toContain('0a:00:00:00:00:ff dev br0 master br0 permanent\n');
    expect(net.bridgeFdb('h1')).toContain('0a:00:00:00:00:01 dev vh1 master br0 permanent\n');
    nl.addrAdd('h1', 'br0', '10.88.0.1/24');
    nl.addrAdd('c1', 'eth0', '10.88.0.2/24');
    nl.routeAdd('c1', 'default via 10.88.0.1 dev eth0');
    expect(net.walk(ping('c1', '10.0.0.1')).hops.map((h) => h.node)).toEqual(['c1', 'h1']);
    // the port's local FDB entry follows its MAC (br_fdb_changeaddr)
    nl.linkSet('h1', 'vh1', { address: '0a:00:00:00:00:11' });
    expect(net.bridgeFdb('h1')).toContain('0a:00:00:00:00:11 dev vh1 master br0 permanent\n');
    expect(net.bridgeFdb('h1')).not.toContain('0a:00:00:00:00:01 ');
    nl.linkSet('h1', 'vh1', { master: null });
    expect(net.bridgeFdb('h1')).not.toContain('vh1');
    expect(net.ipLink('h1')).not.toContain('master br0');
    nl.linkSet('h1', 'vh1', { master: 'br0' });
    // deleting one end deletes the pair (and the pod's routes through it)
    nl.linkDel('h1', 'vh1');
    expect(net.ipLink('c1')).not.toContain('eth0');
    expect(net.ipRoute('c1')).toBe('');
    expect(net.bridgeFdb('h1')).not.toContain('vh1');
    // deleting a bridge frees its ports
    nl.linkAdd('h1', { kind: 'veth', name: 'va', peer: { name: 'vb' } });
    nl.linkSet('h1', 'va', { master: 'br0' });
    nl.linkDel('h1', 'br0');
    expect(net.ipLink('h1')).not.toContain('master');
    expect(net.ipRoute('h1')).not.toContain('10.88.0.0/24');
    net.dispose();
  });

  it('link set netns moves a device (as CNI plugins move a veth end): it arrives down, bare, possibly renamed', () => {
    const { net, nl } = twoHosts();
    nl.netnsAdd('c1', { node: 'h1' });
    nl.linkAdd('h1', { kind: 'veth', name: 'vh', mac: '0a:00:00:00:00:01', peer: { name: 'vc', mac: '0a:00:00:00:00:02' } });
    nl.addrAdd('h1', 'vc', '10.77.0.2/24');
    nl.routeAdd('h1', '10.78.0.0/16 via 10.77.0.9 dev vc');
    refused(net, () => nl.linkSet('h1', 'vc', { netns: 'c9' }), /Cannot open network namespace "c9"/);
    refused(net, () => nl.linkSet('h1', 'lo', { netns: 'c1' }), /Invalid argument/);
    refused(net, () => nl.linkSet('h1', 'vc', { netns: 'c1', name: 'lo' }), /File exists/);
    refused(net, () => nl.linkSet('h1', 'vc', { name: 'eth5' }), /renaming in place/);
    nl.linkSet('h1', 'vc', { netns: 'c1', name: 'eth0' });
    expect(net.ipLink('h1')).not.toContain('vc');
    expect(net.ipRoute('h1')).not.toContain('10.7');
    expect(net.ipLink('c1')).toContain('eth0@if');
    expect(net.ipLink('c1')).toContain('state DOWN');
    expect(net.ipLink('h1')).toContain('vh@if2');
    nl.linkSet('c1', 'eth0', { up: true });
    nl.addrAdd('c1', 'eth0', '10.77.0.2/24');
    nl.addrAdd('h1', 'vh', '10.77.0.1/24');
    nl.routeAdd('c1', 'default via 10.77.0.1');
    expect(net.walk(ping('c1', '10.0.0.2')).hops.map((h) => h.node)).toEqual(['c1', 'h1', 'h2']);
    // a NIC moved keeps its switch port
    nl.netnsAdd('h3');
    nl.linkSet('h2', 'eth0', { netns: 'h3', up: true });
    nl.addrAdd('h3', 'eth0', '10.0.0.3/24');
    expect([...net.segments.get('lan')!.ports.keys()].sort()).toEqual(['h1.eth0', 'h2.eth0']);
    expect(net.walk(ping('h1', '10.0.0.3')).hops.map((h) => h.node)).toEqual(['h1', 'h3']);
    net.dispose();
  });

  it('a NIC deleted leaves its segment; vxlan devices over a deleted lower device go with it', () => {
    const { net, nl } = twoHosts();
    nl.linkAdd('h1', { kind: 'vxlan', name: 'vx0', id: 42, local: '10.0.0.1', dev: 'eth0', dstport: 4789, learning: false, proxy: true, ttl: 8, l2miss: true, l3miss: true });
    expect(net.ipLink('h1')).toContain('vxlan id 42 local 10.0.0.1 dev eth0 srcport 0 0 dstport 4789 nolearning proxy l2miss l3miss ttl 8');
    expect(net.ipLink('h1')).toContain('vx0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450');
    refused(net, () => nl.linkAdd('h1', { kind: 'vxlan', name: 'vx1', id: 42, dstport: 4789 }), /File exists/);
    nl.linkAdd('h1', { kind: 'ipip', name: 'tunl0', local: '10.0.0.1' });
    nl.linkAdd('h1', { kind: 'tun', name: 'flannel0', mtu: 1472 });
    expect(net.ipLink('h1')).toContain('ipip remote any local 10.0.0.1');
    expect(net.ipLink('h1')).toContain('flannel0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1472');
    nl.linkDel('h1', 'eth0');
    expect(net.ipLink('h1')).not.toContain('vx0');
    expect([...net.segments.get('lan')!.ports.keys()]).toEqual(['h2.eth0']);
    expect(net.walk(ping('h2', '10.0.0.1')).disposition).toBe('NEIGH_FAILED');
    nl.linkAdd('h1', { kind: 'phys', name: 'eth0', segment: 'lan', mac: '02:00:00:00:00:01' });
    nl.addrAdd('h1', 'eth0', '10.0.0.1/24');
    expect(net.walk(ping('h2', '10.0.0.1')).disposition).toBe('DELIVERED');
    net.dispose();
  });
});

describe('Netlink: neighbours and FDB', () => {
  it('neigh add, replace, del, load; errors change nothing', () => {
    const { net, nl } = twoHosts();
    nl.neighAdd('h1', '10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0');
    refused(net, () => nl.neighAdd('h1', '10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0'), /RTNETLINK answers: File exists/);
    refused(net, () => nl.neighAdd('h1', '10.0.0.8 lladdr 02:00:00:00:00:09 dev eth3'), /Cannot find device "eth3"/);
    refused(net, () => nl.neighAdd('h1', '10.0.0.8 lladdr 02:00:00:00:00:09'), /dev DEV/);
    refused(net, () => nl.neighAdd('h1', '10.0.0.8 dev eth0'), /No link layer address/);
    refused(net, () => nl.neighAdd('h1', '10.0.0.8 lladdr 02:00:00:00:00:09 dev eth0 nud bogus'), /nud permanent/);
    refused(net, () => nl.neighDel('h1', '10.0.0.8 dev eth0'), /RTNETLINK answers: No such file or directory/);
    nl.neighReplace('h1', { dst: '10.0.0.9', dev: 'eth0', lladdr: '02:00:00:00:00:19', nud: 'reachable' });
    expect(net.ipNeigh('h1')).toBe('10.0.0.9 dev eth0 lladdr 02:00:00:00:00:19 REACHABLE \n');
    nl.neighDel('h1', '10.0.0.9 dev eth0');
    expect(net.ipNeigh('h1')).toBe('');
    nl.neighLoad('h1', [{ dst: '10.0.0.20', dev: 'eth0', lladdr: '02:00:00:00:00:20' }, '10.0.0.21 lladdr 02:00:00:00:00:21 dev eth0']);
    expect(net.ipNeigh('h1').split('\n')).toHaveLength(3);
    refused(net, () => nl.neighLoad('h1', [{ dst: '10.0.0.22', dev: 'eth0', lladdr: '02:00:00:00:00:22' }, { dst: '10.0.0.21', dev: 'eth0', lladdr: '02:00:00:00:00:21' }]), /File exists.*batch item 1/);
    refused(net, () => nl.neighLoad('h1', [{ dst: '10.0.0.22', dev: 'eth0', lladdr: '02:00:00:00:00:22' }, { dst: '10.0.0.22', dev: 'eth0', lladdr: '02:00:00:00:00:22' }]), /File exists/);
    expect(nl.counters.neigh).toBe(1 + 1 + 1 + 2);
    net.dispose();
  });

  it('fdb add, append, replace, del and load on vxlan devices and bridge ports', () => {
    const net = buildScenario(core, flannel());
    const nl = Netlink.of(net);
    const m = vtepMac(3);
    nl.fdbAdd('node1', `${m} dev flannel.1 dst 10.0.0.3 self permanent`);
    refused(net, () => nl.fdbAdd('node1', `${m} dev flannel.1 dst 10.0.0.4 self permanent`), /RTNETLINK answers: File exists/);
    refused(net, () => nl.fdbAdd('node1', `${m} dev flannel.1`), /dst/);
    refused(net, () => nl.fdbAdd('node1', `${m} dev eth0 dst 10.0.0.3`), /vxlan device or a bridge port/);
    refused(net, () => nl.fdbAdd('node1', `${m} dev flannel.9 dst 10.0.0.3`), /Cannot find device "flannel.9"/);
    refused(net, () => nl.fdbAdd('node1', `${m} dev flannel.1 dst 10.0.0.3 vni 7`), /MAC dev DEV/);
    refused(net, () => nl.fdbDel('node1', `${vtepMac(4)} dev flannel.1`), /No such file or directory/);
    nl.fdbAppend('node1', { mac: '00:00:00:00:00:00', dev: 'flannel.1', dst: '10.0.0.5' });
    nl.fdbAppend('node1', { mac: '00:00:00:00:00:00', dev: 'flannel.1', dst: '10.0.0.6' });
    expect(net.bridgeFdb('node1').match(/^00:00:00:00:00:00/gm)).toHaveLength(2);
    nl.fdbReplace('node1', `${m} dev flannel.1 dst 10.0.0.7`);
    expect(net.bridgeFdb('node1')).toContain(`${m} dev flannel.1 dst 10.0.0.7 self permanent\n`);
    nl.fdbDel('node1', '00:00:00:00:00:00 dev flannel.1 dst 10.0.0.5');
    expect(net.bridgeFdb('node1').match(/^00:00:00:00:00:00/gm)).toHaveLength(1);
    // bridge ports
    nl.fdbAdd('node1', '0a:58:0a:f4:01:99 dev veth1a master static');
    expect(net.bridgeFdb('node1')).toContain('0a:58:0a:f4:01:99 dev veth1a master cni0 static\n');
    nl.fdbReplace('node1', '0a:58:0a:f4:01:99 dev veth1b master static');
    expect(net.bridgeFdb('node1')).toContain('0a:58:0a:f4:01:99 dev veth1b master cni0 static\n');
    nl.fdbDel('node1', '0a:58:0a:f4:01:99 dev veth1b master');
    expect(net.bridgeFdb('node1')).not.toContain('01:99');
    nl.fdbLoad('node1', [{ mac: vtepMac(5), dev: 'flannel.1', dst: '10.0.0.5' }, { mac: vtepMac(6), dev: 'flannel.1', dst: '10.0.0.6' }]);
    refused(net, () => nl.fdbLoad('node1', [{ mac: vtepMac(7), dev: 'flannel.1', dst: '10.0.0.7' }, { mac: vtepMac(5), dev: 'flannel.1', dst: '10.0.0.5' }]), /File exists.*batch item 1/);
    expect(net.bridgeFdb('node1')).toContain(`${vtepMac(6)} dev flannel.1 dst 10.0.0.6 self permanent\n`);
    net.dispose();
  });

  it('l2miss and l3miss are options of a live vxlan device; the FDB is kept, not rebuilt', () => {
    const net = buildScenario(core, flannel({ dynamic: true }));
    const nl = Netlink.of(net);
    const vx = net.ns('node1').iface('flannel.1').vxlan!;
    const fdb = vx.fdb;
    nl.fdbAdd('node1', `${vtepMac(9)} dev flannel.1 dst 10.0.0.9`);
    nl.setMissAgents('node1', 'flannel.1', { neigh: (q) => (q.dst === '10.244.2.0' ? { lladdr: vtepMac(2) } : undefined), fdb: () => ({ dst: '10.0.0.2' }) });
    // listeners alone do not make the kernel report misses; nor does l3miss: the neighbour table's app_solicit does (Linux)
    expect(net.walk(ping('p1', '10.244.2.2')).disposition).toBe('NEIGH_FAILED');
    nl.linkSet('node1', 'flannel.1', { l3miss: true });
    expect(net.walk(ping('p1', '10.244.2.2')).hops[1].steps.find((s) => s.kind === 'neighbour')!.action).toBe('NEIGH_FAILED');
    nl.sysctl('node1', 'net.ipv4.neigh.flannel/1.app_solicit', '3');
    const neighs = nl.counters.neigh;
    const l3 = net.walk(ping('p1', '10.244.2.2'));
    expect(nl.counters.neigh).toBe(neighs + 1);
    expect(l3.hops[1].steps.find((s) => s.kind === 'neighbour')!.action).toBe('AGENT');
    expect(l3.hops[1].steps.filter((s) => s.kind === 'fdb').at(-1)!.action).toBe('DROP');
    nl.linkSet('node1', 'flannel.1', { l2miss: true });
    const before = { ...nl.counters };
    // the L2 miss drops the frame; the answer serves the next one
    expect(net.walk(ping('p1', '10.244.2.2')).disposition).toBe('NEIGH_FAILED');
    expect(net.walk(ping('p1', '10.244.2.2')).disposition).toBe('DELIVERED');
    // the listeners' answers are their kernel changes, counted as events
    expect([nl.counters.neigh - before.neigh, nl.counters.fdb - before.fdb]).toEqual([0, 1]);
    expect(vx.fdb).toBe(fdb);
    expect(net.bridgeFdb('node1')).toContain(`${vtepMac(9)} dev flannel.1 dst 10.0.0.9 self permanent\n`);
    expect(net.ipLink('node1')).toContain('nolearning l2miss l3miss');
    nl.linkSet('node1', 'flannel.1', { l2miss: false, l3miss: false });
    expect(net.ipLink('node1')).toContain('nolearning\n');
    expect(net.ns('node1').neigh.paramsOf('flannel.1').appSolicit).toBe(3);
    net.dispose();
  });
});

describe('Netlink: sysctl and iptables', () => {
  it('sysctl sets forwarding, proxy_arp and neighbour parameters; bad keys and values change nothing', () => {
    const { net, nl } = twoHosts();
    nl.sysctl('h1', 'net.ipv4.ip_forward', '0');
    expect(net.ns('h1').ipForward).toBe(false);
    nl.sysctl('h1', 'net.ipv4.conf.eth0.proxy_arp', '1');
    expect(net.ns('h1').iface('eth0').proxyArp).toBe(true);
    nl.sysctl('h1', 'net.ipv4.neigh.eth0.app_solicit', '2');
    nl.sysctl('h1', 'net.ipv4.neigh.eth0.delay_first_probe_time', '3');
    expect(net.ns('h1').neigh.paramsOf('eth0')).toMatchObject({ appSolicit: 2, delayFirstProbeTimeMs: 3000 });
    refused(net, () => nl.sysctl('h1', 'net.ipv4.conf.eth5.proxy_arp', '1'), /cannot stat \/proc\/sys\/net\/ipv4\/conf\/eth5\/proxy_arp/);
    refused(net, () => nl.sysctl('h1', 'net.ipv4.ip_forward', 'yes'), /0 or 1/);
    refused(net, () => nl.sysctl('h1', 'net.ipv4.neigh.eth0.app_solicit', '-1'), /integer/);
    refused(net, () => nl.sysctl('h1', 'not a key', '1'), /sysctl key/);
    expect(nl.counters.sysctl).toBe(4);
    net.dispose();
  });

  const FILTER = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-X - [0:0]\n-A FORWARD -j KUBE-X\n-A KUBE-X -p udp --dport 53 -j DROP\nCOMMIT\n';
  const NAT = '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n';

  it('iptables-restore of a ruleset or one table, --noflush, errors change nothing', () => {
    const { net, nl } = twoHosts();
    nl.iptablesRestore('h1', FILTER);
    nl.iptablesRestore('h1', NAT);
    const save = net.iptablesSave('h1');
    expect(save).toContain('*nat\n');
    expect(save).toContain('-A KUBE-X -p udp -m udp --dport 53 -j DROP');
    refused(net, () => nl.iptablesRestore('h1', '*filter\n-A FORWARD -j NOWHERE\nCOMMIT\n'), /NOWHERE/);
    refused(net, () => nl.iptablesRestore('h1', '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j NOWHERE\nCOMMIT\n', { noflush: true }), /NOWHERE.*iptables:3/);
    // --noflush: rules appended, a jump to a chain loaded before, a declared user chain flushed, policy from the input
    nl.iptablesRestore('h1', '*filter\n:FORWARD ACCEPT [0:0]\n:KUBE-X - [0:0]\n-A FORWARD -p tcp -j KUBE-X\n-A KUBE-X -p tcp --dport 22 -j DROP\nCOMMIT\n', { noflush: true });
    const after = net.iptablesSave('h1');
    expect(after).toContain(':FORWARD ACCEPT');
    expect(after).toContain('[0:0] -A FORWARD -j KUBE-X\n[0:0] -A FORWARD -p tcp -j KUBE-X\n');
    expect(after).not.toContain('--dport 53');
    expect(after).toContain('-A POSTROUTING -o eth0 -j MASQUERADE');
    // without --noflush a table in the input replaces the loaded one, others stay
    nl.iptablesRestore('h1', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    expect(net.iptablesSave('h1')).not.toContain('KUBE-X');
    expect(net.iptablesSave('h1')).toContain('MASQUERADE');
    expect(nl.counters.iptables).toBe(4);
    net.dispose();
  });

  it('--noflush takes the commands Felix sends: -I, -R, -D (by number or rule), -N, -X, -F, -P; rule lines are the input lines', () => {
    const { net, nl } = twoHosts();
    nl.iptablesRestore('h1', FILTER);
    const felix = [
      '*filter',
      ':cali-FORWARD - [0:0]',
      '-I FORWARD 1 -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
      '-A cali-FORWARD -p udp --dport 53 -j ACCEPT',
      '-N cali-old',
      '-A cali-old -j DROP',
      '-F cali-old',
      '-X cali-old',
      '-R KUBE-X 1 -p udp --dport 54 -j DROP',
      '-P FORWARD ACCEPT',
      'COMMIT',
      '',
    ].join('\n');
    nl.iptablesRestore('h1', felix, { noflush: true });
    const save = net.iptablesSave('h1');
    expect(save).toContain(':FORWARD ACCEPT');
    expect(save).toContain('-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD\n[0:0] -A FORWARD -j KUBE-X\n');
    expect(save).toContain('-A KUBE-X -p udp -m udp --dport 54 -j DROP');
    expect(save).not.toContain('cali-old');
    // -D by rule text (as iptables-save prints it, or as written) and by number
    nl.iptablesRestore('h1', '*filter\n-D FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD\n-D KUBE-X 1\nCOMMIT\n', { noflush: true });
    expect(net.iptablesSave('h1')).not.toContain('cali:wUHhoiAYhphO9Mso');
    expect(net.iptablesSave('h1')).not.toContain('-A KUBE-X');
    refused(net, () => nl.iptablesRestore('h1', '*filter\n-D FORWARD -p tcp -j DROP\nCOMMIT\n', { noflush: true }), /Bad rule.*iptables:2|iptables:2.*Bad rule/);
    refused(net, () => nl.iptablesRestore('h1', '*filter\n-I FORWARD 9 -j DROP\nCOMMIT\n', { noflush: true }), /Index of insertion too big/);
    refused(net, () => nl.iptablesRestore('h1', '*filter\n-N KUBE-X\nCOMMIT\n', { noflush: true }), /Chain already exists/);
    refused(net, () => nl.iptablesRestore('h1', '*filter\n-A NOPE -j DROP\nCOMMIT\n', { noflush: true }), /NOPE.*iptables:2/);
    refused(net, () => nl.iptablesRestore('h1', '*filter\n-Z FORWARD\nCOMMIT\n', { noflush: true }), /-Z/);
    net.dispose();
  });

  it('a DROP rule in the trace names the line of the input that wrote it', () => {
    const { net, nl } = twoHosts();
    nl.iptablesRestore('h2', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\n# drop DNS\n-A INPUT -p udp --dport 53 -j DROP\nCOMMIT\n');
    const t = net.walk({ from: 'h1', to: '10.0.0.2', proto: 'udp', dport: 53 });
    expect(t.disposition).toBe('DENIED');
    expect(t.hops.at(-1)!.steps.at(-1)!.data).toMatchObject({ hook: 'INPUT', line: 7 });
    nl.iptablesRestore('h2', '*filter\n-I INPUT 1 -p udp --dport 53 -j DROP\nCOMMIT\n', { noflush: true });
    const u = net.walk({ from: 'h1', to: '10.0.0.2', proto: 'udp', dport: 53 });
    expect(u.hops.at(-1)!.steps.at(-1)!.data).toMatchObject({ hook: 'INPUT', line: 2, rule: 0 });
    net.dispose();
  });

  it('the compiled rules follow the devices: compiled again after a link change, the old engine freed', () => {
    const { net, nl } = twoHosts();
    nl.iptablesRestore('h2', FILTER);
    const first = net.ns('h2').ipt!.engine;
    expect(net.walk({ ...ping('h1', '10.0.0.2'), proto: 'udp', dport: 53 }).disposition).toBe('DELIVERED');
    nl.linkAdd('h2', { kind: 'dummy', name: 'dummy0' });
    const second = net.ns('h2').ipt!.engine;
    expect(second).not.toBe(first);
    expect(() => first.resetCounters()).toThrow(/Disposed/);
    // -i/-o names of devices made after the restore match
    nl.iptablesRestore('h2', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i eth1 -j DROP\nCOMMIT\n');
    nl.linkAdd('h2', { kind: 'phys', name: 'eth1', segment: 'lan', mac: '02:00:00:00:00:12' });
    nl.addrAdd('h2', 'eth1', '10.0.0.12/24');
    nl.linkDel('h2', 'eth0');
    expect(net.walk(ping('h1', '10.0.0.12')).disposition).toBe('DENIED');
    net.dispose();
  });
});

describe('Netlink: namespaces, pods, events, memory', () => {
  it('pods: podAdd makes namespace, veth pair, address, routes and neighbours; podDel removes them', () => {
    const net = buildScenario(core, calicoPair());
    const nl = Netlink.of(net);
    const seen: NlEvent[] = [];
    nl.listener = (e) => seen.push(e);
    nl.podAdd('node2', {
      name: 'b2',
      address: '192.168.2.3/32',
      mac: '02:bb:00:00:00:03',
      hostVeth: 'cali4',
      hostVethMac: 'ee:ee:ee:ee:ee:ee',
      routes: ['169.254.1.1 dev eth0 scope link', { dst: 'default', via: '169.254.1.1', dev: 'eth0' }],
      neigh: [{ dst: '169.254.1.1', lladdr: 'ee:ee:ee:ee:ee:ee', dev: 'eth0' }],
      hostRoutes: ['192.168.2.3 dev cali4 scope link'],
    });
    expect(seen.map((e) => `${e.kind} ${e.op} ${e.ns}`)).toEqual(['netns add b2', 'link add b2', 'addr add b2', 'route add b2', 'route add b2', 'neigh add b2', 'route add node2']);
    nl.sysctl('node2', 'net.ipv4.conf.cali4.proxy_arp', '1');
    expect(net.walk(ping('a', '192.168.2.3')).hops.map((h) => h.node)).toEqual(['a', 'node1', 'node2', 'b2']);
    const fib = net.ns('b2').fib;
    nl.podDel('b2');
    expect(fib.disposed).toBe(true);
    expect(net.namespaces.has('b2')).toBe(false);
    expect(net.ipLink('node2')).not.toContain('cali4');
    expect(net.ipRoute('node2')).not.toContain('192.168.2.3');
    expect(net.walk(ping('a', '192.168.2.3')).disposition).not.toBe('DELIVERED');
    // scenario pods are pods too
    nl.podDel('a2');
    expect(net.ipRoute('node1')).not.toContain('cali2');
    refused(net, () => nl.podDel('a2'), /podAdd/);
    net.dispose();
  });

  it('a pod that fails half way is undone: tables and counters as before', () => {
    const net = buildScenario(core, flannel());
    const nl = Netlink.of(net);
    const pod = { name: 'p9', address: '10.244.1.9/24', mac: '0a:58:0a:f4:01:09', hostVeth: 'veth1z', hostVethMac: '7e:00:00:00:01:09', bridge: 'cni0', routes: ['default via 10.244.1.1 dev eth0'] };
    refused(net, () => nl.podAdd('node1', { ...pod, routes: ['default via 10.244.7.1 dev eth0'] }), /Nexthop has invalid gateway/);
    refused(net, () => nl.podAdd('node1', { ...pod, neigh: ['10.244.1.1 lladdr 0a:58:0a:f4:01:01 dev eth4'] }), /Cannot find device "eth4"/);
    refused(net, () => nl.podAdd('node1', { ...pod, bridge: 'eth0' }), /not a bridge device/);
    refused(net, () => nl.podAdd('node1', { ...pod, hostVeth: 'veth1a' }), /File exists/);
    refused(net, () => nl.podAdd('node1', { ...pod, name: 'p2' }), /File exists/);
    refused(net, () => nl.podAdd('node1', { ...pod, hostRoutes: ['10.244.1.9 dev veth1z', '10.244.1.9 dev veth1z'] }), /File exists/);
    nl.podAdd('node1', pod);
    expect(net.walk(ping('p9', '10.244.2.2')).disposition).toBe('DELIVERED');
    net.dispose();
  });

  it('netns del frees the namespace WASM tables and the iptables engine; memory is reused', () => {
    const net = createNetwork(core);
    const nl = Netlink.of(net);
    nl.netnsAdd('x');
    nl.linkAdd('x', { kind: 'dummy', name: 'd0' });
    nl.addrAdd('x', 'd0', '10.0.0.1/16');
    nl.iptablesRestore('x', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n');
    const n = net.ns('x');
    const engine = n.ipt!.engine;
    nl.netnsDel('x');
    expect(n.fib.disposed).toBe(true);
    expect(() => engine.resetCounters()).toThrow(/Disposed/);
    refused(net, () => nl.netnsDel('x'), /Cannot open network namespace "x"/);
    // the same namespace made and removed again: WASM memory does not grow
    const cycle = () => {
      nl.netnsAdd('y');
      nl.linkAdd('y', { kind: 'dummy', name: 'd0' });
      nl.addrAdd('y', 'd0', '10.0.0.1/8');
      nl.routeLoad('y', Array.from({ length: 3000 }, (_, k) => ({ dst: `11.${k >> 8}.${k & 255}.0/24`, via: '10.0.0.2' })));
      nl.iptablesRestore('y', '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n');
      net.walk(ping('y', '11.1.2.3'));
      nl.netnsDel('y');
    };
    cycle();
    cycle();
    const bytes = core.memoryBytes;
    for (let k = 0; k < 5; k++) cycle();
    expect(core.memoryBytes).toBe(bytes);
    net.dispose();
  });

  it('netns del takes the veth peers in other namespaces and the routes through them', () => {
    const net = buildScenario(core, flannel());
    const nl = Netlink.of(net);
    nl.netnsDel('p1');
    expect(net.ipLink('node1')).not.toContain('veth1a');
    expect(net.bridgeFdb('node1')).not.toContain('veth1a');
    expect(net.walk(ping('q1', '10.244.2.2')).disposition).toBe('DELIVERED');
    refused(net, () => nl.netnsAdd('q1'), /File exists/);
    refused(net, () => nl.netnsAdd('a b'), /namespace name/);
    refused(net, () => nl.segmentAdd('lan'), /File exists/);
    net.dispose();
  });

  it('counts every change per kind, and a scenario build through the door counts its commands', () => {
    const net = buildScenario(core, flannel());
    const nl = Netlink.of(net);
    // 2 nodes: 3 links each, 2 pods each (a veth pair, its host end enslaved); addresses 3 + 2 per node; 1 route + 2 pod routes; 1 neigh, 1 fdb; 1 sysctl
    expect(nl.counters).toEqual({ netns: 6, segment: 1, link: 14, addr: 10, route: 6, neigh: 2, fdb: 2, sysctl: 2, iptables: 0 });
    nl.events.reset();
    expect(nl.counters.route).toBe(0);
    net.dispose();
  });
});
