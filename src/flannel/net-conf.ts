/**
 * Flannel's network config (`net-conf.json`, or the etcd key
 * `/coreos.com/network/config`), parsed and checked as flanneld does in
 * etcd mode: `ParseConfig` then `CheckNetworkConfig` (pkg/subnet/config.go).
 *
 * - Field names match case-insensitively, as Go's `encoding/json` does.
 * - `EnableIPv4` defaults to true (set before unmarshalling); a missing or
 *   empty `Backend` gives type `udp` (`parseBackendType`; the docs say vxlan).
 * - `SubnetLen` 0: /24 when `Network` is /22 or shorter, else its length + 2;
 *   a network longer than /28 is refused. A given `SubnetLen` must be <= 30
 *   and leave at least four subnets.
 * - `SubnetMin` defaults to the second subnet (the first is skipped: its
 *   `.0` would be the network address on `flannel.1`), `SubnetMax` to the
 *   last; given ones must lie in `Network` and on a `SubnetLen` boundary.
 * - The IPv6 fields follow the same rules with /64, /124 and /126.
 *
 * Departures: flanneld ignores unknown keys and wrong JSON types fail in
 * Go's words; here an unknown key or a wrong type is an `InputError` naming
 * the key, since a typo (`Subnetlen`, `backend: {type: vxlan}`) is always a
 * mistake. Messages keep flanneld's text as the `expected` part.
 */
import { InputError } from '../core/errors.js';
import { formatIPv4, maskV4, parseIPv4 } from '../net/ip.js';
import { parseBackend, type BackendConfig } from './backend-conf.js';
import { checkIPv6, networkField, refuse, type IPv6Conf } from './net-conf-v6.js';

/** The checked config, with every default filled in. Addresses are numbers (unsigned 32-bit). */
export interface NetConf {
  enableIPv4: boolean;
  enableIPv6: boolean;
  /** `Network` as text (`10.244.0.0/16`) and numbers. */
  network: string;
  networkAddr: number;
  networkLen: number;
  subnetLen: number;
  subnetMin: number;
  subnetMax: number;
  /** IPv6 settings when `EnableIPv6`. */
  ipv6?: IPv6Conf;
  enableNFTables: boolean;
  /** `Backend` with its type (lowercased, as `backend.GetBackend`) and options with their defaults. */
  backend: BackendConfig;
}

const FIELDS = ['EnableIPv4', 'EnableIPv6', 'Network', 'IPv6Network', 'SubnetLen', 'IPv6SubnetLen', 'SubnetMin', 'SubnetMax',
  'IPv6SubnetMin', 'IPv6SubnetMax', 'EnableNFTables', 'Backend'] as const;
type Field = (typeof FIELDS)[number];

/** What the JSON object gives per field (canonical name), checked for type. */
type Raw = Partial<Record<Field, unknown>>;

/** `source` names the input in errors (`net-conf.json`, `cluster.yaml flannel.netConf`). */
function fold(obj: unknown, source: string): Raw {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new InputError('BadNetConf', source, 'a JSON object (net-conf.json)');
  const raw: Raw = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const f = FIELDS.find((x) => x.toLowerCase() === k.toLowerCase());
    if (!f) throw new InputError('BadNetConf', k, `a net-conf.json field (${FIELDS.join(', ')}) in ${source}`);
    raw[f] = v;
  }
  return raw;
}

function bool(raw: Raw, f: Field, dflt: boolean, source: string): boolean {
  const v = raw[f];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new InputError('BadNetConf', `${f}: ${JSON.stringify(v)}`, `true or false in ${source}`);
  return v;
}

function uint(raw: Raw, f: Field, source: string): number {
  const v = raw[f];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new InputError('BadNetConf', `${f}: ${JSON.stringify(v)}`, `an unsigned integer in ${source}`);
  return v;
}

function ip4(raw: Raw, f: Field, source: string): number {
  const v = raw[f];
  if (v === undefined) return 0;
  if (typeof v !== 'string') throw new InputError('BadNetConf', `${f}: ${JSON.stringify(v)}`, `an IPv4 address in ${source}`);
  try {
    return parseIPv4(v);
  } catch {
    throw new InputError('BadNetConf', `${f}: ${v}`, `an IPv4 address in ${source}`);
  }
}

/** flanneld's message as the expected part, the field and its value as the input. */
/**
 * Parses and checks a net-conf.json (text or an already decoded object, as
 * the cluster file gives it). Throws `InputError` `BadNetConf` with
 * flanneld's message; nothing is kept from a refused config.
 */
export function parseNetConf(input: string | object, source = 'net-conf.json'): NetConf {
  let obj: unknown = input;
  if (typeof input === 'string') {
    try {
      obj = JSON.parse(input);
    } catch (e) {
      throw new InputError('BadNetConf', input.slice(0, 60), `JSON (${(e as Error).message}) in ${source}`);
    }
  }
  const raw = fold(obj, source);
  const enableIPv4 = bool(raw, 'EnableIPv4', true, source);
  const enableIPv6 = bool(raw, 'EnableIPv6', false, source);
  const backend = parseBackend(raw.Backend, source);
  const conf: NetConf = {
    enableIPv4, enableIPv6, network: '', networkAddr: 0, networkLen: 0, subnetLen: 0, subnetMin: 0, subnetMax: 0,
    enableNFTables: bool(raw, 'EnableNFTables', false, source), backend,
  };
  if (enableIPv4) checkIPv4(raw, conf, source);
  if (enableIPv6) conf.ipv6 = checkIPv6(raw.IPv6Network, uint(raw, 'IPv6SubnetLen', source), raw.IPv6SubnetMin, raw.IPv6SubnetMax, source);
  return conf;
}

function checkIPv4(raw: Raw, conf: NetConf, source: string): void {
  const { text, net } = networkField('Network', raw.Network, 4, '10.244.0.0/16', source);
  // ip.IP4Net keeps the address as given; flanneld masks nothing here, and
  // Contains() masks. parseCidr refuses host bits, as `ip route` does.
  let len = uint(raw, 'SubnetLen', source);
  if (len > 0) {
    if (len > 30) refuse(`SubnetLen: ${len}`, 'SubnetLen must be less than /31', source);
    if (len < net.len + 2) refuse(`SubnetLen: ${len}`, 'network must be able to accommodate at least four subnets', source);
  } else if (net.len > 28) refuse(`Network: ${text}`, 'network is too small. Minimum useful network prefix is /28', source);
  else len = net.len <= 22 ? 24 : net.len + 2;
  const size = 2 ** (32 - len);
  const contains = (a: number) => ((a & maskV4(net.len)) >>> 0) === net.addr;
  let min = ip4(raw, 'SubnetMin', source);
  if (min === 0) min = net.addr + size;
  else if (!contains(min)) refuse(`SubnetMin: ${formatIPv4(min)}`, 'SubnetMin is not in the range of the Network', source);
  let max = ip4(raw, 'SubnetMax', source);
  if (max === 0) max = net.addr + 2 ** (32 - net.len) - size;
  else if (!contains(max)) refuse(`SubnetMax: ${formatIPv4(max)}`, 'SubnetMax is not in the range of the Network', source);
  if (((min & maskV4(len)) >>> 0) !== min) refuse(`SubnetMin: ${formatIPv4(min)}`, `SubnetMin is not on a SubnetLen boundary: ${formatIPv4(min)}`, source);
  if (((max & maskV4(len)) >>> 0) !== max) refuse(`SubnetMax: ${formatIPv4(max)}`, `SubnetMax is not on a SubnetLen boundary: ${formatIPv4(max)}`, source);
  Object.assign(conf, { network: text, networkAddr: net.addr, networkLen: net.len, subnetLen: len, subnetMin: min >>> 0, subnetMax: max >>> 0 });
}

/** How many subnets [SubnetMin, SubnetMax] holds (255 for a /16 of /24s). */
export function subnetCapacity(c: NetConf): number {
  return c.subnetMax < c.subnetMin ? 0 : (c.subnetMax - c.subnetMin) / 2 ** (32 - c.subnetLen) + 1;
}

/** The config as flanneld would print it back (the etcd key's value), defaults filled in. */
export function netConfJson(c: NetConf): string {
  const o: Record<string, unknown> = { Network: c.network, SubnetLen: c.subnetLen, SubnetMin: formatIPv4(c.subnetMin), SubnetMax: formatIPv4(c.subnetMax) };
  if (c.enableIPv6) o.EnableIPv6 = true;
  o.Backend = c.backend.raw;
  return JSON.stringify(o);
}
