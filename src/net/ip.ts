/**
 * Strict parsing and formatting of IPv4/IPv6 addresses, prefixes and MACs,
 * shared by every module. Errors are `InputError`s naming the input, the
 * character where parsing stopped and what was expected, in the words Linux
 * `ip` uses where it has some ("invalid prefix for given prefix length").
 *
 * IPv4 addresses are unsigned 32-bit numbers (`>>> 0`); IPv6 addresses are
 * four such words, most significant first (network order).
 */
import { InputError } from '../core/errors.js';

/** An IPv6 address as four big-endian 32-bit words. */
export type Ip6 = [number, number, number, number];

/** A parsed prefix. `addr` is a number for family 4, four words for family 6. */
export type Cidr = { family: 4; addr: number; len: number } | { family: 6; addr: Ip6; len: number };

function fail(code: string, input: string, char: number, expected: string): never {
  throw new InputError(code, input, expected, { char });
}

/** Parses dotted-quad IPv4 (`10.0.0.1`); no leading zeros, no shorthand. */
export function parseIPv4(s: string): number {
  let value = 0;
  let i = 0;
  for (let octet = 0; octet < 4; octet++) {
    if (octet > 0) {
      if (s.charCodeAt(i) !== 46) fail('InvalidAddress', s, i, 'an IPv4 address a.b.c.d (expected ".")');
      i++;
    }
    const start = i;
    let n = 0;
    while (i < s.length && i - start < 4) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
    }
    if (i === start) fail('InvalidAddress', s, i, 'an IPv4 address a.b.c.d (expected a decimal octet)');
    if (i - start > 1 && s.charCodeAt(start) === 48) fail('InvalidAddress', s, start, 'an IPv4 octet without leading zeros');
    if (n > 255) fail('InvalidAddress', s, start, `an IPv4 octet 0..255 (got ${s.slice(start, i)})`);
    value = value * 256 + n;
  }
  if (i !== s.length) fail('InvalidAddress', s, i, 'end of IPv4 address');
  return value >>> 0;
}

/** Formats a 32-bit number as dotted quad. */
export function formatIPv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Parses IPv6 text (RFC 4291 §2.2: `::` compression, embedded dotted IPv4 tail). */
export function parseIPv6(s: string): Ip6 {
  const expected = 'an IPv6 address (RFC 4291 text form)';
  if (s.length === 0 || s.length > 45) fail('InvalidAddress', s, 0, expected);
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) fail('InvalidAddress', s, s.indexOf('::', dbl + 1), `${expected} with at most one "::"`);
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (dbl === 0) {
    gap = 0;
    i = 2;
  }
  while (i < s.length) {
    const start = i;
    while (i < s.length && /[0-9a-fA-F]/.test(s[i])) i++;
    if (i < s.length && s[i] === '.') {
      // Dotted IPv4 tail: the rest of the string.
      const v4 = parseIPv4Tail(s, start);
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = s.length;
      break;
    }
    if (i === start || i - start > 4) fail('InvalidAddress', s, start, `${expected} (1 to 4 hex digits per group)`);
    groups.push(parseInt(s.slice(start, i), 16));
    if (i === s.length) break;
    if (s[i] !== ':') fail('InvalidAddress', s, i, `${expected} (expected ":")`);
    if (s[i + 1] === ':') {
      gap = groups.length;
      i += 2;
    } else {
      i++;
      if (i === s.length) fail('InvalidAddress', s, i, `${expected} (a group after ":")`);
    }
  }
  if (gap === -1 ? groups.length !== 8 : groups.length > 7) fail('InvalidAddress', s, s.length, `${expected} (8 groups of 16 bits)`);
  const full = gap === -1 ? groups : [...groups.slice(0, gap), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(gap)];
  return [((full[0] << 16) | full[1]) >>> 0, ((full[2] << 16) | full[3]) >>> 0, ((full[4] << 16) | full[5]) >>> 0, ((full[6] << 16) | full[7]) >>> 0];
}

function parseIPv4Tail(s: string, start: number): number {
  try {
    return parseIPv4(s.slice(start));
  } catch (e) {
    const char = e instanceof InputError ? (e.position?.char ?? 0) : 0;
    return fail('InvalidAddress', s, start + char, 'an IPv6 address with a valid dotted IPv4 tail');
  }
}

/** Formats an IPv6 address in RFC 5952 canonical form (lowercase, longest zero run as `::`). */
export function formatIPv6(a: Ip6): string {
  const g: number[] = [];
  for (const w of a) g.push(w >>> 16, w & 0xffff);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best === -1) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Parses either family; IPv6 when the text has a ":". */
export function parseIP(s: string): { family: 4; addr: number } | { family: 6; addr: Ip6 } {
  return s.includes(':') ? { family: 6, addr: parseIPv6(s) } : { family: 4, addr: parseIPv4(s) };
}

/** The IPv4 netmask of a prefix length (0..32) as an unsigned number. */
export function maskV4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Masks an IPv6 address to `len` bits. */
export function maskV6(a: Ip6, len: number): Ip6 {
  return a.map((w, i) => {
    const bits = Math.max(0, Math.min(32, len - 32 * i));
    return (w & maskV4(bits)) >>> 0;
  }) as Ip6;
}

/**
 * Parses `ADDR/LEN` (or a bare address, meaning a host prefix, as `ip route`
 * reads it). Host bits set is an error, as Linux gives it: "invalid prefix for
 * given prefix length". `family` restricts the accepted family.
 */
export function parseCidr(s: string, family?: 4 | 6): Cidr {
  const slash = s.indexOf('/');
  const addrText = slash === -1 ? s : s.slice(0, slash);
  const ip = parseIP(addrText);
  if (family !== undefined && ip.family !== family) fail('WrongFamily', s, 0, `an IPv${family} prefix`);
  const max = ip.family === 4 ? 32 : 128;
  let len = max;
  if (slash !== -1) {
    const lenText = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > max) fail('InvalidPrefixLength', s, slash + 1, `a prefix length 0..${max}`);
    len = Number(lenText);
  }
  if (ip.family === 4) {
    if ((ip.addr & ~maskV4(len)) !== 0) fail('InvalidPrefix', s, 0, 'invalid prefix for given prefix length');
    return { family: 4, addr: ip.addr, len };
  }
  const m = maskV6(ip.addr, len);
  if (m.some((w, i) => w !== ip.addr[i])) fail('InvalidPrefix', s, 0, 'invalid prefix for given prefix length');
  return { family: 6, addr: ip.addr, len };
}

/** Formats a prefix as `ADDR/LEN`. */
export function formatCidr(c: Cidr): string {
  return c.family === 4 ? `${formatIPv4(c.addr)}/${c.len}` : `${formatIPv6(c.addr)}/${c.len}`;
}

/** Whether IPv4 `addr` is inside `prefix/len`. */
export function containsV4(prefix: number, len: number, addr: number): boolean {
  return ((addr & maskV4(len)) >>> 0) === prefix >>> 0;
}

/** Parses a MAC address `aa:bb:cc:dd:ee:ff` into 6 bytes. */
export function parseMac(s: string): Uint8Array {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) fail('InvalidMac', s, 0, 'a MAC address aa:bb:cc:dd:ee:ff');
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

/** Formats 6 bytes (at `off`) as a lowercase MAC address. */
export function formatMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}
