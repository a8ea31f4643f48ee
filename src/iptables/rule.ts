/**
 * Parses the words of one `-A CHAIN ...` line into matches and a target,
 * the way iptables' option parser reads them: global options (`-s -d -p -i
 * -o`), then `-m MODULE` followed by that module's options, then `-j`/`-g`
 * and the target's options. `!` negates the option that follows it.
 */
import { ADDRTYPE, CTSTATE, type AddrTypeName, type CtStateName, type Match, type PortRange, type Target } from './model.js';
import { RuleSyntax, parseAddrMask, parseIface, parsePortRange, parseProto, parseU32, parseValueMask, parsePort } from './values.js';
import { parseIPv4 } from '../net/ip.js';

/** Targets understood (with their effect modelled). */
export const KNOWN_TARGETS = ['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'MARK', 'LOG', 'NOTRACK', 'CT', 'MASQUERADE', 'SNAT', 'DNAT', 'TRACE'];
/** Real kernel targets that are not modelled: lenient loading turns them into never-matching rules. */
const UNMODELLED_TARGETS = /^(REDIRECT|TPROXY|NFQUEUE|QUEUE|CLASSIFY|CONNMARK|DSCP|TOS|TCPMSS|SET|NETMAP|HMARK|NFLOG|ULOG|AUDIT|CHECKSUM|SECMARK|CONNSECMARK|IDLETIMER|LED|RATEEST|TEE|SYNPROXY|ECN|TTL|CLUSTERIP)$/;
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

/** What one rule line parses to. `jumpName` is a chain (or unknown target) to resolve against the table. */
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

function portList(text: string): PortRange[] {
  const list = text.split(',').map(parsePortRange);
  // libxt_multiport: a range must have LOW < HIGH ("invalid portrange specified").
  for (const [lo, hi] of list) if (lo === hi && text.split(',').some((t) => t.includes(':') && parsePortRange(t)[0] === lo && parsePortRange(t)[1] === hi)) throw new RuleSyntax('BadPortRange', text, 'multiport ranges LOW:HIGH with LOW < HIGH');
  const slots = list.reduce((n, [lo, hi]) => n + (lo === hi ? 1 : 2), 0);
  if (slots > 15) throw new RuleSyntax('TooManyPorts', text, 'at most 15 ports (a range counts as two)');
  return list;
}

/** NAT `--to-source`/`--to-destination`: `ADDR[-ADDR][:PORT[-PORT]]`. */
function natTo(text: string): { addr: number; addrHi: number; portLo: number; portHi: number } {
  const m = /^([0-9.]+)(?:-([0-9.]+))?(?::(\d+)(?:-(\d+))?)?$/.exec(text);
  const bad = (): never => {
    throw new RuleSyntax('BadNatRange', text, 'ADDR[-ADDR][:PORT[-PORT]]');
  };
  if (!m) return bad();
  try {
    const addr = parseIPv4(m[1]);
    const addrHi = m[2] ? parseIPv4(m[2]) : addr;
    const portLo = m[3] ? parsePort(m[3]) : 0;
    const portHi = m[4] ? parsePort(m[4]) : portLo;
    if (addrHi < addr || portHi < portLo) bad();
    return { addr, addrHi, portLo, portHi };
  } catch {
    return bad();
  }
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

function parseTarget(name: string, isGoto: boolean, opts: string[]): Target {
  if (isGoto || !KNOWN_TARGETS.includes(name)) {
    if (UNMODELLED_TARGETS.test(name)) throw new RuleSyntax('UnknownTarget', name, `a target cnikit models (${KNOWN_TARGETS.join(', ')}) or a chain`, true);
    if (opts.length) throw new RuleSyntax('UnknownOption', opts[0], `nothing after -${isGoto ? 'g' : 'j'} ${name}`, true);
    return { kind: isGoto ? 'goto' : 'jump', chain: name };
  }
  const val = (k: number): string => {
    const v = opts[k + 1];
    if (v === undefined) throw new RuleSyntax('MissingValue', opts[k], `a value after ${opts[k]}`);
    return v;
  };
  const bad = (k: number): never => {
    throw new RuleSyntax('UnknownOption', opts[k], `an option of -j ${name}`, true);
  };
  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'NOTRACK':
    case 'TRACE':
      if (opts.length) bad(0);
      return { kind: name };
    case 'REJECT': {
      let w = 'icmp-port-unreachable';
      for (let k = 0; k < opts.length; k += 2) {
        if (opts[k] !== '--reject-with') bad(k);
        w = val(k);
      }
      return { kind: 'REJECT', with: w };
    }
    case 'MARK': {
      let t: { value: number; mask: number } | undefined;
      for (let k = 0; k < opts.length; k += 2) {
        const v = parseValueMask(val(k));
        // xt_MARK: mark = (mark & ~mask) ^ value; libxt_MARK maps every form onto that.
        if (opts[k] === '--set-xmark') t = { value: v.value, mask: v.mask };
        else if (opts[k] === '--set-mark') t = { value: v.value, mask: (v.value | v.mask) >>> 0 };
        else if (opts[k] === '--and-mark') t = { value: 0, mask: ~v.value >>> 0 };
        else if (opts[k] === '--or-mark') t = { value: v.value, mask: v.value };
        else if (opts[k] === '--xor-mark') t = { value: v.value, mask: 0 };
        else bad(k);
      }
      if (!t) throw new RuleSyntax('MissingValue', 'MARK', 'one of --set-xmark, --set-mark, --and-mark, --or-mark, --xor-mark');
      return { kind: 'MARK', ...t };
    }
    case 'LOG':
      return { kind: 'LOG', options: opts };
    case 'CT':
      return { kind: 'CT', notrack: opts.includes('--notrack'), options: opts };
    case 'MASQUERADE': {
      let lo = 0;
      let hi = 0;
      for (let k = 0; k < opts.length; k++) {
        if (opts[k] === '--to-ports') {
          [lo, hi] = val(k).split('-').length === 2 ? (val(k).split('-').map(parsePort) as [number, number]) : [parsePort(val(k)), parsePort(val(k))];
          k++;
        } else if (opts[k] !== '--random' && opts[k] !== '--random-fully') bad(k);
      }
      return { kind: 'MASQUERADE', portLo: lo, portHi: hi, options: opts };
    }
    default: {
      // SNAT / DNAT
      const want = name === 'SNAT' ? '--to-source' : '--to-destination';
      let to: ReturnType<typeof natTo> | undefined;
      for (let k = 0; k < opts.length; k++) {
        if (opts[k] === want) to = natTo(val(k++));
        else if (!['--random', '--random-fully', '--persistent'].includes(opts[k])) bad(k);
      }
      if (!to) throw new RuleSyntax('MissingValue', name, `${want} ADDR[-ADDR][:PORT[-PORT]]`);
      return { kind: name as 'SNAT' | 'DNAT', ...to, options: opts };
    }
  }
}

/** Helper for the reference: the value of a `--set-xmark` style target applied to a mark. */
export function applyMark(mark: number, t: { value: number; mask: number }): number {
  return ((mark & ~t.mask) ^ t.value) >>> 0;
}

export { parseU32 };
