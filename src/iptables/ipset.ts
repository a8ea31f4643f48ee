/**
 * `ipset save` output: `create NAME TYPE [options]` and `add NAME ENTRY`
 * lines, for the set types Calico and kube-proxy use: `hash:net`, `hash:ip`,
 * `hash:ip,port` and `bitmap:port`.
 *
 * Every member is turned into an inclusive range of numeric keys, so a set
 * is a sorted list of disjoint ranges (what the WASM engine searches):
 * - `hash:net`, `hash:ip`: key = the IPv4 address;
 * - `hash:ip,port`: key = ip * 2^18 + protoIndex * 2^16 + port (protoIndex: tcp 0, udp 1, sctp 2, udplite 3), < 2^50 so exact in a double;
 * - `bitmap:port`: key = the port.
 *
 * Simplified: `nomatch` entries are refused (they need most-specific-prefix
 * semantics); `timeout`, `comment`, `packets`/`bytes` and similar per-entry
 * options are accepted and ignored; only `family inet` (IPv4).
 */
import { InputError } from '../core/errors.js';
import { parseIPv4, maskV4, formatIPv4 } from '../net/ip.js';

/** Set types understood. */
export type IpSetType = 'hash:net' | 'hash:ip' | 'hash:ip,port' | 'bitmap:port';

/** Number of dimensions (how many `src`/`dst` flags `-m set` consumes). */
export const SET_DIMS: Record<IpSetType, number> = { 'hash:net': 1, 'hash:ip': 1, 'hash:ip,port': 2, 'bitmap:port': 1 };

/** Protocols a `hash:ip,port` entry may name, with their key index. */
export const SET_PROTO_INDEX: Record<number, number> = { 6: 0, 17: 1, 132: 2, 136: 3 };
const PROTO_BY_NAME: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, udplite: 136 };

/** A loaded set. */
export interface IpSet {
  readonly name: string;
  readonly type: IpSetType;
  /** Members as sorted, disjoint, non-adjacent inclusive key ranges. */
  readonly ranges: readonly (readonly [number, number])[];
  /** The member lines as written (for messages). */
  readonly size: number;
  readonly line: number;
}

/** All sets of one `ipset save` dump, by name. */
export type IpSets = Map<string, IpSet>;

/** The key of an `hash:ip,port` member. */
export function ipPortKey(ip: number, proto: number, port: number): number {
  return ip * 262144 + (SET_PROTO_INDEX[proto] ?? 0) * 65536 + port;
}

function merge(list: [number, number][]): [number, number][] {
  list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of list) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function addrRange(text: string, fail: (exp: string) => never): [number, number] {
  try {
    const dash = text.indexOf('-');
    if (dash !== -1) {
      const lo = parseIPv4(text.slice(0, dash));
      const hi = parseIPv4(text.slice(dash + 1));
      if (hi < lo) fail('an address range LOW-HIGH');
      return [lo, hi];
    }
    const slash = text.indexOf('/');
    if (slash === -1) {
      const a = parseIPv4(text);
      return [a, a];
    }
    const len = Number(text.slice(slash + 1));
    if (!/^\d{1,2}$/.test(text.slice(slash + 1)) || len > 32) fail('a prefix length 0..32');
    const m = maskV4(len);
    const a = (parseIPv4(text.slice(0, slash)) & m) >>> 0;
    return [a, (a | ~m) >>> 0];
  } catch (e) {
    if (e instanceof InputError && e.code !== 'BadSetEntry') fail('an IPv4 address, prefix or range');
    throw e;
  }
}

function portRange(text: string, fail: (exp: string) => never): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) fail('a port or port range LOW-HIGH');
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || hi < lo) fail('ports 0..65535, LOW <= HIGH');
  return [lo, hi];
}

/** Parses `ipset save` text. Errors name the file, line and token; nothing is returned on error. */
export function parseIpsets(text: string, file = '<ipsets>'): IpSets {
  const building = new Map<string, { type: IpSetType; list: [number, number][]; line: number; size: number }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const lineNo = i + 1;
    if (line === '' || line.startsWith('#')) continue;
    const tok = line.split(/\s+/);
    const fail: (input: string, expected: string) => never = (input, expected) => {
      throw new InputError('BadIpset', input, expected, { file, line: lineNo });
    };
    if (tok[0] === 'create') {
      const [, name, type] = tok;
      if (!name || !type) fail(line, 'create NAME TYPE [options]');
      if (!(type in SET_DIMS)) fail(type, 'a set type hash:net, hash:ip, hash:ip,port or bitmap:port');
      const fam = tok.indexOf('family');
      if (fam !== -1 && tok[fam + 1] !== 'inet') fail(tok[fam + 1] ?? '', 'family inet (IPv4)');
      if (building.has(name)) fail(name, 'a set name not created before');
      building.set(name, { type: type as IpSetType, list: [], line: lineNo, size: 0 });
    } else if (tok[0] === 'add') {
      const [, name, entry] = tok;
      const set = building.get(name ?? '')!;
      if (!set) fail(name ?? line, 'the name of a set created earlier');
      if (!entry) fail(line, 'add NAME ENTRY');
      if (tok.includes('nomatch')) fail('nomatch', 'an entry without nomatch (not modelled)');
      const bad = (expected: string): never => fail(entry, `${set.type} entry: ${expected}`);
      set.size++;
      if (set.type === 'hash:net' || set.type === 'hash:ip') set.list.push(addrRange(entry, bad));
      else if (set.type === 'bitmap:port') set.list.push(portRange(entry, bad));
      else {
        const comma = entry.indexOf(',');
        if (comma === -1) bad('IP,[PROTO:]PORT');
        const [ipLo, ipHi] = addrRange(entry.slice(0, comma), bad);
        let rest = entry.slice(comma + 1);
        let proto = 6;
        const colon = rest.indexOf(':');
        if (colon !== -1) {
          const p = PROTO_BY_NAME[rest.slice(0, colon)];
          if (p === undefined) bad('protocol tcp, udp, sctp or udplite');
          proto = p;
          rest = rest.slice(colon + 1);
        }
        const [pLo, pHi] = portRange(rest, bad);
        if (ipHi - ipLo > 65535) bad('at most 65536 addresses per entry');
        for (let a = ipLo; a <= ipHi; a++) set.list.push([ipPortKey(a, proto, pLo), ipPortKey(a, proto, pHi)]);
      }
    } else {
      fail(tok[0], 'create or add');
    }
  }
  const out: IpSets = new Map();
  for (const [name, b] of building) out.set(name, { name, type: b.type, ranges: merge(b.list), size: b.size, line: b.line });
  return out;
}

/** Whether `key` is a member (binary search over the ranges). */
export function setHas(set: IpSet, key: number): boolean {
  const r = set.ranges;
  let lo = 0;
  let hi = r.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key < r[mid][0]) hi = mid - 1;
    else if (key > r[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Writes sets back in `ipset save` form (ranges as they are stored). */
export function saveIpsets(sets: IpSets): string {
  const out: string[] = [];
  for (const s of sets.values()) {
    out.push(`create ${s.name} ${s.type}${s.type === 'bitmap:port' ? ' range 0-65535' : ' family inet hashsize 1024 maxelem 65536'}`);
    for (const [lo, hi] of s.ranges) {
      if (s.type === 'bitmap:port') out.push(`add ${s.name} ${lo === hi ? lo : `${lo}-${hi}`}`);
      else if (s.type === 'hash:ip,port') {
        for (let k = lo; k <= hi; k++) {
          const ip = Math.floor(k / 262144);
          const pi = Math.floor(k / 65536) % 4;
          out.push(`add ${s.name} ${formatIPv4(ip)},${['tcp', 'udp', 'sctp', 'udplite'][pi]}:${k % 65536}`);
        }
      } else out.push(`add ${s.name} ${lo === hi ? formatIPv4(lo) : `${formatIPv4(lo)}-${formatIPv4(hi)}`}`);
    }
  }
  return out.join('\n') + '\n';
}
