/**
 * FDB entries as `bridge fdb` shows them, and the checks and printing both
 * FDBs (fdb.ts: the bridge's; vxlan-fdb.ts: a VXLAN device's) share.
 */
import { InputError } from '../core/errors.js';
import { formatIPv4, formatIPv6, formatMac, parseIP, parseMac } from '../net/ip.js';

/** Entry state as `bridge fdb` spells it: permanent (local) = NUD_PERMANENT, static = NUD_NOARP, dynamic (learned) = NUD_REACHABLE. */
export type FdbState = 'permanent' | 'static' | 'dynamic';

/** Linux's default `ageing_time`: 300 s (bridge and vxlan `ageing`). */
export const DEFAULT_AGEING_MS = 300_000;

/** One `bridge fdb` line. */
export interface FdbEntry {
  readonly mac: string;
  /** The bridge port, or the vxlan device. */
  readonly dev: string;
  /** The bridge (master entries). */
  readonly master?: string;
  /** Remote VTEP (vxlan `self` entries). */
  readonly dst?: string;
  readonly state: FdbState;
  /** Last time seen (learned entries), simulated ms. */
  readonly updated: number;
}

/** The all-zeros MAC: a VXLAN FDB's default (flood list) entry. */
export const ZERO_MAC = '00:00:00:00:00:00';

const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
/** A MAC in canonical text (lower case, colons), or an InputError. */
export function mac(s: string): string {
  // Fast path: the kernel model passes canonical text on every frame.
  if (CANONICAL_MAC.test(s)) return s;
  return formatMac(parseMac(s));
}
/** Whether a MAC is a group address (I/G bit). */
export function isMulticast(m: string): boolean {
  return (parseInt(m.slice(0, 2), 16) & 1) === 1;
}
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** An IP address in canonical text, or an InputError. */
export function ip(s: string): string {
  if (CANONICAL_V4.test(s)) return s;
  const a = parseIP(s);
  return a.family === 4 ? formatIPv4(a.addr) : formatIPv6(a.addr);
}
/** An FDB state word (iproute2's aliases too), or `dflt` when none. */
export function state(s: string | undefined, dflt: FdbState): FdbState {
  if (s === undefined) return dflt;
  // iproute2's aliases: local = permanent, temp = static, reachable = dynamic.
  const alias: Record<string, FdbState> = { permanent: 'permanent', local: 'permanent', static: 'static', temp: 'static', dynamic: 'dynamic', reachable: 'dynamic' };
  const v = alias[s.toLowerCase()];
  if (!v) throw new InputError('InvalidFdbState', s, 'permanent, static or dynamic');
  return v;
}
/** One `bridge fdb show` line. */
export function line(e: FdbEntry, withDev: boolean): string {
  const st = e.state === 'dynamic' ? '' : e.state;
  return `${e.mac} ${withDev ? `dev ${e.dev} ` : ''}${e.dst ? `dst ${e.dst} ` : ''}${e.master ? `master ${e.master} ` : 'self '}${st}\n`;
}
