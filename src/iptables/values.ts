/**
 * Token-level parsing shared by the rule parser: shell-like splitting as
 * iptables-restore does it, and the value syntaxes of iptables options
 * (addresses with prefix or dotted mask, ports and port ranges, marks).
 * Each parser throws `RuleSyntax` with the offending token.
 */
import { parseIPv4, maskV4 } from '../net/ip.js';
import { PROTOCOLS } from './model.js';

/** A problem in one token of a rule; the loader adds file and line. */
export class RuleSyntax extends Error {
  constructor(
    readonly code: string,
    readonly token: string,
    readonly expected: string,
    /** True for constructs lenient loading may turn into a never-matching rule. */
    readonly unsupported = false,
  ) {
    super(`${code}: ${token}: ${expected}`);
  }
}

/**
 * Splits a rule line into words: whitespace separates, double quotes group
 * (with `\"` and `\\` escapes, as xtables_save_string writes them), single
 * quotes group literally.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length) i++;
          word += line[i++];
        }
        if (i >= line.length) throw new RuleSyntax('UnterminatedQuote', line, 'a closing "');
        i++;
      } else if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end === -1) throw new RuleSyntax('UnterminatedQuote', line, "a closing '");
        word += line.slice(i + 1, end);
        i = end + 1;
      } else {
        word += c;
        i++;
      }
    }
    out.push(word);
  }
  return out;
}

/** Quotes a word the way iptables-save does when it has spaces or quotes. */
export function quote(s: string): string {
  if (s !== '' && !/[\s"'\\]/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `-s`/`-d` value: `ADDR`, `ADDR/LEN` or `ADDR/DOTTED.MASK`; host bits are masked off as iptables does. */
export function parseAddrMask(text: string): { addr: number; len: number } {
  const slash = text.indexOf('/');
  const bad = (): never => {
    throw new RuleSyntax('BadAddress', text, 'an IPv4 address with optional /LEN or /MASK');
  };
  let addr: number;
  try {
    addr = parseIPv4(slash === -1 ? text : text.slice(0, slash));
  } catch {
    return bad();
  }
  let len = 32;
  if (slash !== -1) {
    const m = text.slice(slash + 1);
    if (/^\d{1,2}$/.test(m) && Number(m) <= 32) len = Number(m);
    else {
      let mask: number;
      try {
        mask = parseIPv4(m);
      } catch {
        return bad();
      }
      const ones = Math.clz32(~mask >>> 0);
      if (maskV4(ones) !== mask) bad();
      len = ones;
    }
  }
  return { addr: (addr & maskV4(len)) >>> 0, len };
}

/** A port number 0..65535 (decimal, as iptables-save writes it). */
export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new RuleSyntax('BadPort', text, 'a port number 0..65535');
  return Number(text);
}

/** `P`, `LO:HI`, `LO:` or `:HI`. */
export function parsePortRange(text: string): [number, number] {
  const colon = text.indexOf(':');
  if (colon === -1) {
    const p = parsePort(text);
    return [p, p];
  }
  const lo = colon === 0 ? 0 : parsePort(text.slice(0, colon));
  const hi = colon === text.length - 1 ? 65535 : parsePort(text.slice(colon + 1));
  if (hi < lo) throw new RuleSyntax('BadPortRange', text, 'a port range LOW:HIGH with LOW <= HIGH');
  return [lo, hi];
}

/** An unsigned 32-bit number, hex (`0x..`) or decimal. */
export function parseU32(text: string): number {
  if (!/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(text) || Number(text) > 0xffffffff) throw new RuleSyntax('BadValue', text, 'a 32-bit number (decimal or 0x hex)');
  return Number(text) >>> 0;
}

/** `VALUE[/MASK]`, mask defaulting to 0xffffffff. */
export function parseValueMask(text: string): { value: number; mask: number } {
  const slash = text.indexOf('/');
  if (slash === -1) return { value: parseU32(text), mask: 0xffffffff };
  return { value: parseU32(text.slice(0, slash)), mask: parseU32(text.slice(slash + 1)) };
}

/** `-p` value: a name from /etc/protocols or a number 0..255. */
export function parseProto(text: string): number {
  const t = text.toLowerCase();
  if (t in PROTOCOLS) return PROTOCOLS[t];
  if (/^\d{1,3}$/.test(t) && Number(t) <= 255) return Number(t);
  throw new RuleSyntax('BadProtocol', text, 'a protocol name (tcp, udp, icmp, ...) or number 0..255', true);
}

/** `-i`/`-o` value: up to 15 characters, a trailing `+` is a prefix wildcard. */
export function parseIface(text: string): { name: string; wildcard: boolean } {
  if (text.length === 0 || text.length > 16 || /[\s/]/.test(text)) throw new RuleSyntax('BadInterface', text, 'an interface name of 1..15 characters, optionally ending in +');
  if (text.endsWith('+')) return { name: text.slice(0, -1), wildcard: true };
  return { name: text, wildcard: false };
}

/** Formats a 32-bit value as iptables-save does (`0x...`). */
export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
