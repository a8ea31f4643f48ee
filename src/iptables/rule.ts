/**
 * Parses the words of one `-A CHAIN ...` line into matches and a target,
 * the way iptables' option parser reads them: global options (`-s -d -p -i
 * -o`), then `-m MODULE` followed by that module's options, then `-j`/`-g`
 * and the target's options. `!` negates the option that follows it.
 */
import { ADDRTYPE, CTSTATE, TCP_FLAGS, type Match, type PortRange, type Target } from './model.js';
import { RuleSyntax, parseAddrMask, parseIface, parsePortRange, parseProto, parseValueMask } from './values.js';
import { parseTarget } from './target.js';

const MODULES = ['tcp', 'udp', 'multiport', 'icmp', 'set', 'mark', 'conntrack', 'state', 'addrtype', 'comment', 'rpfilter'];

/** ICMP type names of `iptables -p icmp --help`: [type, codeLo, codeHi]. */
const ICMP_NAMES: Record<string, [number, number, number]> = {
  any: [255, 0, 255],
  'echo-reply': [0, 0, 255],
  'destination-unreachable': [3, 0, 255],
  'network-unreachable': [3, 0, 0],
  'host-unreachable': [3, 1, 1],
  'protocol-unreachable': [3, 2, 2],
  'port-unreachable': [3, 3, 3],
  'fragmentation-needed': [3, 4, 4],
  'source-quench': [4, 0, 255],
  redirect: [5, 0, 255],
  'echo-request': [8, 0, 255],
  'router-advertisement': [9, 0, 255],
  'router-solicitation': [10, 0, 255],
  'time-exceeded': [11, 0, 255],
  'ttl-zero-during-transit': [11, 0, 0],
  'parameter-problem': [12, 0, 255],
  'timestamp-request': [13, 0, 255],
  'timestamp-reply': [14, 0, 255],
  'address-mask-request': [17, 0, 255],
  'address-mask-reply': [18, 0, 255],
};

/** What one rule line parses to (a `jump`/`goto` target names a chain resolved at COMMIT). */
export interface ParsedRule {
  matches: Match[];
  target: Target;
}

function bits<K extends string>(text: string, table: Record<K, number>, what: string): number {
  let out = 0;
  for (const name of text.split(',')) {
    const v = (table as Record<string, number>)[name.toUpperCase()];
    if (v === undefined) throw new RuleSyntax('BadValue', name, `a ${what} (${Object.keys(table).join(', ')})`);
    out |= v;
  }
  return out;
}

function icmpType(text: string): [number, number, number] {
  const named = ICMP_NAMES[text];
  if (named) return named;
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(text);
  if (!m || Number(m[1]) > 255 || (m[2] !== undefined && Number(m[2]) > 255)) throw new RuleSyntax('BadIcmpType', text, 'an ICMP type name or TYPE[/CODE]');
  return m[2] === undefined ? [Number(m[1]), 0, 255] : [Number(m[1]), Number(m[2]), Number(m[2])];
}

function tcpFlags(text: string): number {
  if (text === 'ALL') return 0x3f;
  if (text === 'NONE') return 0;
  return bits(text, TCP_FLAGS, 'TCP flag');
}

function portList(text: string): PortRange[] {
  const parts = text.split(',');
  const list = parts.map(parsePortRange);
  // libxt_multiport: a range must have LOW < HIGH ("invalid portrange specified").
  parts.forEach((t, i) => {
    if (t.includes(':') && list[i][0] >= list[i][1]) throw new RuleSyntax('BadPortRange', text, 'multiport ranges LOW:HIGH with LOW < HIGH');
  });
  const slots = list.reduce((n, [lo, hi]) => n + (lo === hi ? 1 : 2), 0);
  if (slots > 15) throw new RuleSyntax('TooManyPorts', text, 'at most 15 ports (a range counts as two)');
  return list;
}

/** Parses the words after `-A CHAIN`. Throws {@link RuleSyntax} naming the token. */
export function parseRuleWords(words: string[]): ParsedRule {
  const matches: Match[] = [];
  let target: Target = { kind: 'none' };
  let neg = false;
  let module = '';
  let proto = -1;
  let addrtype: Extract<Match, { kind: 'addrtype' }> | undefined;
  let rpf: Extract<Match, { kind: 'rpfilter' }> | undefined;
  let i = 0;
  const seen = new Set<string>();
  const once = (w: string): void => {
    const key = w.replace(/^--(\w).*/, '-$1').replace('-in-interface', '-i');
    if (seen.has(key)) throw new RuleSyntax('DuplicateOption', w, `one ${key} (iptables: multiple ${key} flags not allowed)`);
    seen.add(key);
  };
  const next = (opt: string): string => {
    const v = words[++i];
    if (v === undefined) throw new RuleSyntax('MissingValue', opt, `a value after ${opt}`);
    return v;
  };
  const take = (): boolean => {
    const n = neg;
    neg = false;
    return n;
  };
  for (; i < words.length; i++) {
    const w = words[i];
    if (w === '!') {
      neg = true;
      continue;
    }
    switch (w) {
      case '-s':
      case '--source':
      case '-d':
      case '--destination': {
        once(w);
        const v = parseAddrMask(next(w));
        matches.push({ kind: w === '-s' || w === '--source' ? 'src' : 'dst', addr: v.addr, len: v.len, neg: take() });
        continue;
      }
      case '-p':
      case '--protocol':
        once(w);
        proto = parseProto(next(w));
        matches.push({ kind: 'proto', proto, neg: take() });
        continue;
      case '-i':
      case '--in-interface':
      case '-o':
      case '--out-interface': {
        once(w);
        const f = parseIface(next(w));
        matches.push({ kind: 'iface', dir: w === '-i' || w === '--in-interface' ? 'in' : 'out', ...f, neg: take() });
        continue;
      }
      case '-m':
      case '--match':
        module = next(w);
        if (neg) throw new RuleSyntax('BadNegation', '!', 'no "!" before -m');
        if (!MODULES.includes(module)) throw new RuleSyntax('UnknownMatch', module, `a match module cnikit models (${MODULES.join(', ')})`, true);
        if (module === 'addrtype') matches.push((addrtype = { kind: 'addrtype', limitIn: false, limitOut: false, neg: false }));
        if (module === 'rpfilter') matches.push((rpf = { kind: 'rpfilter', loose: false, validmark: false, acceptLocal: false, invert: false, neg: false }));
        continue;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const name = next(w);
        target = parseTarget(name, w === '-g' || w === '--goto', words.slice(i + 1));
        i = words.length;
        continue;
      }
    }
    if (!w.startsWith('--')) throw new RuleSyntax('UnknownOption', w, 'an iptables option');
    // Module options; tcp/udp options are also implicit after -p tcp / -p udp.
    let mod = module;
    if ((w === '--sport' || w === '--dport' || w === '--source-port' || w === '--destination-port') && mod !== 'tcp' && mod !== 'udp') mod = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : mod;
    if (w === '--icmp-type' && proto === 1) mod = 'icmp';
    if ((w === '--tcp-flags' || w === '--syn') && mod !== 'tcp' && proto === 6) mod = 'tcp';
    const opt = `${mod} ${w}`;
    switch (opt) {
      case 'tcp --sport':
      case 'tcp --source-port':
      case 'udp --sport':
      case 'udp --source-port':
      case 'tcp --dport':
      case 'tcp --destination-port':
      case 'udp --dport':
      case 'udp --destination-port': {
        const [lo, hi] = parsePortRange(next(w));
        matches.push({ kind: 'port', module: mod as 'tcp' | 'udp', dir: w.startsWith('--s') ? 'src' : 'dst', lo, hi, neg: take() });
        break;
      }
      case 'tcp --tcp-flags': {
        const mask = tcpFlags(next(w));
        const comp = tcpFlags(next(w));
        matches.push({ kind: 'tcpflags', mask, comp, neg: take() });
        break;
      }
      case 'tcp --syn':
        // libxt_tcp: --syn is --tcp-flags SYN,RST,ACK,FIN SYN.
        matches.push({ kind: 'tcpflags', mask: 0x17, comp: 0x02, neg: take() });
        break;
      case 'multiport --sports':
      case 'multiport --source-ports':
      case 'multiport --dports':
      case 'multiport --destination-ports':
      case 'multiport --ports': {
        const dir = w === '--ports' ? 'any' : w.startsWith('--s') ? 'src' : 'dst';
        matches.push({ kind: 'multiport', dir, ports: portList(next(w)), neg: take() });
        break;
      }
      case 'icmp --icmp-type': {
        const text = next(w);
        const [type, codeLo, codeHi] = icmpType(text);
        matches.push({ kind: 'icmp', type, codeLo, codeHi, text, neg: take() });
        break;
      }
      case 'set --match-set': {
        const name = next(w);
        const flagText = next(w);
        const flags = flagText.split(',');
        if (flags.some((f) => f !== 'src' && f !== 'dst') || flags.length > 6) throw new RuleSyntax('BadSetFlags', flagText, 'src, dst or a comma list of them');
        matches.push({ kind: 'set', name, flags: flags as ('src' | 'dst')[], neg: take() });
        break;
      }
      case 'mark --mark': {
        const { value, mask } = parseValueMask(next(w));
        matches.push({ kind: 'mark', value, mask, neg: take() });
        break;
      }
      case 'conntrack --ctstate':
      case 'state --state':
        matches.push({ kind: 'ctstate', module: mod as 'conntrack' | 'state', states: bits(next(w), CTSTATE, 'conntrack state'), neg: take() });
        break;
      case 'addrtype --src-type':
      case 'addrtype --dst-type':
        addrtype![w === '--src-type' ? 'src' : 'dst'] = { types: bits(next(w), ADDRTYPE, 'address type'), neg: take() };
        break;
      case 'addrtype --limit-iface-in':
      case 'addrtype --limit-iface-out':
        addrtype![w === '--limit-iface-in' ? 'limitIn' : 'limitOut'] = true;
        break;
      case 'comment --comment':
        matches.push({ kind: 'comment', text: next(w), neg: false });
        break;
      case 'rpfilter --loose':
      case 'rpfilter --validmark':
      case 'rpfilter --accept-local':
      case 'rpfilter --invert': {
        const key = ({ '--loose': 'loose', '--validmark': 'validmark', '--accept-local': 'acceptLocal', '--invert': 'invert' } as const)[w as '--loose'];
        rpf![key] = true;
        break;
      }
      default:
        throw new RuleSyntax('UnknownOption', w, module ? `an option of -m ${module}` : 'an iptables option', true);
    }
    if (neg) throw new RuleSyntax('BadNegation', w, 'an option that can be negated');
  }
  if (neg) throw new RuleSyntax('BadNegation', '!', 'an option after "!"');
  if (addrtype && addrtype.limitIn && addrtype.limitOut) throw new RuleSyntax('BadValue', '--limit-iface-out', 'only one of --limit-iface-in and --limit-iface-out');
  return { matches, target };
}
