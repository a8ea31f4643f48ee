import { beforeAll, describe, expect, it } from 'vitest';
import { createCoreSync, type Core } from '../src/core/core.js';
import { InputError } from '../src/core/errors.js';
import { IptEngine, ReferenceEngine, saveRuleset, formatPacket, natApplies, packetFromJson, parseIpsets, parsePacket, parseRuleset, describeRule, type Hook, type IptContext, type Packet } from '../src/iptables/all.js';
import { PKT_STRIDE } from '../assembly/shared/ipt.js';

let core: Core;
beforeAll(() => {
  core = createCoreSync();
});

const CTX: IptContext = { interfaces: [{ name: 'eth0', addrs: ['10.0.0.5/24'] }] };

/** Walks with both engines, checks they agree, returns the reference result. */
function both(text: string, hook: Hook, pkt: string | Packet, ctx: IptContext = CTX, sets = '') {
  const ipsets = parseIpsets(sets);
  const rs = parseRuleset(text, { ipsets });
  const ref = new ReferenceEngine(rs, ipsets, ctx);
  const eng = new IptEngine(core, rs, { ipsets, ctx, minRun: 1 });
  const p = typeof pkt === 'string' ? parsePacket(pkt) : pkt;
  const t = ref.trace(hook, p);
  for (const mode of ['classified', 'linear'] as const) {
    const [w] = eng.walk(hook, [p], mode);
    expect(w.verdict).toBe(t.result.verdict);
    expect(w.rule).toEqual(t.result.rule);
    expect(w.packet).toEqual(t.result.packet);
  }
  eng.dispose();
  return { ...t.result, trace: t, ref };
}

describe('netfilter traversal', () => {
  it('RETURN from a goto-ed chain returns to the caller of the chain that did the goto', () => {
    const text = '*filter\n:FORWARD DROP [0:0]\n:a - [0:0]\n:b - [0:0]\n-A FORWARD -j a\n-A FORWARD -j ACCEPT\n-A a -g b\n-A a -j DROP\n-A b -j RETURN\nCOMMIT\n';
    const r = both(text, 'FORWARD', 'proto=tcp');
    expect(r.verdict).toBe('ACCEPT');
    expect(r.rule).toMatchObject({ chain: 'FORWARD', index: 1, line: 6 });
    const steps = r.trace.hops[0].steps.map((s) => `${s.kind}:${s.action}`);
    expect(steps).toEqual(['table:ENTER', 'rule:JUMP a', 'rule:GOTO b', 'rule:RETURN', 'return:CONTINUE', 'rule:ACCEPT', 'verdict:ACCEPT']);
    expect(r.trace.disposition).toBe('ACCEPTED');
  });

  it('falling off a chain goto-ed from a built-in chain applies the policy', () => {
    const r = both('*filter\n:INPUT DROP [0:0]\n:b - [0:0]\n-A INPUT -g b\n-A INPUT -j ACCEPT\n-A b -p udp -j ACCEPT\nCOMMIT\n', 'INPUT', 'proto=tcp');
    expect(r.verdict).toBe('DROP');
    expect(r.rule).toEqual({ table: 'filter', chain: 'INPUT', index: 2, line: 2, policy: true });
    expect(describeRule(r.rule!)).toBe('filter INPUT policy (line 2)');
    expect(r.trace.disposition).toBe('DENIED');
  });

  it('marks set by one rule are seen by the next, across tables', () => {
    const text = '*mangle\n:FORWARD ACCEPT [0:0]\n-A FORWARD -i cali+ -j MARK --set-xmark 0x10000/0x10000\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m mark --mark 0x10000/0x10000 -j ACCEPT\nCOMMIT\n';
    const r = both(text, 'FORWARD', 'in=cali9 out=eth0 mark=0x1');
    expect(r.verdict).toBe('ACCEPT');
    expect(r.packet.mark).toBe(0x10001);
    const mark = r.trace.hops[0].steps.find((s) => s.action === 'MARK')!;
    expect(mark.data).toMatchObject({ markBefore: '0x1', markAfter: '0x10001', table: 'mangle' });
    expect(both(text, 'FORWARD', 'in=eth1 out=eth0').verdict).toBe('DROP');
  });

  it('NOTRACK makes the packet UNTRACKED and nat is skipped; nat only sees NEW connections', () => {
    const text = '*raw\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p udp -j NOTRACK\nCOMMIT\n*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j DNAT --to-destination 10.9.9.9:53\nCOMMIT\n*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -m conntrack --ctstate DNAT -d 10.9.9.9 -j ACCEPT\n-A OUTPUT -m conntrack --ctstate UNTRACKED -j REJECT\nCOMMIT\n';
    const udp = both(text, 'OUTPUT', 'proto=udp dst=1.1.1.1 dport=5353');
    expect(udp.verdict).toBe('REJECT');
    expect(udp.trace.hops[0].steps.some((s) => s.action === 'SKIPPED')).toBe(true);
    const tcp = both(text, 'OUTPUT', 'proto=tcp dst=1.1.1.1 dport=80');
    expect(tcp.verdict).toBe('ACCEPT');
    expect(formatPacket(tcp.packet)).toContain('dst=10.9.9.9 sport=0 dport=53');
    expect(tcp.packet.state).toBe(8 | 64);
    const est = both(text, 'OUTPUT', 'proto=tcp dst=1.1.1.1 dport=80 state=ESTABLISHED');
    expect(est.verdict).toBe('DROP');
    expect(natApplies(8)).toBe(true);
    expect(natApplies(2)).toBe(false);
  });

  it('without a rule that needs conntrack the kernel does not track, and nat is never consulted', () => {
    // Why this test? Since Linux 4.10 conntrack hooks are registered per namespace only while a rule
    // needs them; a ruleset whose nat chains hold no NAT target and no other rule uses conntrack sees
    // the nat chains' counters stay at zero (the kernel lane found nat PREROUTING policy 0:0 where
    // cnikit counted 40 packets).
    const nat = '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -p udp\nCOMMIT\n';
    const walkBoth = (text: string, ctx: IptContext = CTX): number[] => {
      const rs = parseRuleset(text);
      const ref = new ReferenceEngine(rs, new Map(), ctx);
      const eng = new IptEngine(core, rs, { ctx, minRun: 1 });
      const p = parsePacket('proto=udp src=10.1.2.3 dst=10.9.9.9 dport=53 in=eth0 state=NEW');
      ref.walk('PREROUTING', p);
      eng.walk('PREROUTING', [p]);
      const rule = rs.tables.get('nat')!.chains.get('PREROUTING')!.rules[0];
      const got = [ref.counters.get(rule)?.packets ?? 0, eng.counters().get(rule)?.packets ?? 0];
      eng.dispose();
      return got;
    };
    const raw = (r: string): string => `*raw\n:PREROUTING ACCEPT [0:0]\n${r}\nCOMMIT\n`;
    // Checked against iptables-legacy in a namespace: NOTRACK and CT --notrack take no conntrack reference, CT --zone does.
    expect(walkBoth(nat)).toEqual([0, 0]);
    expect(walkBoth(raw('-A PREROUTING -p tcp -j NOTRACK') + nat)).toEqual([0, 0]);
    expect(walkBoth(raw('-A PREROUTING -p tcp -j CT --notrack') + nat)).toEqual([0, 0]);
    expect(walkBoth(raw('-A PREROUTING -p tcp -j CT --zone 1') + nat)).toEqual([1, 1]);
    expect(walkBoth(nat + '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate NEW\nCOMMIT\n')).toEqual([1, 1]);
    expect(walkBoth(nat.replace('-A PREROUTING -p udp\n', '-A PREROUTING -p udp\n-A PREROUTING -p tcp -j DNAT --to-destination 10.9.9.9\n'))).toEqual([1, 1]);
    // Another conntrack user (nftables, IPVS) keeps it on.
    expect(walkBoth(nat, { ...CTX, conntrack: true })).toEqual([1, 1]);
    const trace = new ReferenceEngine(parseRuleset(nat), new Map(), CTX).trace('PREROUTING', parsePacket('proto=udp state=NEW'));
    expect(trace.hops[0].steps[0]).toMatchObject({ action: 'SKIPPED', data: { reason: expect.stringContaining('conntrack') } });
  });

  it('raw runs before conntrack: state matches see INVALID there, the described state afterwards', () => {
    const text = '*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -m conntrack --ctstate NEW -j DROP\n-A PREROUTING -m state --state INVALID -j MARK --set-xmark 0x1/0x1\nCOMMIT\n*mangle\n:PREROUTING DROP [0:0]\n-A PREROUTING -m conntrack --ctstate NEW -j ACCEPT\nCOMMIT\n';
    const r = both(text, 'PREROUTING', 'proto=tcp state=NEW in=eth0');
    expect(r.verdict).toBe('ACCEPT');
    expect(r.rule).toMatchObject({ table: 'mangle', index: 0 });
    expect(r.packet).toMatchObject({ mark: 1, state: 8 });
  });

  it('POSTROUTING sees the input device of a forwarded packet, OUTPUT none', () => {
    const text = '*mangle\n:POSTROUTING DROP [0:0]\n:OUTPUT DROP [0:0]\n:c - [0:0]\n-A POSTROUTING -j c\n-A OUTPUT -j c\n-A c -i eth1 -j ACCEPT\nCOMMIT\n';
    expect(both(text, 'POSTROUTING', 'in=eth1 out=eth0').verdict).toBe('ACCEPT');
    expect(both(text, 'OUTPUT', 'in=eth1 out=eth0').verdict).toBe('DROP');
  });

  it('SNAT and MASQUERADE rewrite the source; MASQUERADE without an address drops', () => {
    const text = '*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE --to-ports 2000\n-A POSTROUTING -o eth9 -j MASQUERADE\n-A POSTROUTING -j SNAT --to-source 10.7.7.7\nCOMMIT\n';
    const m = both(text, 'POSTROUTING', 'proto=udp src=192.168.0.2 sport=5 out=eth0');
    expect(formatPacket(m.packet)).toContain('src=10.0.0.5 dst=0.0.0.0 sport=2000');
    expect(m.packet.state).toBe(8 | 32);
    expect(both(text, 'POSTROUTING', 'proto=udp out=eth9').verdict).toBe('DROP');
    const s = both(text, 'POSTROUTING', 'proto=icmp src=192.168.0.2 out=eth1');
    expect(s.packet.src).toBe(0x0a070707);
  });

  it('addrtype uses the local table (with --limit-iface-in), rpfilter the route check option', () => {
    const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT\n-A INPUT -m addrtype --dst-type BROADCAST -j ACCEPT\n-A INPUT -m rpfilter --invert -j REJECT\n-A INPUT -m addrtype ! --src-type UNICAST -j RETURN\nCOMMIT\n';
    expect(both(text, 'INPUT', 'dst=10.0.0.5 in=eth0').verdict).toBe('ACCEPT');
    expect(both(text, 'INPUT', 'dst=10.0.0.255 in=eth1').rule?.index).toBe(1);
    expect(both(text, 'INPUT', 'dst=10.0.0.5 in=eth1 src=1.1.1.1').verdict).toBe('DROP');
    expect(both(text, 'INPUT', 'dst=10.0.0.5 in=eth1 rpf=0').verdict).toBe('REJECT');
    expect(both(text, 'INPUT', 'dst=10.0.0.5 in=lo rpf=0').verdict).toBe('DROP');
    const strictFails: IptContext = { ...CTX, rpfilter: (_p, o) => o.loose };
    expect(both(text, 'INPUT', 'dst=10.0.0.5 in=eth1', strictFails).verdict).toBe('REJECT');
    expect(both(text, 'INPUT', 'dst=127.0.0.1 in=eth1').verdict).toBe('DROP');
    expect(both(text, 'INPUT', 'dst=224.0.0.1 in=eth1 src=0.0.0.0').verdict).toBe('DROP');
  });

  it('sets match on src/dst and ip,port; too few flags never match', () => {
    const sets = 'create s hash:ip,port\nadd s 10.0.0.1,udp:53\ncreate p bitmap:port\nadd p 22';
    const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -m set --match-set s dst -j REJECT\n-A INPUT -m set --match-set s dst,dst -j ACCEPT\n-A INPUT -m set ! --match-set p src -j RETURN\n-A INPUT -j ACCEPT\nCOMMIT\n';
    expect(both(text, 'INPUT', 'proto=udp dst=10.0.0.1 dport=53 sport=22', CTX, sets).rule?.index).toBe(1);
    expect(both(text, 'INPUT', 'proto=udp dst=10.0.0.1 dport=54 sport=22', CTX, sets).rule?.index).toBe(3);
    expect(both(text, 'INPUT', 'proto=icmp dst=10.0.0.1', CTX, sets).verdict).toBe('DROP');
  });

  it('--syn and --tcp-flags test the TCP flags (default SYN)', () => {
    const text = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m tcp ! --syn -m conntrack --ctstate NEW -j DROP\n-A INPUT -p tcp --tcp-flags ALL NONE -j REJECT\nCOMMIT\n';
    expect(both(text, 'INPUT', 'proto=tcp').verdict).toBe('ACCEPT');
    expect(both(text, 'INPUT', 'proto=tcp flags=ACK').verdict).toBe('DROP');
    expect(both(text, 'INPUT', 'proto=tcp flags=0').verdict).toBe('DROP');
    expect(both(text, 'INPUT', 'proto=tcp flags=0 state=ESTABLISHED').verdict).toBe('REJECT');
    expect(formatPacket(parsePacket('proto=tcp flags=SYN,ACK'))).toContain('flags=SYN,ACK');
    expect(() => parsePacket('flags=XYZ')).toThrow(InputError);
    const saved = saveRuleset(parseRuleset(text));
    expect(saved).toContain('-m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN');
    expect(saved).toContain('-m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE');
  });

  it('a hook with no registered table accepts without a rule', () => {
    const r = both('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 'PREROUTING', 'proto=tcp');
    expect(r.verdict).toBe('ACCEPT');
    expect(r.rule).toBeUndefined();
    expect(r.trace.hops[0].steps.at(-1)!.detail).toContain('no table');
  });
});

describe('IptEngine', () => {
  const text = '*filter\n:INPUT ACCEPT [0:0]\n:x - [0:0]\n-A INPUT -p tcp -j x\n-A INPUT -j DROP\n-A x -p tcp -m tcp --dport 80 -j ACCEPT\nCOMMIT\n';

  it('counts packets and bytes per rule and policy like iptables-save -c', () => {
    const rs = parseRuleset(text);
    const eng = new IptEngine(core, rs);
    const ps = [parsePacket('proto=tcp dport=80 len=100'), parsePacket('proto=tcp dport=81 len=50'), parsePacket('proto=udp len=10')];
    const res = eng.walk('INPUT', ps);
    expect(res.map((r) => r.verdict)).toEqual(['ACCEPT', 'DROP', 'DROP']);
    const input = rs.tables.get('filter')!.chains.get('INPUT')!;
    expect(eng.counter(input.rules[0])).toEqual({ packets: 2, bytes: 150 });
    expect(eng.counter(input.rules[1])).toEqual({ packets: 2, bytes: 60 });
    expect(eng.counter(input)).toEqual({ packets: 0, bytes: 0 });
    eng.resetCounters();
    expect(eng.counters().size).toBe(0);
    eng.dispose();
    eng.dispose();
    expect(() => eng.walk('INPUT', ps)).toThrow(InputError);
    expect(() => eng.counters()).toThrow(/Disposed/);
    expect(() => eng.resetCounters()).toThrow(/Disposed/);
  });

  it('walks records in place in its WASM batch buffer (no copies)', () => {
    const rs = parseRuleset(text);
    const eng = new IptEngine(core, rs);
    const view = eng.recordsView();
    const ps = [parsePacket('proto=tcp dport=80'), parsePacket('proto=udp')];
    ps.forEach((p, i) => eng.encode('INPUT', p, view, i * PKT_STRIDE));
    eng.evalInPlace('INPUT', 2);
    const after = eng.recordsView();
    expect(eng.result(after, 0, ps[0]).rule).toMatchObject({ chain: 'x', index: 0 });
    expect(eng.result(after, PKT_STRIDE, ps[1]).verdict).toBe('DROP');
    expect(() => eng.evalInPlace('INPUT', 5000)).toThrow(InputError);
    expect(() => eng.evalInPlace('NOPE' as Hook, 1)).toThrow(InputError);
    eng.dispose();
  });

  it('validates packets and hooks before calling WASM', () => {
    const eng = new IptEngine(core, parseRuleset(text));
    const p = parsePacket('proto=tcp');
    expect(() => eng.walk('INPUT', [{ ...p, src: -1 }])).toThrow(/src=-1/);
    expect(() => eng.walk('INPUT', [{ ...p, dport: 65536 }])).toThrow(InputError);
    expect(() => eng.walk('INPUT', [{ ...p, proto: 1.5 }])).toThrow(InputError);
    expect(() => eng.walk('INPUT', [{ ...p, state: 500 }])).toThrow(InputError);
    expect(() => eng.walk('INPUT', [{ ...p, in: 'x'.repeat(16) }])).toThrow(/in=/);
    expect(() => eng.walk('BOGUS' as Hook, [p])).toThrow(/BOGUS/);
    expect(() => eng.evalRecords('INPUT', new Int32Array(PKT_STRIDE), 2)).toThrow(InputError);
    expect(core.poisoned).toBe(false);
    eng.dispose();
  });

  it('survives memory growth (big programs) and batches larger than one WASM call', () => {
    const rules = Array.from({ length: 3000 }, (_, i) => `-A INPUT -s 10.${i >> 8}.${i & 255}.0/24 -p tcp -m tcp --dport ${i % 1000} -j ACCEPT`).join('\n');
    const rs = parseRuleset(`*filter\n:INPUT DROP [0:0]\n${rules}\nCOMMIT\n`);
    const before = core.memoryBytes;
    const eng = new IptEngine(core, rs);
    expect(core.memoryBytes).toBeGreaterThan(before);
    expect(eng.program.chunks).toBeGreaterThan(1);
    const ps = Array.from({ length: 5000 }, (_, i) => parsePacket(`proto=tcp src=10.${(i % 3000) >> 8}.${i % 3000 & 255}.9 dport=${i % 3000 % 1000}`));
    const ref = new ReferenceEngine(rs);
    const got = eng.walk('INPUT', ps);
    ps.forEach((p, i) => expect(got[i].rule).toEqual(ref.walk('INPUT', p).rule));
    eng.dispose();
  });
});

describe('packet descriptions', () => {
  it('parses and formats', () => {
    const p = parsePacket('proto=icmp src=1.2.3.4 type=3 code=1 mark=0x10 state=NEW,DNAT len=84 in=eth0');
    expect(p).toMatchObject({ proto: 1, src: 0x01020304, icmpType: 3, icmpCode: 1, mark: 16, state: 72, len: 84, in: 'eth0' });
    expect(formatPacket(p)).toBe('proto=icmp src=1.2.3.4 dst=0.0.0.0 type=3 code=1 in=eth0 out= mark=0x10 state=NEW,DNAT len=84');
    expect(packetFromJson({ proto: 17, dport: '53', rpf: 2 }, {})).toMatchObject({ proto: 17, dport: 53, rpf: 2 });
  });
  it('names the bad key and position', () => {
    const bad = (s: string): InputError => {
      try {
        parsePacket(s);
      } catch (e) {
        return e as InputError;
      }
      throw new Error('no error');
    };
    expect(bad('proto=tcp bogus').position).toEqual({ char: 10 });
    expect(bad('proto=xyz').input).toBe('proto=xyz');
    expect(bad('src=1.2.3').code).toBe('BadPacket');
    expect(bad('sport=70000').expected).toContain('0..65535');
    expect(bad('state=FOO').code).toBe('BadPacket');
    expect(bad('mark=zz').code).toBe('BadPacket');
    expect(bad('color=red').expected).toContain('keys');
    expect(bad('in=abcdefghijklmnopq').code).toBe('BadPacket');
    expect(() => packetFromJson([1], { line: 3 })).toThrow(/line 3/);
    expect(() => packetFromJson({ src: { a: 1 } }, { line: 4 })).toThrow(/line 4/);
  });
});

describe('package API', () => {
  it('exports the iptables API with prefixed generic names', async () => {
    const api = await import('../src/index.js');
    expect(api.IptEngine).toBe(IptEngine);
    expect(api.ReferenceIptEngine).toBe(ReferenceEngine);
    expect(api.parseIptPacket).toBe(parsePacket);
    const rs = api.parseRuleset('*filter\n:INPUT DROP [0:0]\nCOMMIT\n');
    expect(new api.ReferenceIptEngine(rs).walk('INPUT', api.parseIptPacket('proto=udp')).verdict).toBe('DROP');
    expect(api.NETFILTER_HOOKS).toContain('FORWARD');
  });
});
