/**
 * IPv4 address arithmetic for laying out a cluster: the n-th host of a
 * subnet, the k-th subnet of a network, and how many of either fit. Numbers
 * are unsigned 32-bit addresses (`src/net/ip.ts`); errors are `InputError`s
 * naming the prefix and the index that does not fit, raised before anything
 * is built.
 */
import { InputError } from '../core/errors.js';
import { formatIPv4, maskV4, parseCidr } from '../net/ip.js';

/** An IPv4 prefix as numbers. */
export interface Prefix4 {
  addr: number;
  len: number;
}

/** Parses an IPv4 `ADDR/LEN` (host bits must be clear, as `ip route` wants). */
export function prefix4(cidr: string): Prefix4 {
  const c = parseCidr(cidr, 4);
  if (c.family !== 4) throw new InputError('WrongFamily', cidr, 'an IPv4 prefix');
  return { addr: c.addr, len: c.len };
}

/** `ADDR/LEN` text of a prefix. */
export function prefixText(p: Prefix4): string {
  return `${formatIPv4(p.addr)}/${p.len}`;
}

/**
 * Usable host numbers of a prefix: 1 .. size - 2 (the network and broadcast
 * addresses are not hosts); a /31 has two (RFC 3021) and a /32 one, numbered
 * from 0.
 */
export function hostCount(len: number): number {
  if (len >= 31) return 2 ** (32 - len);
  return 2 ** (32 - len) - 2;
}

/**
 * Host number `n` of `p`: `p.addr + n`. For /30 and shorter, n runs
 * 1 .. size - 2; for /31 and /32, 0 .. size - 1. Beyond the prefix is an
 * `AddressExhausted` error naming `what` (for example "node 256").
 */
export function nthHost(p: Prefix4, n: number, what = `host ${n}`): number {
  const first = p.len >= 31 ? 0 : 1;
  const last = first + hostCount(p.len) - 1;
  if (!Number.isInteger(n) || n < first || n > last) {
    throw new InputError('AddressExhausted', prefixText(p), `${what} needs host number ${n}, but ${prefixText(p)} has hosts ${first}..${last}`);
  }
  return (p.addr + n) >>> 0;
}

/** How many `/subLen` subnets `p` holds. */
export function subnetCount(p: Prefix4, subLen: number): number {
  return subLen < p.len ? 0 : 2 ** (subLen - p.len);
}

/** Subnet `k` (from 0) of length `subLen` inside `p`, or an `AddressExhausted` error naming `what`. */
export function nthSubnet(p: Prefix4, subLen: number, k: number, what = `subnet ${k}`): Prefix4 {
  if (!Number.isInteger(subLen) || subLen < p.len || subLen > 32) {
    throw new InputError('InvalidPrefixLength', prefixText(p), `a subnet length ${p.len}..32 for ${what}, got /${subLen}`);
  }
  const count = subnetCount(p, subLen);
  if (!Number.isInteger(k) || k < 0 || k >= count) {
    throw new InputError('AddressExhausted', prefixText(p), `${what} needs /${subLen} number ${k}, but ${prefixText(p)} holds /${subLen}s 0..${count - 1}`);
  }
  return { addr: (p.addr + k * 2 ** (32 - subLen)) >>> 0, len: subLen };
}

/** Whether two prefixes share any address. */
export function overlaps(a: Prefix4, b: Prefix4): boolean {
  const len = Math.min(a.len, b.len);
  return ((a.addr & maskV4(len)) >>> 0) === ((b.addr & maskV4(len)) >>> 0);
}

/** Whether `addr` lies inside `p`. */
export function inside(p: Prefix4, addr: number): boolean {
  return ((addr & maskV4(p.len)) >>> 0) === p.addr;
}
