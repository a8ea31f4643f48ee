/**
 * Parses what follows `-j NAME` / `-g NAME`: the modelled targets and their
 * options (libxt_MARK, libxt_REJECT, libipt_SNAT/DNAT/MASQUERADE, ...), or a
 * chain reference resolved at COMMIT.
 */
import type { Target } from './model.js';
import { RuleSyntax, parsePort, parseValueMask } from './values.js';
import { parseIPv4 } from '../net/ip.js';

/** Targets understood (with their effect modelled). */
export const KNOWN_TARGETS = ['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'MARK', 'LOG', 'NOTRACK', 'CT', 'MASQUERADE', 'SNAT', 'DNAT', 'TRACE'];
/** Real kernel targets that are not modelled: lenient loading turns them into never-matching rules. */
const UNMODELLED_TARGETS = /^(REDIRECT|TPROXY|NFQUEUE|QUEUE|CLASSIFY|CONNMARK|DSCP|TOS|TCPMSS|SET|NETMAP|HMARK|NFLOG|ULOG|AUDIT|CHECKSUM|SECMARK|CONNSECMARK|IDLETIMER|LED|RATEEST|TEE|SYNPROXY|ECN|TTL|CLUSTERIP)$/;
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

/** Parses a target name and its option words. */
export function parseTarget(name: string, isGoto: boolean, opts: string[]): Target {
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

