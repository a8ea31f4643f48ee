/**
 * Checks of the neighbour table's inputs (neigh.ts): canonical addresses
 * and MACs, table keys and `ip neigh show` order, and bulk-load entries
 * checked once per input object.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { formatIPv4, formatIPv6, formatMac, parseIP, parseMac } from '../net/ip.js';
import { eachItem } from './batch-item.js';
import { STATES, VALID, type NeighLoadEntry, type NudState } from './neigh-types.js';

/** An address in canonical text (as `ip neigh` prints it). */
export interface Canon {
  text: string;
}

/** A load entry as checked (kept per input object: programming a cluster passes the same entries to many nodes). */
export interface CheckedLoad {
  readonly b: NeighLoadEntry;
  readonly dst: string;
  readonly dev: string;
  readonly lladdr?: string;
  readonly nud?: string;
  readonly routerIn?: boolean;
  readonly key: string;
  readonly text: string;
  readonly ll?: string;
  readonly state: NudState;
  readonly router: boolean;
}

const checkedLoads = new WeakMap<NeighLoadEntry, CheckedLoad>();

/** Every entry of a batch checked, an error naming its item. */
export function batchChecked(batch: readonly NeighLoadEntry[]): CheckedLoad[] {
  const out: CheckedLoad[] = new Array(batch.length);
  eachItem(batch, (b, i) => void (out[i] = checkedLoad(b)));
  return out;
}

// Validates a load entry for an empty table (so a missing lladdr is an error, no old entry gives one).
export function checkedLoad(b: NeighLoadEntry): CheckedLoad {
  const c = checkedLoads.get(b);
  if (c && c.dst === b.dst && c.dev === b.dev && c.lladdr === b.lladdr && c.nud === b.nud && c.routerIn === b.router) return c;
  const text = canonical(b.dst).text;
  const state = (b.nud ?? 'permanent').toUpperCase() as NudState;
  if (!STATES.includes(state)) throw new InputError('InvalidNud', b.nud!, 'nud permanent, noarp, reachable, stale, delay, probe, incomplete or failed');
  const ll = b.lladdr === undefined ? undefined : mac(b.lladdr);
  if (VALID.has(state) && ll === undefined) throw new CnikitError('NoLladdr', `No link layer address given (${b.dst} dev ${b.dev} nud ${state.toLowerCase()})`);
  const n: CheckedLoad = { b, dst: b.dst, dev: b.dev, lladdr: b.lladdr, nud: b.nud, routerIn: b.router, key: keyOf(b.dev, text), text, ll: VALID.has(state) ? ll : undefined, state, router: b.router ?? false };
  checkedLoads.set(b, n);
  return n;
}

// Dotted quads as Linux prints them (no leading zeros, each 0..255) are taken as they are.
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** The canonical text of an address (dotted quads as Linux prints them are taken as they are). */
export function canonical(dst: string): Canon {
  if (CANONICAL_V4.test(dst)) return { text: dst };
  const ip = parseIP(dst);
  return { text: ip.family === 4 ? formatIPv4(ip.addr) : formatIPv6(ip.addr) };
}

/** A MAC in canonical text (lower case, colons). */
export function mac(s: string): string {
  return CANONICAL_MAC.test(s) ? s : formatMac(parseMac(s));
}

/** Order of `ip neigh show` within a device: IPv4 before IPv6, then by address. */
export function sortKeyOf(dst: string): string {
  const ip = parseIP(dst);
  if (ip.family === 4) return `4${ip.addr.toString(16).padStart(8, '0')}`;
  return `6${ip.addr.map((w) => w.toString(16).padStart(8, '0')).join('')}`;
}

// Keys made so far, by device and address: a key string made once is
// hashed once (a cluster programs the same entries into every node).
const keys = new Map<string, Map<string, string>>();
let keysMade = 0;

/** The table's key of an entry. */
export function keyOf(dev: string, ip: string): string {
  let byIp = keys.get(dev);
  if (!byIp) keys.set(dev, (byIp = new Map()));
  let k = byIp.get(ip);
  if (k === undefined) {
    // Bounded: a long run over ever new addresses starts again rather than grow.
    if (++keysMade > 1 << 18) {
      keys.clear();
      keysMade = 1;
      keys.set(dev, (byIp = new Map()));
    }
    k = `${dev}|${ip}`;
    byIp.set(ip, k);
  }
  return k;
}
