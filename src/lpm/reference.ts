/**
 * A slow, obviously correct longest-prefix-match table: one `Map` per prefix
 * length, and a lookup that masks the address to every length from the
 * longest down and returns the first hit. It is the model the WASM
 * {@link RouteTable} is tested against and the "TS reference" of the
 * benchmark. Same API as `RouteTable` for everything but batches and memory.
 */
import { InputError } from '../core/errors.js';
import { formatCidr, maskV4, maskV6, parseCidr, parseIP, type Cidr, type Ip6 } from '../net/ip.js';
import { LPM_NEXT_HOP_MAX, LPM_NO_ROUTE } from '../../assembly/shared/lpm.js';

/** One route as iteration yields it. */
export interface Route {
  /** Canonical `ADDR/LEN`. */
  cidr: string;
  /** Next-hop id, 0..{@link LPM_NEXT_HOP_MAX}. */
  nextHop: number;
}

/** Address family of a table. */
export type Family = 4 | 6;

/** Throws unless `nextHop` is an integer 0..LPM_NEXT_HOP_MAX (2147483646). */
export function checkNextHop(nextHop: number): void {
  if (!Number.isInteger(nextHop) || nextHop < 0 || nextHop > LPM_NEXT_HOP_MAX) {
    throw new InputError('InvalidNextHop', describeArg(nextHop), `an integer next-hop id 0..${LPM_NEXT_HOP_MAX}`);
  }
}

/** Parses an address argument (text, a u32 for IPv4, four words for IPv6) of `family`. */
export function addressOf(addr: string | number | Ip6, family: Family): number | Ip6 {
  if (typeof addr === 'string') {
    const ip = parseIP(addr);
    if (ip.family !== family) throw new InputError('WrongFamily', addr, `an IPv${family} address`, { char: 0 });
    return ip.addr;
  }
  if (family === 4) {
    if (typeof addr !== 'number' || !Number.isInteger(addr) || addr < 0 || addr > 0xffffffff) {
      throw new InputError('InvalidAddress', describeArg(addr), 'an IPv4 address as text or an unsigned 32-bit integer');
    }
    return addr;
  }
  if (!Array.isArray(addr) || addr.length !== 4 || !addr.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw new InputError('InvalidAddress', describeArg(addr), 'an IPv6 address as text or four unsigned 32-bit words');
  }
  return addr;
}

/** A short text of any argument for an error message (`[1,2,3]`, `null`, `Symbol(x)`). */
export function describeArg(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol' || typeof v === 'bigint') return String(v);
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<unknown>).length})`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Parses a prefix argument: text such as `10.0.0.0/8` (a bare address is a host route). */
export function cidrArg(cidr: unknown, family: Family): Cidr {
  if (typeof cidr !== 'string') throw new InputError('InvalidPrefix', describeArg(cidr), `a prefix as text, e.g. ${family === 4 ? '"10.0.0.0/8"' : '"2001:db8::/32"'}`);
  return parseCidr(cidr, family);
}

/** Checks the `family` option of a table. */
export function familyArg(opts: unknown): Family {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) throw new InputError('InvalidOptions', describeArg(opts), 'an options object such as { family: 4 }');
  const family = (opts as { family?: unknown } | undefined)?.family ?? 4;
  if (family !== 4 && family !== 6) throw new InputError('InvalidFamily', describeArg(family), 'address family 4 or 6');
  return family;
}

/** Orders prefixes by address, then by length (shorter first). */
export function compareCidr(a: Cidr, b: Cidr): number {
  if (a.family === 4 && b.family === 4) return a.addr - b.addr || a.len - b.len;
  const x = a.addr as Ip6;
  const y = b.addr as Ip6;
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return a.len - b.len;
}

/** The reference table. Errors and results are those of `RouteTable`. */
export class ReferenceTable {
  /** Address family. */
  readonly family: Family;
  private readonly byLen: Map<string, { cidr: Cidr; nextHop: number }>[];

  /** An empty table of `family` (default 4). */
  constructor(opts: { family?: Family } = {}) {
    this.family = familyArg(opts);
    this.byLen = Array.from({ length: this.family === 4 ? 33 : 129 }, () => new Map());
  }

  private key(addr: number | Ip6): string {
    return typeof addr === 'number' ? String(addr) : addr.join(',');
  }

  /** Adds or replaces `cidr` (like `ip route replace`). */
  insert(cidr: string, nextHop: number): void {
    checkNextHop(nextHop);
    const c = cidrArg(cidr, this.family);
    this.byLen[c.len].set(this.key(c.addr), { cidr: c, nextHop });
  }

  /** Removes `cidr`; whether it was there. */
  remove(cidr: string): boolean {
    const c = cidrArg(cidr, this.family);
    return this.byLen[c.len].delete(this.key(c.addr));
  }

  /** Next hop of exactly `cidr`, or -1. */
  get(cidr: string): number {
    const c = cidrArg(cidr, this.family);
    return this.byLen[c.len].get(this.key(c.addr))?.nextHop ?? LPM_NO_ROUTE;
  }

  /** Next hop of the longest prefix containing `addr`, or -1. */
  lookup(addr: string | number | Ip6): number {
    const a = addressOf(addr, this.family);
    for (let len = this.byLen.length - 1; len >= 0; len--) {
      const masked = typeof a === 'number' ? (a & maskV4(len)) >>> 0 : maskV6(a, len);
      const hit = this.byLen[len].get(this.key(masked));
      if (hit) return hit.nextHop;
    }
    return LPM_NO_ROUTE;
  }

  /** Number of prefixes. */
  get size(): number {
    return this.byLen.reduce((n, m) => n + m.size, 0);
  }

  /** Routes sorted by address, then length. */
  *[Symbol.iterator](): IterableIterator<Route> {
    const all = this.byLen.flatMap((m) => [...m.values()]);
    all.sort((a, b) => compareCidr(a.cidr, b.cidr));
    for (const r of all) yield { cidr: formatCidr(r.cidr), nextHop: r.nextHop };
  }
}
