/**
 * fast-check arbitraries for iptables: random rulesets written as
 * `iptables-save` text (nested user chains without loops, RETURN, goto,
 * marks, negations, ipsets, NAT), their ipsets as `ipset save` text, and
 * packets drawn from the same small pools so that rules actually hit.
 */
import fc from 'fast-check';

export const NETS = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '192.168.0.0/16', '0.0.0.0/0', '172.16.5.0/30'];
export const ADDRS = ['10.1.2.3', '10.1.2.9', '10.9.9.9', '192.168.1.1', '172.16.5.2', '8.8.8.8', '10.0.0.5', '127.0.0.1', '224.0.0.5', '255.255.255.255'];
export const IFACES = ['eth0', 'eth1', 'cali1', 'cali22', 'tap0', 'lo', ''];
export const PORTS = [22, 53, 80, 443, 8080, 1024, 40000, 65535];
export const MARKS = ['0x0', '0x1', '0x10000', '0x10001', '0x80000'];

const neg = fc.boolean().map((b) => (b ? '! ' : ''));
const port = fc.constantFrom(...PORTS);
const portSpec = fc.oneof(
  port.map(String),
  fc.tuple(port, port).filter(([a, b]) => a !== b).map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`),
);

/** One match (text) given the rule's protocol. */
function matchArb(proto: string, sets: string[], chain: string): fc.Arbitrary<string> {
  // iptables refuses -i on OUTPUT/POSTROUTING and -o on PREROUTING/INPUT built-in chains.
  const ifOpts = chain === 'OUTPUT' || chain === 'POSTROUTING' ? ['-o'] : chain === 'PREROUTING' || chain === 'INPUT' ? ['-i'] : ['-i', '-o'];
  const list: fc.Arbitrary<string>[] = [
    fc.tuple(neg, fc.constantFrom('-s', '-d'), fc.constantFrom(...NETS)).map(([n, o, v]) => `${n}${o} ${v}`),
    fc.tuple(neg, fc.constantFrom(...ifOpts), fc.constantFrom('eth0', 'eth+', 'cali+', 'cali1', 'tap0', 'lo', '+')).map(([n, o, v]) => `${n}${o} ${v}`),
    fc.tuple(neg, fc.constantFrom(...MARKS), fc.constantFrom('0x1', '0x10000', '0xffffffff', '0x90001')).map(([n, v, m]) => `-m mark ${n}--mark ${v}/${m}`),
    fc.tuple(neg, fc.subarray(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'DNAT', 'SNAT'], { minLength: 1 })).map(([n, s]) => `-m conntrack ${n}--ctstate ${s.join(',')}`),
    fc.tuple(neg, fc.constantFrom('--src-type', '--dst-type'), fc.constantFrom('LOCAL', 'UNICAST', 'BROADCAST,MULTICAST', 'LOCAL,UNICAST'), fc.constantFrom('', ' --limit-iface-in', ' --limit-iface-out')).map(([n, o, t, l]) => `-m addrtype ${n}${o} ${t}${l}`),
    fc.tuple(fc.boolean(), fc.boolean()).map(([l, i]) => `-m rpfilter${l ? ' --loose' : ''}${i ? ' --invert' : ''}`),
    fc.constantFrom('-m comment --comment "a comment"', '-m comment --comment plain'),
  ];
  if (sets.length) list.push(fc.tuple(neg, fc.constantFrom(...sets), fc.constantFrom('src', 'dst', 'src,dst', 'dst,dst', 'dst,src')).map(([n, s, f]) => `-m set ${n}--match-set ${s} ${f}`));
  if (proto === 'tcp' || proto === 'udp') {
    list.push(fc.tuple(neg, fc.constantFrom('--sport', '--dport'), portSpec).map(([n, o, v]) => `-m ${proto} ${n}${o} ${v}`));
    if (proto === 'tcp') list.push(fc.tuple(neg, fc.constantFrom('--syn', '--tcp-flags SYN,ACK SYN', '--tcp-flags ALL NONE', '--tcp-flags FIN,RST RST', '--tcp-flags SYN,ACK,FIN,RST,URG,PSH ACK')).map(([n, o]) => `-m tcp ${n}${o}`));
    list.push(fc.tuple(neg, fc.constantFrom('--sports', '--dports', '--ports'), fc.array(portSpec, { minLength: 1, maxLength: 4 })).map(([n, o, v]) => `-m multiport ${n}${o} ${v.join(',')}`));
  }
  if (proto === 'icmp') list.push(fc.tuple(neg, fc.constantFrom('8', '0', '3/3', 'any', 'echo-request', '3')).map(([n, t]) => `-m icmp ${n}--icmp-type ${t}`));
  return fc.oneof(...list);
}

/** iptables allows each of -s -d -i -o once per rule. */
function once(ms: string[]): string[] {
  const seen = new Set<string>();
  return ms.filter((m) => {
    const k = /^(?:! )?(-[sdio]) /.exec(m)?.[1];
    if (!k) return true;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A rule's text after `-A CHAIN`, jumping only to `callees`. */
function ruleArb(chain: string, callees: string[], sets: string[], nat: boolean): fc.Arbitrary<string> {
  const targets: fc.Arbitrary<string>[] = [
    fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', '-j REJECT --reject-with icmp-port-unreachable', '', '-j LOG --log-prefix "x: "', '-j TRACE'),
    fc.tuple(fc.constantFrom('--set-xmark', '--set-mark', '--or-mark', '--and-mark', '--xor-mark'), fc.constantFrom('0x1', '0x10000', '0x80000/0x80000', '0x0/0x1b0000')).map(([o, v]) =>
      `-j MARK ${o} ${o === '--set-xmark' || o === '--set-mark' ? v : v.split('/')[0]}`,
    ),
    fc.constantFrom('-j NOTRACK', '-j CT --notrack', '-j CT --zone 1'),
  ];
  if (nat) targets.push(fc.constantFrom('-j DNAT --to-destination 10.1.2.9:8080', '-j SNAT --to-source 10.0.0.5', '-j MASQUERADE', '-j DNAT --to-destination 192.168.1.1', '-j MASQUERADE --to-ports 1024'));
  if (callees.length) targets.push(fc.tuple(fc.constantFrom('-j', '-g'), fc.constantFrom(...callees)).map(([j, c]) => `${j} ${c}`));
  return fc
    .tuple(fc.constantFrom('', '', 'tcp', 'udp', 'icmp', '47'), fc.boolean())
    .chain(([proto, pneg]) =>
      fc.tuple(fc.constant(proto ? `${pneg && proto === '47' ? '! ' : ''}-p ${proto}` : ''), fc.array(matchArb(proto, sets, chain), { maxLength: 3 }), fc.oneof(...targets)),
    )
    .map(([p, ms, t]) => [p, ...once(ms), t].filter(Boolean).join(' '));
}

const BUILTINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

function tableArb(name: string, sets: string[]): fc.Arbitrary<string> {
  return fc.integer({ min: 0, max: 4 }).chain((nUser) => {
    const users = Array.from({ length: nUser }, (_, i) => `${name}-c${i}`);
    const chains = [...BUILTINS[name], ...users];
    const isNat = name === 'nat';
    return fc
      .tuple(
        fc.array(fc.constantFrom('ACCEPT', 'DROP'), { minLength: chains.length, maxLength: chains.length }),
        ...chains.map((c) => {
          const ui = users.indexOf(c);
          // Jumps only go "down" the user chain list: no loops.
          const callees = ui === -1 ? users : users.slice(ui + 1);
          return fc.array(ruleArb(c, callees, sets, isNat), { maxLength: 12 });
        }),
      )
      .map(([policies, ...rules]) => {
        const out = [`*${name}`];
        chains.forEach((c, i) => out.push(`:${c} ${BUILTINS[name].includes(c) ? (isNat ? 'ACCEPT' : policies[i]) : '-'} [0:0]`));
        chains.forEach((c, i) => rules[i].forEach((r) => out.push(`-A ${c} ${r}`.trimEnd())));
        out.push('COMMIT');
        return out.join('\n');
      });
  });
}

/** `ipset save` text for the sets sa (hash:net), sb (hash:ip), sc (hash:ip,port), sd (bitmap:port). */
export const ipsetArb: fc.Arbitrary<string> = fc
  .tuple(fc.subarray(NETS.filter((n) => n !== '0.0.0.0/0')), fc.subarray(ADDRS), fc.subarray(ADDRS.slice(0, 5)), fc.subarray(PORTS))
  .map(([nets, ips, ipp, ports]) =>
    [
      'create sa hash:net family inet hashsize 1024 maxelem 65536',
      ...nets.map((n) => `add sa ${n}`),
      'create sb hash:ip family inet hashsize 1024 maxelem 65536',
      ...ips.map((n) => `add sb ${n}`),
      'create sc hash:ip,port family inet hashsize 1024 maxelem 65536',
      ...ipp.flatMap((n, i) => [`add sc ${n},tcp:${PORTS[i % PORTS.length]}`, `add sc ${n},udp:53`]),
      'create sd bitmap:port range 0-65535',
      ...ports.map((p) => `add sd ${p}`),
    ].join('\n'),
  );

/** A whole ruleset: filter always, the other tables sometimes. */
export const rulesetArb: fc.Arbitrary<string> = fc
  .tuple(tableArb('filter', ['sa', 'sb', 'sc', 'sd']), fc.option(tableArb('mangle', ['sa', 'sd'])), fc.option(tableArb('nat', ['sb'])), fc.option(tableArb('raw', [])))
  .map((ts) => `# Generated by fast-check\n${ts.filter((t): t is string => t !== null).join('\n')}\n`);

/** A packet description in the `--packet` syntax. */
export const packetArb: fc.Arbitrary<string> = fc
  .record({
    proto: fc.constantFrom('tcp', 'udp', 'icmp', '47'),
    src: fc.constantFrom(...ADDRS),
    dst: fc.constantFrom(...ADDRS),
    sport: port,
    dport: port,
    type: fc.constantFrom(0, 3, 8),
    code: fc.constantFrom(0, 3),
    in: fc.constantFrom(...IFACES),
    out: fc.constantFrom(...IFACES),
    mark: fc.constantFrom(...MARKS),
    state: fc.constantFrom('NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'NEW,DNAT', 'ESTABLISHED,SNAT'),
    len: fc.integer({ min: 20, max: 1500 }),
    rpf: fc.integer({ min: 0, max: 3 }),
    flags: fc.constantFrom('SYN', 'ACK', 'SYN,ACK', 'FIN,ACK', 'RST', '0', '63'),
  })
  .map((p) => Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' '));

/** The host context the properties use. */
export const CTX = { interfaces: [{ name: 'eth0', addrs: ['10.0.0.5/24'] }, { name: 'cali1', addrs: ['169.254.1.1/32'] }, { name: 'eth1', addrs: ['192.168.1.1/16'] }] };
