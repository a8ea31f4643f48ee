/**
 * ICMP messages the kernel sends by itself (net/ipv4/icmp.c): icmp_send for
 * errors (time exceeded, destination unreachable: net, host, port, frag
 * needed with the next-hop MTU, admin prohibited) and icmp_echo's reply.
 * Each is a locally generated packet of the namespace that sent it: the
 * stage that decides to send one queues it on the walk context, and the
 * driver walks it after the packet (so that its frames appear in captures).
 *
 * - Source: the preferred source of the route back to the offender
 *   (`icmp_errors_use_inbound_ifaddr` = 0: saddr 0, chosen by the route).
 * - TOS: the offender's TOS bits | 0xc0 (IPTOS_PREC_INTERNETCONTROL);
 *   TTL 64; DF clear (the ICMP socket uses IP_PMTUDISC_DONT).
 * - Quote: the offending IP packet, cut so the error is at most 576 bytes.
 * - Never about an ICMP error (only echo request/reply are quoted for ICMP),
 *   and never from a walk of an ICMP error or reply (`ctx.quiet`).
 *
 * - Rate: errors of the types `icmp_ratemask` names are limited per
 *   destination to one per `icmp_ratelimit` (1 s) with a burst of 6, on the
 *   simulated clock (measured: seven requests failing at once give six
 *   host unreachables).
 *
 * Simplified: no global `icmp_msgs_per_sec` limit, no check for non-first
 * fragments or broadcasts. Host unreachable after a neighbour resolution
 * fails is sent only on timed walks (the driver's parked packets).
 */
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_ERROR_MAX,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HLEN,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
  ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED,
  IPDEFTTL,
  IPTOS_PREC_INTERNETCONTROL,
  IPTOS_TOS_MASK,
  IPPROTO_ICMP,
  IPV4_HLEN,
} from '../../../assembly/shared/codec.js';
import { internetChecksum } from '../../codec/reference.js';
import type { Netns } from '../netns.js';
import { readIp } from '../packet.js';
import type { WalkCtx } from './context.js';
import type { IcmpCode } from './fib.js';
import { routeSource } from './select-addr.js';

/** ICMP type/code pairs the walk sends. */
export const ICMP = {
  TIME_EXCEEDED: [ICMP_TIME_EXCEEDED, ICMP_EXC_TTL],
  NET_UNREACH: [ICMP_DEST_UNREACH, ICMP_NET_UNREACH],
  HOST_UNREACH: [ICMP_DEST_UNREACH, ICMP_HOST_UNREACH],
  PORT_UNREACH: [ICMP_DEST_UNREACH, ICMP_PORT_UNREACH],
  FRAG_NEEDED: [ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED],
  PKT_FILTERED: [ICMP_DEST_UNREACH, ICMP_PKT_FILTERED],
} as const;

/**
 * icmp_send: `ns` reports `offending` (an IP packet) to its source; queued
 * on the walk unless errors are off or this walk is itself an error's.
 */
export function icmpSend(ctx: WalkCtx, ns: Netns, offending: Uint8Array, tc: IcmpCode | undefined, mtu?: number, sent = false): void {
  if (ctx.quiet || !tc || !ctx.net.icmpErrors) return;
  const e = icmpError(ns, offending, tc[0], tc[1], { mtu, id: ctx.net.pins?.ipId, sent });
  if (e && xrlimAllow(ns, tc[0], tc[1], readIp(offending, 0).src)) ctx.caused.push({ kind: 'icmp-error', ns, ip: e });
}

/** `icmp_ratelimit` (ms of tokens an error costs) and XRLIM_BURST_FACTOR, Linux's defaults. */
const RATELIMIT_MS = 1000;
const BURST = 6;
/** `icmp_ratemask` 0x1818: destination unreachable, source quench, time exceeded, parameter problem. */
const RATEMASK = (1 << 3) | (1 << 4) | (1 << 11) | (1 << 12);
// Per namespace, per destination: the token bucket of its inet_peer (tokens in ms, last refill time).
const peers = new WeakMap<Netns, Map<number, { tokens: number; last: number }>>();

/**
 * icmpv4_xrlim_allow -> inet_peer_xrlim_allow: an error of a masked type
 * (not frag needed, which PMTU discovery needs) to `dst` costs
 * `icmp_ratelimit` of tokens that refill with time up to a burst of 6; a
 * new peer starts full. Errors to a local address are not limited.
 * Simplified: the global `icmp_msgs_per_sec` limit is not modelled.
 */
function xrlimAllow(ns: Netns, type: number, code: number, dst: number): boolean {
  if (!((RATEMASK >>> type) & 1) || (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED)) return true;
  if (ns.fib.isLocal(dst)) return true;
  const now = ns.clock.now();
  let m = peers.get(ns);
  if (!m) peers.set(ns, (m = new Map()));
  const p = m.get(dst) ?? { tokens: BURST * RATELIMIT_MS, last: now };
  const tokens = Math.min(BURST * RATELIMIT_MS, p.tokens + (now - p.last));
  const ok = tokens >= RATELIMIT_MS;
  m.set(dst, { tokens: ok ? tokens - RATELIMIT_MS : tokens, last: now });
  return ok;
}

/** icmp_echo: `ns` answers the echo request `req` it received (icmp_echo_ignore_all = 0). */
export function icmpEcho(ctx: WalkCtx, ns: Netns, req: Uint8Array): void {
  if (!ctx.quiet) ctx.caused.push({ kind: 'echo-reply', ns, ip: echoReply(req, ctx.net.pins?.ipId) });
}

/**
 * Builds the error `ns` sends about `offending` (an IP packet), or undefined
 * when Linux sends none. `sent`: the offending packet is one `ns` itself
 * was sending (its route is not RTCF_LOCAL), so the source is chosen by
 * the route back, not taken from the packet's destination.
 */
export function icmpError(ns: Netns, offending: Uint8Array, type: number, code: number, opts: { mtu?: number; id?: number; sent?: boolean } = {}): Uint8Array | undefined {
  const v = readIp(offending, 0);
  if (v.proto === IPPROTO_ICMP && v.icmpType !== ICMP_ECHOREPLY && v.icmpType !== ICMP_ECHO) return undefined;
  const r = ns.fib.get(v.src);
  if (!r || (r.type !== 'unicast' && r.type !== 'local')) return undefined;
  const src = r.type === 'local' && !opts.sent ? v.dst : routeSource(ns.ifaces, r);
  if (src === undefined) return undefined;
  const quote = offending.subarray(0, Math.min(offending.length, ICMP_ERROR_MAX - IPV4_HLEN - ICMP_HLEN));
  const b = new Uint8Array(IPV4_HLEN + ICMP_HLEN + quote.length);
  const dv = new DataView(b.buffer);
  b[0] = 0x45;
  b[1] = (offending[1] & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL;
  dv.setUint16(2, b.length);
  dv.setUint16(4, opts.id ?? 0);
  b[8] = IPDEFTTL;
  b[9] = IPPROTO_ICMP;
  dv.setUint32(12, src >>> 0);
  dv.setUint32(16, v.src >>> 0);
  dv.setUint16(10, internetChecksum(b, 0, IPV4_HLEN));
  b[IPV4_HLEN] = type;
  b[IPV4_HLEN + 1] = code;
  if (type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED) dv.setUint16(IPV4_HLEN + 6, opts.mtu ?? 0);
  b.set(quote, IPV4_HLEN + ICMP_HLEN);
  dv.setUint16(IPV4_HLEN + 2, internetChecksum(b, IPV4_HLEN, ICMP_HLEN + quote.length));
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
  b[8] = IPDEFTTL;
  dv.setUint16(10, 0);
  dv.setUint16(10, internetChecksum(b, 0, hl));
  b[hl] = ICMP_ECHOREPLY;
  dv.setUint16(hl + 2, 0);
  dv.setUint16(hl + 2, internetChecksum(b, hl, b.length - hl));
  return b;
}
