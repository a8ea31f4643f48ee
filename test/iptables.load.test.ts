import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { InputError } from '../src/core/errors.js';
import { ReferenceEngine, parseIpsets, parsePacket, parseRuleset, saveIpsets, saveRuleset, compile, ruleText } from '../src/iptables/all.js';
import { parseAddrMask, parsePortRange, parseU32, parseValueMask, tokenize, quote, parseIface, parseProto } from '../src/iptables/values.js';

const FIXTURE = readFileSync(new URL('./fixtures/calico-felix-node.iptables-save.txt', import.meta.url), 'utf8');

function err(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

const wrap = (body: string, table = 'filter'): string => `*${table}\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:x - [0:0]\n${body}\nCOMMIT\n`;

describe('loading the Calico felix dump', () => {
  it('loads unchanged: 4 tables, 57 rules, counters and lines kept', () => {
    const rs = parseRuleset(FIXTURE, { file: 'calico' });
    expect([...rs.tables.keys()]).toEqual(['raw', 'nat', 'filter', 'mangle']);
    const rules = [...rs.tables.values()].flatMap((t) => [...t.chains.values()].flatMap((c) => c.rules));
    expect(rules).toHaveLength(57);
    expect(rs.warnings).toEqual([]);
    const raw = rs.tables.get('raw')!;
    expect(raw.chains.get('PREROUTING')!.counters).toEqual({ packets: 78416, bytes: 301973864 });
    const rpf = raw.chains.get('cali-PREROUTING')!.rules[4];
    expect(rpf.line).toBe(20);
    expect(rpf.matches.find((m) => m.kind === 'rpfilter')).toMatchObject({ validmark: true, invert: true, loose: false });
    const masq = rs.tables.get('nat')!.chains.get('cali-POSTROUTING')!.rules[2];
    expect(masq.target).toMatchObject({ kind: 'MASQUERADE', options: ['--random-fully'] });
    expect(masq.matches.filter((m) => m.kind === 'addrtype')).toHaveLength(2);
    const fwd = rs.tables.get('filter')!.chains.get('FORWARD')!.rules[1];
    expect(fwd.comment).toBe('cali:S93hcgKJrXEqnTfs; Policy explicitly accepted packet.');
  });

  it('writes back iptables-save text that loads to the same program', () => {
    const rs = parseRuleset(FIXTURE);
    const text = saveRuleset(rs);
    expect(text).toContain('[78416:301973864]');
    expect(text).toContain('-A cali-POSTROUTING -o vxlan.calico -m comment --comment "cali:e9dnSgSVNmIcpVhP" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully');
    const again = parseRuleset(text);
    expect([...compile(again).words]).toEqual([...compile(rs).words]);
    expect(saveRuleset(again)).toBe(text);
    expect(saveRuleset(rs, { counters: false })).not.toContain('[78416');
  });
});

describe('iptables-restore errors', () => {
  it('names file, line and token for unknown matches, options and targets', () => {
    const e1 = err(() => parseRuleset(wrap('-A INPUT -m hashlimit --hashlimit 5 -j ACCEPT'), { file: 'r.txt' }));
    expect(e1.code).toBe('UnknownMatch');
    expect(e1.position).toEqual({ file: 'r.txt', line: 6 });
    expect(e1.input).toBe('hashlimit');
    expect(err(() => parseRuleset(wrap('-A INPUT -p tcp -m tcp --tcp-option 5 -j ACCEPT'))).input).toBe('--tcp-option');
    expect(err(() => parseRuleset(wrap('-A INPUT -p tcp -m tcp --tcp-flags SYN,BOGUS SYN -j ACCEPT'))).input).toBe('BOGUS');
    expect(err(() => parseRuleset(wrap('-A INPUT -j REDIRECT --to-ports 80'))).code).toBe('UnknownTarget');
    expect(err(() => parseRuleset(wrap('-A INPUT -j ACCEPT --foo'))).code).toBe('UnknownOption');
    expect(err(() => parseRuleset(wrap('-A INPUT -f -j ACCEPT'))).input).toBe('-f');
    expect(err(() => parseRuleset(wrap('-A INPUT bogus'))).code).toBe('UnknownOption');
  });

  it('rejects jumps to missing or built-in chains, loops, rules outside a table, a missing COMMIT', () => {
    expect(err(() => parseRuleset(wrap('-A INPUT -j nochain'))).code).toBe('NoSuchChain');
    expect(err(() => parseRuleset(wrap('-A INPUT -g nochain'))).code).toBe('NoSuchChain');
    expect(err(() => parseRuleset(wrap('-A nochain -j ACCEPT'))).code).toBe('NoSuchChain');
    expect(err(() => parseRuleset(wrap('-A x -j INPUT'))).code).toBe('JumpToBuiltin');
    const loop = err(() => parseRuleset('*filter\n:a - [0:0]\n:b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -g a\nCOMMIT\n'));
    expect(loop.code).toBe('ChainLoop');
    expect(loop.input).toBe('a -> b -> a');
    expect(loop.position?.line).toBe(7);
    expect(err(() => parseRuleset('-A INPUT -j ACCEPT\n')).code).toBe('RuleOutsideTable');
    expect(err(() => parseRuleset(':INPUT ACCEPT [0:0]\n')).code).toBe('RuleOutsideTable');
    expect(err(() => parseRuleset('COMMIT\n')).code).toBe('RuleOutsideTable');
    const mc = err(() => parseRuleset('*filter\n-A INPUT -j ACCEPT\n'));
    expect(mc.code).toBe('MissingCommit');
    expect(mc.position?.line).toBe(1);
    expect(err(() => parseRuleset('*filter\n*nat\nCOMMIT\n')).code).toBe('MissingCommit');
    expect(err(() => parseRuleset('*security\nCOMMIT\n')).code).toBe('UnknownTable');
  });

  it('checks chain lines, policies, duplicate options and interfaces per hook', () => {
    expect(err(() => parseRuleset('*filter\n:INPUT REJECT [0:0]\nCOMMIT\n')).code).toBe('BadPolicy');
    expect(err(() => parseRuleset('*filter\n:x ACCEPT [0:0]\nCOMMIT\n')).code).toBe('BadPolicy');
    expect(err(() => parseRuleset('*filter\n:x - [0:0]\n:x - [0:0]\nCOMMIT\n')).code).toBe('ChainExists');
    expect(err(() => parseRuleset('*filter\n:' + 'y'.repeat(29) + ' - [0:0]\nCOMMIT\n')).code).toBe('BadChainName');
    expect(err(() => parseRuleset('*filter\n:bad line here\nCOMMIT\n')).code).toBe('BadChainLine');
    expect(err(() => parseRuleset(wrap('-A INPUT -s 10.0.0.1 -s 10.0.0.2 -j ACCEPT'))).code).toBe('DuplicateOption');
    expect(err(() => parseRuleset(wrap('-A OUTPUT -i eth0 -j ACCEPT'))).code).toBe('BadInterfaceOption');
    expect(err(() => parseRuleset(wrap('-A INPUT -o eth0 -j ACCEPT'))).code).toBe('BadInterfaceOption');
    expect(err(() => parseRuleset(wrap('-I INPUT -j ACCEPT'))).code).toBe('UnknownCommand');
    expect(err(() => parseRuleset(wrap('-A INPUT -m comment --comment "open'))).code).toBe('UnterminatedQuote');
    expect(err(() => parseRuleset(wrap('-A INPUT -m set --match-set nope src -j DROP'))).code).toBe('NoSuchSet');
  });

  it('checks values: addresses, ports, marks, states, negation placement', () => {
    const bad = (r: string): string => err(() => parseRuleset(wrap(`-A INPUT ${r}`))).code;
    expect(bad('-s 10.0.0.300')).toBe('BadAddress');
    expect(bad('-s 10.0.0.0/255.0.255.0')).toBe('BadAddress');
    expect(bad('-s 10.0.0.0/nope')).toBe('BadAddress');
    expect(bad('-p tcp -m tcp --dport 70000')).toBe('BadPort');
    expect(bad('-p tcp -m tcp --dport 90:80')).toBe('BadPortRange');
    expect(bad('-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16')).toBe('TooManyPorts');
    expect(bad('-p tcp -m multiport --dports 80:80')).toBe('BadPortRange');
    expect(bad('-m mark --mark 0x1ffffffff')).toBe('BadValue');
    expect(bad('-m conntrack --ctstate BOGUS')).toBe('BadValue');
    expect(bad('-p icmp -m icmp --icmp-type 300')).toBe('BadIcmpType');
    expect(bad('-p nosuchproto')).toBe('BadProtocol');
    expect(bad('-i ' + 'e'.repeat(17))).toBe('BadInterface');
    expect(bad('! -m mark --mark 1')).toBe('BadNegation');
    expect(bad('-m comment ! --comment x')).toBe('BadNegation');
    expect(bad('-j ACCEPT !')).toBe('UnknownOption');
    expect(bad('-m mark !')).toBe('BadNegation');
    expect(bad('-s')).toBe('MissingValue');
    expect(bad('-m set --match-set a b,c')).toBe('BadSetFlags');
    expect(bad('-j MARK')).toBe('MissingValue');
    expect(bad('-j MARK --bogus 1')).toBe('UnknownOption');
    expect(bad('-j DNAT')).toBe('MissingValue');
    expect(bad('-j DNAT --to-destination 1.2.3')).toBe('BadNatRange');
    expect(bad('-j DNAT --to-destination 1.2.3.4:90-80')).toBe('BadNatRange');
    expect(bad('-j REJECT --bogus')).toBe('UnknownOption');
    expect(bad('-j MASQUERADE --bogus')).toBe('UnknownOption');
    expect(bad('-j SNAT --to-source 1.2.3.4 --bogus')).toBe('UnknownOption');
    expect(bad('-j ACCEPT extra')).toBe('UnknownOption');
    expect(bad('-j x extra')).toBe('UnknownOption');
    expect(bad('-m addrtype --src-type LOCAL --limit-iface-in --limit-iface-out')).toBe('BadValue');
  });

  it('lenient loading keeps unknown constructs as never-matching rules and reports them', () => {
    const text = wrap('-A INPUT -m hashlimit --hashlimit 5 -j ACCEPT\n-A INPUT -j REDIRECT --to-ports 80\n-A INPUT -j ACCEPT');
    const rs = parseRuleset(text, { lenient: true, file: 'f' });
    expect(rs.warnings).toHaveLength(2);
    expect(rs.warnings[0]).toContain('f:6: UnknownMatch "hashlimit"');
    const r = rs.tables.get('filter')!.chains.get('INPUT')!.rules;
    expect(r[0].unsupported).toBe('hashlimit');
    expect(r[0].matches).toEqual([{ kind: 'never', token: 'hashlimit', neg: false }]);
    expect(ruleText(r[1])).toBe('-j REDIRECT --to-ports 80');
    expect(saveRuleset(parseRuleset(saveRuleset(rs), { lenient: true }))).toBe(saveRuleset(rs));
    // Structural errors stay errors when lenient.
    expect(err(() => parseRuleset(wrap('-A INPUT -j nochain'), { lenient: true })).code).toBe('NoSuchChain');
  });

  it('loads a kube-proxy-shaped nat table leniently, naming -m statistic', () => {
    const text = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-X - [0:0]',
      ':KUBE-SEP-A - [0:0]',
      ':KUBE-SEP-B - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.115.88/32 -p tcp -m comment --comment "default/test-svc cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
      '-A KUBE-SERVICES -d 10.96.115.88/32 -p tcp -m comment --comment "default/test-svc cluster IP" -m tcp --dport 80 -j KUBE-SVC-X',
      '-A KUBE-SVC-X -m comment --comment "default/test-svc" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A',
      '-A KUBE-SVC-X -m comment --comment "default/test-svc" -j KUBE-SEP-B',
      '-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.3:80',
      '-A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 10.244.2.3:80',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      'COMMIT',
    ].join('\n');
    expect(err(() => parseRuleset(text, { file: 'kube' })).message).toContain('UnknownMatch: "statistic" at kube:11');
    const rs = parseRuleset(text, { lenient: true, file: 'kube' });
    expect(rs.warnings).toEqual(['kube:11: UnknownMatch "statistic": kept as a rule that never matches']);
    // The never-matching random choice leaves the last endpoint: every connection goes to KUBE-SEP-B.
    const ref = new ReferenceEngine(rs);
    const r = ref.walk('PREROUTING', parsePacket('proto=tcp src=10.0.0.1 dst=10.96.115.88 dport=80 in=eth0'));
    expect(r.rule).toMatchObject({ chain: 'KUBE-SEP-B', index: 0 });
    expect(r.packet.dst).toBe(0x0af40203);
    expect(r.packet.mark).toBe(0x4000);
  });

  it('parses every supported match and target form', () => {
    const body = [
      '[5:300] -A INPUT -s 10.0.0.0/255.0.0.0 ! -d 10.1.2.3 -p 17 -i eth+ -m udp ! --sport 53 --dport 1000: -j ACCEPT',
      '-A INPUT --source 1.2.3.4 --protocol tcp --in-interface lo -m tcp --source-port :80 --destination-port 22 -j DROP',
      '-A FORWARD -p tcp -m multiport --sports 1,2:3 -m multiport ! --ports 5 --out-interface eth0 -j REJECT --reject-with tcp-reset',
      '-A INPUT -p icmp -m icmp --icmp-type echo-request -m icmp ! --icmp-type 3/1 -j RETURN',
      '-A INPUT -p udp --dport 53 -j LOG --log-prefix "dns: " --log-level 4',
      '-A INPUT -m state --state NEW,ESTABLISHED -m mark ! --mark 0x5 -j TRACE',
      '-A INPUT -m addrtype --dst-type LOCAL,BROADCAST --limit-iface-in -m rpfilter --loose --accept-local -j NOTRACK',
      '-A INPUT -j MARK --set-mark 0x5/0xf',
      '-A INPUT -j MARK --and-mark 0xf0',
      '-A INPUT -j MARK --or-mark 0x3',
      '-A INPUT -j MARK --xor-mark 0x3',
      '-A INPUT -j CT --notrack',
      "-A INPUT -m comment --comment 'single quoted' -j x",
      '-A x -g x2',
      '-A x2 -p tcp -j DNAT --to-destination 10.0.0.1-10.0.0.9:80-90 --random',
      '-A x2 -j SNAT --to-source 10.0.0.1 --persistent',
      '-A x2 -p tcp -j MASQUERADE --to-ports 1000-2000 --random',
      '-A x2 -p tcp -j MASQUERADE --to-ports 1000',
      '-A x2',
    ].join('\n');
    const rs = parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:x - [0:0]\n:x2 - [0:0]\n${body}\nCOMMIT\n`);
    const ch = rs.tables.get('filter')!.chains;
    const input = ch.get('INPUT')!.rules;
    expect(input[0].counters).toEqual({ packets: 5, bytes: 300 });
    expect(input[0].matches).toContainEqual({ kind: 'port', module: 'udp', dir: 'dst', lo: 1000, hi: 65535, neg: false });
    expect(input[1].matches).toContainEqual({ kind: 'port', module: 'tcp', dir: 'src', lo: 0, hi: 80, neg: false });
    expect(input[3].matches).toContainEqual({ kind: 'port', module: 'udp', dir: 'dst', lo: 53, hi: 53, neg: false });
    expect(input[6].target).toEqual({ kind: 'MARK', value: 5, mask: 0xf });
    expect(input[7].target).toEqual({ kind: 'MARK', value: 0, mask: ~0xf0 >>> 0 });
    expect(input[8].target).toEqual({ kind: 'MARK', value: 3, mask: 3 });
    expect(input[9].target).toEqual({ kind: 'MARK', value: 3, mask: 0 });
    expect(input[10].target).toEqual({ kind: 'CT', notrack: true, options: ['--notrack'] });
    const x2 = ch.get('x2')!.rules;
    expect(x2[0].target).toMatchObject({ kind: 'DNAT', addr: 0x0a000001, addrHi: 0x0a000009, portLo: 80, portHi: 90 });
    expect(x2[2].target).toMatchObject({ kind: 'MASQUERADE', portLo: 1000, portHi: 2000 });
    expect(x2[4].target).toEqual({ kind: 'none' });
    // And the whole thing survives a save/load cycle.
    const saved = saveRuleset(rs);
    expect(saveRuleset(parseRuleset(saved))).toBe(saved);
    expect(saved).toContain('-A INPUT -p icmp -m icmp --icmp-type 8 -m icmp ! --icmp-type 3/1 -j RETURN');
    expect(saved).toContain('-m state --state ESTABLISHED,NEW');
    expect(saved).toContain('-m rpfilter --loose --accept-local');
  });
});

describe('values', () => {
  it('tokenizes like iptables-restore', () => {
    expect(tokenize('-A x -m comment --comment "a \\"b\\" c" -j ACCEPT')).toEqual(['-A', 'x', '-m', 'comment', '--comment', 'a "b" c', '-j', 'ACCEPT']);
    expect(tokenize("  a 'b c'd  ")).toEqual(['a', 'b cd']);
    expect(() => tokenize("'open")).toThrow();
    expect(quote('plain')).toBe('plain');
    expect(quote('a b')).toBe('"a b"');
    expect(quote('')).toBe('""');
  });
  it('parses addresses, ports and marks', () => {
    expect(parseAddrMask('10.1.2.3/8')).toEqual({ addr: 0x0a000000, len: 8 });
    expect(parseAddrMask('10.1.2.3/255.255.0.0')).toEqual({ addr: 0x0a010000, len: 16 });
    expect(parseAddrMask('0.0.0.0/0.0.0.0')).toEqual({ addr: 0, len: 0 });
    expect(parsePortRange(':')).toEqual([0, 65535]);
    expect(parseU32('0xffffffff')).toBe(0xffffffff);
    expect(parseValueMask('7')).toEqual({ value: 7, mask: 0xffffffff });
    expect(parseIface('cali+')).toEqual({ name: 'cali', wildcard: true });
    expect(parseProto('TCP')).toBe(6);
    expect(parseProto('255')).toBe(255);
  });
});

describe('ipset save', () => {
  const text = [
    '# comment',
    'create n hash:net family inet hashsize 1024 maxelem 65536',
    'add n 10.0.0.0/8',
    'add n 10.1.0.0/16 timeout 0',
    'add n 192.168.1.0-192.168.1.10',
    'create i hash:ip family inet',
    'add i 10.0.0.1',
    'add i 10.0.0.2',
    'create ip hash:ip,port family inet',
    'add ip 10.0.0.1,tcp:80',
    'add ip 10.0.0.1,udp:53-54',
    'add ip 10.0.0.0/31,8080',
    'create p bitmap:port range 0-65535',
    'add p 80',
    'add p 1000-2000',
  ].join('\n');
  it('loads members as merged key ranges', () => {
    const s = parseIpsets(text, 'sets');
    expect(s.get('n')!.ranges).toEqual([
      [0x0a000000, 0x0affffff],
      [0xc0a80100, 0xc0a8010a],
    ]);
    expect(s.get('i')!.ranges).toEqual([[0x0a000001, 0x0a000002]]);
    expect(s.get('ip')!.ranges).toHaveLength(4);
    expect(s.get('p')!.ranges).toEqual([
      [80, 80],
      [1000, 2000],
    ]);
    const again = parseIpsets(saveIpsets(s));
    expect([...again.values()].map((x) => x.ranges)).toEqual([...s.values()].map((x) => x.ranges));
  });
  it('rejects what it cannot model, naming file and line', () => {
    const e = (t: string): InputError => err(() => parseIpsets(t, 'sets'));
    expect(e('create a hash:mac').input).toBe('hash:mac');
    expect(e('create a hash:net family inet6').input).toBe('inet6');
    expect(e('create a\n').code).toBe('BadIpset');
    expect(e('create a hash:net\ncreate a hash:net').position).toEqual({ file: 'sets', line: 2 });
    expect(e('add nope 1.2.3.4').code).toBe('BadIpset');
    expect(e('create a hash:net\nadd a').code).toBe('BadIpset');
    expect(e('create a hash:net\nadd a 10.0.0.0/8 nomatch').input).toBe('nomatch');
    expect(e('create a hash:net\nadd a 10.0.0.300').code).toBe('BadIpset');
    expect(e('create a hash:net\nadd a 10.0.0.0/40').code).toBe('BadIpset');
    expect(e('create a hash:net\nadd a 10.0.0.9-10.0.0.1').code).toBe('BadIpset');
    expect(e('create a bitmap:port\nadd a 70000').code).toBe('BadIpset');
    expect(e('create a bitmap:port\nadd a x').code).toBe('BadIpset');
    expect(e('create a hash:ip,port\nadd a 10.0.0.1').code).toBe('BadIpset');
    expect(e('create a hash:ip,port\nadd a 10.0.0.1,icmp:8').code).toBe('BadIpset');
    expect(e('create a hash:ip,port\nadd a 10.0.0.0/8,80').code).toBe('BadIpset');
    expect(e('flush a').input).toBe('flush');
  });
});

