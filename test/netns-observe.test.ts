// Replays the real-kernel runs recorded in test/fixtures/kernel-scenarios
// (made by test/netns-run.kernel.test.ts with CNIKIT_KERNEL_FIXTURES) through
// the observer, without root.
import { describe, expect, it } from 'vitest';
import { loadFacts } from './support/kernel-fixtures.js';
import { SCENARIOS, sameL2, dropRule } from '../src/scenarios/index.js';
import { fromFixture, toFixture, type FixtureIndex } from '../src/netns/fixture.js';
import { icmpDisposition, observe, ownerOf, packetsOf, type ProbeFacts } from '../src/netns/observe.js';
import { dropCount, inWindow, senderArgv, DEFAULT_SPORT } from '../src/netns/run.js';

describe('observe (replayed real-kernel captures)', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: the recorded kernel run gives every probe its expected disposition and path`, () => {
      const facts = loadFacts(s.name);
      expect(facts.length).toBe(s.probes.length);
      for (const [i, p] of s.probes.entries()) {
        const o = observe(s, p, facts[i]);
        expect([o.probe, o.disposition, o.path]).toEqual([p.name, p.expect, p.path]);
      }
    });
  }

  it('sees the VXLAN inner packet on the underlay wire', () => {
    const f = loadFacts('vxlan-overlay')[0];
    const outer = f.frames['node1/eth0'].map((x) => packetsOf(x.data)).find((ps) => ps.length === 2)!;
    expect(outer[0]).toMatchObject({ src: '10.0.0.11', dst: '10.0.0.12', proto: 17 });
    expect(outer[1]).toMatchObject({ src: '10.244.1.2', dst: '10.244.2.2', proto: 1, ttl: 63 });
  });

  it('falls back on DROP counters, route get, and sender errors when nothing comes back', () => {
    const p = sameL2.probes[0];
    const empty = (x: Partial<ProbeFacts>): ProbeFacts => ({ frames: {}, denied: [], routeGet: {}, ...x });
    expect(observe(sameL2, p, empty({ senderError: 'ping: sendmsg: Message too long' })).disposition).toBe('MTU_EXCEEDED');
    expect(observe(sameL2, p, empty({ senderError: 'connect: Network is unreachable' })).disposition).toBe('NO_ROUTE');
    const seen = loadFacts('drop-rule')[0];
    expect(observe(dropRule, dropRule.probes[0], seen).disposition).toBe('DENIED');
    expect(observe(dropRule, dropRule.probes[0], { ...seen, denied: [] }).disposition).toBe('NEIGH_FAILED');
    expect(icmpDisposition(3, 0)).toBe('NO_ROUTE');
    expect(icmpDisposition(3, 1)).toBe('NULL_ROUTED');
    expect(icmpDisposition(3, 13)).toBe('DENIED');
    expect(icmpDisposition(3, 3)).toBeUndefined();
    expect(icmpDisposition(0, 0)).toBeUndefined();
    expect(ownerOf(sameL2, '10.0.0.12')).toBe('node2');
    expect(ownerOf(sameL2, '10.9.9.9')).toBeUndefined();
  });

  it('fixtures round-trip and are checked for length', () => {
    const facts = loadFacts('same-l2');
    const { index, pcap } = toFixture('same-l2', facts);
    expect(fromFixture(index, pcap)).toEqual(facts);
    const short: FixtureIndex = { ...index, probes: [...index.probes, { denied: [], routeGet: {}, wires: [['x/y', 1]] }] };
    expect(() => fromFixture(short, pcap)).toThrow(expect.objectContaining({ code: 'FixtureShort' }));
    expect(() => fromFixture({ ...index, probes: index.probes.slice(1) }, pcap)).toThrow(expect.objectContaining({ code: 'FixtureLong' }));
  });
});

describe('netns-run helpers', () => {
  it('sends ICMP with ping and UDP with a pinned source port', () => {
    expect(senderArgv({ name: 'p', from: 'a', to: '10.0.0.1', proto: 'icmp', ttl: 2, size: 1422, df: false, expect: 'DELIVERED' })).toEqual(['ping', '-n', '-c', '1', '-W', '1', '-t', '2', '-s', '1422', '-M', 'dont', '10.0.0.1']);
    const u = senderArgv({ name: 'p', from: 'a', to: '10.0.0.1', proto: 'udp', expect: 'DELIVERED' });
    expect(u[0]).toBe('python3');
    expect(u.slice(3)).toEqual(['10.0.0.1', '9', String(DEFAULT_SPORT), '56', '64', '1']);
  });

  it('sums DROP/REJECT counters of iptables-save -c and cuts frames by time', () => {
    expect(dropCount('*filter\n:FORWARD ACCEPT [9:9]\n[3:84] -A FORWARD -p udp -j DROP\n[2:1] -A FORWARD -j REJECT --reject-with icmp-port-unreachable\n[7:7] -A FORWARD -j ACCEPT\nCOMMIT\n')).toBe(5);
    const f = [1n, 5n, 9n].map((ts) => ({ ts, data: new Uint8Array(1) }));
    expect(inWindow(f, 5n, 9n).map((x) => x.ts)).toEqual([5n]);
  });
});
