/**
 * The IPv6 half of `CheckNetworkConfig` (pkg/subnet/config.go): `IPv6Network`
 * required, `IPv6SubnetLen` <= 126 and leaving four subnets, or by default
 * /64 for a /62 or shorter network, else its length + 2 (a network longer
 * than /124 is refused); `IPv6SubnetMin` defaults to the second subnet,
 * `IPv6SubnetMax` to the last, given ones inside the network and aligned.
 * Addresses are BigInts. The kernel model is IPv4 only: flanneld refuses to
 * start with IPv6 enabled (see flanneld.ts); the config is still checked.
 */
import { InputError } from '../core/errors.js';
import { formatIPv6, parseCidr, parseIPv6, type Cidr } from '../net/ip.js';

/** The checked IPv6 settings. */
export interface IPv6Conf {
  network: string;
  subnetLen: number;
  subnetMin: string;
  subnetMax: string;
}

const big = (a: readonly number[]): bigint => a.reduce((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
const text = (b: bigint): string => formatIPv6([0, 1, 2, 3].map((i) => Number((b >> BigInt(96 - 32 * i)) & 0xffffffffn)) as [number, number, number, number]);

/** flanneld's refusal of a net-conf field, naming the field and the config's source. */
export function refuse(input: string, message: string, source: string): never {
  throw new InputError('BadNetConf', input, `${message} (${source})`);
}

/** A `Network` / `IPv6Network` field as a prefix of `family` (`example` shows one), or flanneld's refusal. */
export function networkField<F extends 4 | 6>(field: string, value: unknown, family: F, example: string, source: string): { text: string; net: Extract<Cidr, { family: F }> } {
  if (value === undefined || value === '') refuse(field, `please define a correct ${field} parameter in the flannel config`, source);
  let net: Cidr;
  try {
    if (typeof value !== 'string') throw new Error();
    net = parseCidr(value, family);
  } catch {
    throw new InputError('BadNetConf', `${field}: ${JSON.stringify(value)}`, `an IPv${family} prefix such as ${example} in ${source}`);
  }
  if (net.family !== family) refuse(`${field}: ${value}`, `an IPv${family} prefix`, source);
  return { text: value as string, net: net as Extract<Cidr, { family: F }> };
}

/** Checks the IPv6 fields and fills their defaults. */
export function checkIPv6(networkIn: unknown, subnetLen: number, min: unknown, max: unknown, source: string): IPv6Conf {
  const { text: network, net } = networkField('IPv6Network', networkIn, 6, 'fc00::/48', source);
  let len = subnetLen;
  if (len > 0) {
    if (len > 126) refuse(`IPv6SubnetLen: ${len}`, 'SubnetLen must be less than /127', source);
    if (len < net.len + 2) refuse(`IPv6SubnetLen: ${len}`, 'network must be able to accommodate at least four subnets', source);
  } else if (net.len > 124) refuse(`IPv6Network: ${network}`, 'IPv6Network is too small. Minimum useful network prefix is /124', source);
  else len = net.len <= 62 ? 64 : net.len + 2;
  const base = big(net.addr);
  const size = 1n << BigInt(128 - len);
  const netMask = ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - net.len)) - 1n);
  const subMask = ((1n << 128n) - 1n) ^ (size - 1n);
  const addr = (v: unknown, f: string): bigint | undefined => {
    if (v === undefined || v === '') return undefined;
    try {
      if (typeof v !== 'string') throw new Error();
      return big(parseIPv6(v));
    } catch {
      throw new InputError('BadNetConf', `${f}: ${JSON.stringify(v)}`, `an IPv6 address in ${source}`);
    }
  };
  let lo = addr(min, 'IPv6SubnetMin');
  if (lo === undefined) lo = base + size;
  else if ((lo & netMask) !== base) refuse(`IPv6SubnetMin: ${text(lo)}`, 'IPv6SubnetMin is not in the range of the IPv6Network', source);
  let hi = addr(max, 'IPv6SubnetMax');
  if (hi === undefined) hi = base + (1n << BigInt(128 - net.len)) - size;
  else if ((hi & netMask) !== base) refuse(`IPv6SubnetMax: ${text(hi)}`, 'IPv6SubnetMax is not in the range of the IPv6Network', source);
  if ((lo & subMask) !== lo) refuse(`IPv6SubnetMin: ${text(lo)}`, `IPv6SubnetMin is not on a SubnetLen boundary: ${text(lo)}`, source);
  if ((hi & subMask) !== hi) refuse(`IPv6SubnetMax: ${text(hi)}`, `IPv6SubnetMax is not on a SubnetLen boundary: ${text(hi)}`, source);
  return { network, subnetLen: len, subnetMin: text(lo), subnetMax: text(hi) };
}
