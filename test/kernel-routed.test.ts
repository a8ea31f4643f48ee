import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, Netlink } from '../src/kernel/index.js';
import { calicoPair } from './support/kernel-scenarios.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

describe('kernel model: Calico routed pods on one L2 segment', () => {
  it('walks a ping pod a -> node1 -> node2 -> pod b, DELIVERED', () => {
    const net = buildScenario(core, calicoPair());
    const t = net.walk({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['a', 'node1', 'node2', 'b']);
    const kinds = t.hops[1].steps.map((s) => s.kind);
    expect(kinds).toEqual(['receive', 'route', 'forward', 'neighbour', 'transmit', 'wire']);
    expect(t.hops[1].steps[1].detail).toBe('192.168.2.0/26 via 10.0.0.2 dev eth0 proto bird');
    // the pod resolved 169.254.1.1 by proxy ARP on cali1
    expect(t.hops[0].steps.find((s) => s.kind === 'neighbour')!.detail).toBe('169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee REACHABLE: resolved by ARP');
    expect(net.ipNeigh('a')).toContain('169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee REACHABLE');
    // TTL: 64 at the sender, 62 on arrival in pod b
    expect(t.hops[3].steps[0].detail).toContain('ttl 62');
    net.dispose();
  });

  it('walks the echo reply back; an asymmetric hole drops only the reply', () => {
    const net = buildScenario(core, calicoPair());
    const rt = net.walkRoundTrip({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(rt.reply!.disposition).toBe('DELIVERED');
    expect(rt.reply!.hops.map((h) => h.node)).toEqual(['b', 'node2', 'node1', 'a']);
    expect(rt.reply!.hops[3].steps.at(-1)!.detail).toBe('icmp 192.168.1.2 delivered to the local stack of a (in eth0)');
    Netlink.of(net).routeDel('node2', '192.168.1.0/26');
    const one = net.walkRoundTrip({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(one.request.disposition).toBe('DELIVERED');
    // node2 now sends the reply to its default router, which nobody answers ARP for
    expect(one.reply!.disposition).toBe('NEIGH_FAILED');
    expect(net.walkRoundTrip({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'udp', expect: 'DELIVERED' }).reply).toBeUndefined();
    net.dispose();
  });

  it('ARP: the answerer learns the asker; with arpFrames the request and reply are captured', () => {
    const net = buildScenario(core, calicoPair(), { arpFrames: true });
    net.walk({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED' });
    // node1 answered by proxy ARP and learnt pod a (neigh_event_ns)
    expect(net.ipNeigh('node1')).toContain('192.168.1.2 dev cali1 lladdr 02:aa:00:00:00:02 ');
    const [req, rep, data] = net.capture('a', 'eth0');
    expect(req.length).toBe(42);
    expect([...req.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    expect([...req.subarray(12, 22)]).toEqual([8, 6, 0, 1, 8, 0, 6, 4, 0, 1]);
    expect([...req.subarray(28, 32)]).toEqual([192, 168, 1, 2]);
    expect([...req.subarray(38, 42)]).toEqual([169, 254, 1, 1]);
    expect([rep[21], ...rep.subarray(6, 12), ...rep.subarray(28, 32)]).toEqual([2, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 169, 254, 1, 1]);
    expect(data[12] << 8 | data[13]).toBe(0x0800);
    // on the segment: node1 asks for node2 from its own address; both NICs see it
    const seg = net.capture('lan', 'node2.eth0');
    expect([...seg[0].subarray(28, 32), ...seg[0].subarray(38, 42)]).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect(net.ipNeigh('node2')).toContain('10.0.0.1 dev eth0 lladdr 02:00:00:00:00:01 ');
    net.dispose();
  });

  it('prints ip route in iproute2 format, connected and local routes implied', () => {
    const net = buildScenario(core, calicoPair());
    expect(net.ipRoute('node1')).toBe(
      ['default via 10.0.0.254 dev eth0', '10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1', '192.168.1.2 dev cali1 scope link', '192.168.1.3 dev cali2 scope link', '192.168.2.0/26 via 10.0.0.2 dev eth0 proto bird', 'blackhole 192.168.9.0/24', ''].join(' \n'),
    );
    expect(net.ipRoute('node1', 'local')).toBe(
      [
        'local 10.0.0.1 dev eth0 proto kernel scope host src 10.0.0.1',
        'broadcast 10.0.0.255 dev eth0 proto kernel scope link src 10.0.0.1',
        'local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1',
        'local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1',
        'broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1',
        '',
      ].join(' \n'),
    );
    expect(net.ipRoute('a')).toBe('default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n');
    expect(net.ipRouteGet('a', '192.168.2.2')).toBe('192.168.2.2 via 169.254.1.1 dev eth0 src 192.168.1.2');
    expect(net.ipRouteGet('node1', '10.0.0.1')).toBe('local 10.0.0.1 dev lo src 10.0.0.1');
    expect(net.ipRouteGet('node1', '192.168.9.1')).toBe('RTNETLINK answers: Invalid argument');
    expect(net.ipRouteGet('b', '8.8.8.8')).toBe('8.8.8.8 via 169.254.1.1 dev eth0 src 192.168.2.2');
    expect(net.ipRouteGet('node2', '8.8.8.8')).toBe('8.8.8.8 via 10.0.0.254 dev eth0 src 10.0.0.2');
    net.dispose();
  });

  it('reaches a pod on the same node (cali1 -> cali2) and itself', () => {
    const net = buildScenario(core, calicoPair());
    const t = net.walk({ name: 'p', from: 'a', to: '192.168.1.3', proto: 'udp', dport: 80, expect: 'DELIVERED' });
    expect(t.disposition).toBe('DELIVERED');
    expect(t.hops.map((h) => h.node)).toEqual(['a', 'node1', 'a2']);
    const self = net.walk({ name: 'p', from: 'a', to: '192.168.1.2', proto: 'icmp', expect: 'DELIVERED' });
    expect(self.disposition).toBe('DELIVERED');
    expect(self.hops.map((h) => h.node)).toEqual(['a']);
    net.dispose();
  });

  it('blackhole -> NULL_ROUTED with the route line', () => {
    const net = buildScenario(core, calicoPair());
    const t = net.walk({ name: 'p', from: 'a', to: '192.168.9.9', proto: 'icmp', expect: 'NULL_ROUTED' });
    expect(t.disposition).toBe('NULL_ROUTED');
    const last = t.hops[t.hops.length - 1];
    expect(last.node).toBe('node1');
    expect(last.steps[last.steps.length - 1]).toMatchObject({ kind: 'route', detail: 'blackhole 192.168.9.0/24', action: 'NULL_ROUTED' });
    net.dispose();
  });

  it('no route -> NO_ROUTE, no neighbour -> NEIGH_FAILED', () => {
    const net = buildScenario(core, calicoPair());
    Netlink.of(net).routeDel('node2', 'default');
    expect(net.ipRouteGet('node2', '8.8.8.8')).toBe('RTNETLINK answers: Network is unreachable');
    const t = net.walk({ name: 'p', from: 'node2', to: '172.16.0.1', proto: 'icmp', expect: 'NO_ROUTE' });
    expect(t.disposition).toBe('NO_ROUTE');
    expect(t.hops.map((h) => h.node)).toEqual(['node2']);
    // Linux answers proxy ARP only for addresses it has a route to: without
    // a default route node2 no longer answers for 169.254.1.1.
    const b = net.walk({ name: 'p', from: 'b', to: '172.16.0.1', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(b.disposition).toBe('NEIGH_FAILED');
    expect(b.hops.map((h) => h.node)).toEqual(['b']);
    // no router answers ARP for 10.0.0.254: NEIGH_FAILED at node1
    const n = net.walk({ name: 'p', from: 'a', to: '172.16.0.1', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(n.disposition).toBe('NEIGH_FAILED');
    expect(n.hops.map((h) => h.node)).toEqual(['a', 'node1']);
    expect(net.ipNeigh('node1')).toContain('10.0.0.254 dev eth0 FAILED');
    net.dispose();
  });

  it('DROP rule in FORWARD -> DENIED naming the rule', () => {
    const net = buildScenario(core, calicoPair());
    const t = net.walk({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 53, expect: 'DENIED' });
    expect(t.disposition).toBe('DENIED');
    const nf = t.hops[2].steps.find((s) => s.kind === 'netfilter' && s.action === 'DROP')!;
    expect(nf.detail).toBe('FORWARD filter FORWARD rule 0 (line 5): -A FORWARD -p udp -m udp --dport 53 -j DROP');
    expect(nf.data).toMatchObject({ hook: 'FORWARD', table: 'filter', chain: 'FORWARD', rule: 0, line: 5, verdict: 'DROP' });
    // other ports pass the FORWARD policy, recorded as such
    const ok = net.walk({ name: 'p', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 54, expect: 'DELIVERED' });
    expect(ok.disposition).toBe('DELIVERED');
    expect(ok.hops[2].steps.some((s) => s.kind === 'netfilter' && s.detail.includes('policy'))).toBe(true);
    expect(net.iptablesSave('node2')).toContain('-A FORWARD -p udp -m udp --dport 53 -j DROP');
    expect(net.iptablesSave('node1')).toBe('');
    net.dispose();
  });

  it('TTL expiry at the first router: TTL_EXCEEDED with the ICMP recorded', () => {
    const net = buildScenario(core, calicoPair());
    const sent = net.send({ from: 'a', to: '192.168.2.2', proto: 'icmp', ttl: 1 });
    const t = sent.trace;
    expect(t.disposition).toBe('TTL_EXCEEDED');
    const last = t.hops[t.hops.length - 1];
    expect(last.node).toBe('node1');
    expect(last.steps[last.steps.length - 1].data).toEqual({ icmp: { type: 11, code: 0 } });
    // the time exceeded error walks back to the pod from node1's address, TOS 0xc0, quoting the packet
    expect(sent.errors).toHaveLength(1);
    expect(sent.errors[0].disposition).toBe('DELIVERED');
    expect(sent.errors[0].hops.map((h) => h.node)).toEqual(['node1', 'a']);
    const err = net.capture('node1', 'cali1').at(-1)!;
    expect([err[15], err[22], err[23], err[34], err[35]]).toEqual([0xc0, 64, 1, 11, 0]);
    expect([...err.subarray(26, 34)]).toEqual([10, 0, 0, 1, 192, 168, 1, 2]);
    expect(err[42 + 8]).toBe(1); // quoted TTL as received
    const sent2 = net.send({ from: 'a', to: '192.168.2.2', proto: 'icmp', ttl: 2 });
    const t2 = sent2.trace;
    expect(sent2.errors[0].hops.map((h) => h.node)).toEqual(['node2', 'node1', 'a']);
    expect(t2.hops[t2.hops.length - 1].node).toBe('node2');
    net.dispose();
  });
});
