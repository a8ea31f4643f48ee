/**
 * ICMP errors as Linux builds them (net/ipv4/icmp.c icmp_send): time
 * exceeded, destination unreachable (net, host, port, frag needed with the
 * next-hop MTU, admin prohibited). The error is a locally generated packet of
 * the namespace that dropped the offending one; the model walks it back so
 * that its frames appear in captures.
 *
 * - Source: the preferred source of the route back to the offender
 *   (`icmp_errors_use_inbound_ifaddr` = 0: saddr 0, chosen by the route).
 * - TOS: the offender's TOS bits | 0xc0 (IPTOS_PREC_INTERNETCONTROL);
 *   TTL 64; DF clear (the ICMP socket uses IP_PMTUDISC_DONT).
 * - Quote: the offending IP packet, cut so the error is at most 576 bytes.
 * - Never about an ICMP error, a non-first fragment or a broadcast (the
 *   model has no fragments; only echo request/reply are quoted for ICMP).
 *
 * Simplified: no rate limiting (icmp_ratelimit), no errors after a neighbour
 * resolution fails (Linux sends host unreachable from arp_error_report).
 */
import { internetChecksum } from '../codec/reference.js';
import type { Netns } from './netns.js';
import { IP_HLEN, IPPROTO_ICMP, readIp } from './packet.js';

/** ICMP type/code pairs the walk sends. */
export const ICMP = {
  TIME_EXCEEDED: [11, 0],
  NET_UNREACH: [3, 0],
  HOST_UNREACH: [3, 1],
  PORT_UNREACH: [3, 3],
  FRAG_NEEDED: [3, 4],
  PKT_FILTERED: [3, 13],
} as const;

/** Longest error Linux sends (576, the minimum reassembly size). */
const MAX_ERROR = 576;

/** Builds the error `ns` sends about `offending` (an IP packet), or undefined when Linux sends none. */
export function icmpError(ns: Netns, offending: Uint8Array, type: number, code: number, opts: { mtu?: number; id?: number } = {}): Uint8Array | undefined {
  const v = readIp(offending, 0);
  if (v.proto === IPPROTO_ICMP && v.icmpType !== 0 && v.icmpType !== 8) return undefined;
  const r = ns.fib.get(v.src);
  if (!r || (r.type !== 'unicast' && r.type !== 'local')) return undefined;
  const src = r.type === 'local' ? v.dst : (r.src ?? (r.dev ? ns.primary(r.dev) : undefined));
  if (src === undefined) return undefined;
  const quote = offending.subarray(0, Math.min(offending.length, MAX_ERROR - IP_HLEN - 8));
  const b = new Uint8Array(IP_HLEN + 8 + quote.length);
  const dv = new DataView(b.buffer);
  b[0] = 0x45;
  b[1] = (offending[1] & 0x1e) | 0xc0;
  dv.setUint16(2, b.length);
  dv.setUint16(4, opts.id ?? 0);
  b[8] = 64;
  b[9] = IPPROTO_ICMP;
  dv.setUint32(12, src >>> 0);
  dv.setUint32(16, v.src >>> 0);
  dv.setUint16(10, internetChecksum(b, 0, IP_HLEN));
  b[IP_HLEN] = type;
  b[IP_HLEN + 1] = code;
  if (type === 3 && code === 4) dv.setUint16(IP_HLEN + 6, opts.mtu ?? 0);
  b.set(quote, IP_HLEN + 8);
  dv.setUint16(IP_HLEN + 2, internetChecksum(b, IP_HLEN, 8 + quote.length));
  return b;
}

/**
 * The echo reply the kernel sends for a delivered echo request `req`
 * (icmp_echo -> icmp_reply): addresses swapped, the request's TOS, TTL 64,
 * DF clear (the ICMP socket's IP_PMTUDISC_DONT), type 0, the same id,
 * sequence and data.
 */
export function echoReply(req: Uint8Array, id = 0): Uint8Array {
  const b = req.slice();
  const dv = new DataView(b.buffer);
  const hl = (b[0] & 15) * 4;
  b.copyWithin(12, 16, 20);
  b.set(req.subarray(12, 16), 16);
  dv.setUint16(4, id);
  dv.setUint16(6, 0);
  b[8] = 64;
  dv.setUint16(10, 0);
  dv.setUint16(10, internetChecksum(b, 0, hl));
  b[hl] = 0;
  dv.setUint16(hl + 2, 0);
  dv.setUint16(hl + 2, internetChecksum(b, hl, b.length - hl));
  return b;
}
