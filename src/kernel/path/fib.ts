/**
 * The route lookup of every packet (net/ipv4/fib_trie.c fib_lookup, as
 * ip_route_output_key and ip_route_input_noref call it), and what a
 * route type that ends the walk means to the sender (net/ipv4/route.c
 * ip_error, fib_props[]): the one map from route type to ICMP.
 *
 * Simplified: the local table, then main (no policy rules, no route
 * cache, no PMTU exceptions); a `throw` in main ends the lookup as the
 * default rules do when no other table has a route (net unreachable).
 */
import {
  ICMP_DEST_UNREACH,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PKT_FILTERED,
} from '../../../assembly/shared/codec.js';
import { formatIPv4 } from '../../net/ip.js';
import type { Netns } from '../netns.js';
import { routeText, type KRoute, type KRouteType } from '../route.js';
import type { WalkCtx } from './context.js';

/** Route types that end a walk (NULL_ROUTED). */
export type NullRouteType = Extract<KRouteType, 'blackhole' | 'unreachable' | 'prohibit' | 'throw'>;

/** An ICMP type/code pair. */
export type IcmpCode = readonly [type: number, code: number];

/**
 * What Linux answers a forwarded packet with when the lookup ends in no
 * route or in a route of this type (ip_error: ENETUNREACH, EHOSTUNREACH,
 * EACCES; blackhole is EINVAL: dropped silently). `text` is the step's.
 */
export const ROUTE_ICMP: Readonly<Record<NullRouteType | 'none', { readonly text: string; readonly icmp?: IcmpCode }>> = {
  none: { text: 'net unreachable', icmp: [ICMP_DEST_UNREACH, ICMP_NET_UNREACH] },
  blackhole: { text: 'none (silent drop)' },
  unreachable: { text: 'host unreachable', icmp: [ICMP_DEST_UNREACH, ICMP_HOST_UNREACH] },
  prohibit: { text: 'admin prohibited', icmp: [ICMP_DEST_UNREACH, ICMP_PKT_FILTERED] },
  throw: { text: 'net unreachable', icmp: [ICMP_DEST_UNREACH, ICMP_NET_UNREACH] },
};

/** Whether `t` ends a walk as NULL_ROUTED. */
export function isNullRoute(t: KRouteType): t is NullRouteType {
  return t === 'blackhole' || t === 'unreachable' || t === 'prohibit' || t === 'throw';
}

/** A failed lookup: how the walk ends and what the sender is told (ROUTE_ICMP). */
export interface NoRoute {
  readonly disposition: 'NO_ROUTE' | 'NULL_ROUTED';
  readonly icmp?: IcmpCode;
}

/**
 * fib_lookup of `dst` in `ns`, as a `route` step. `outer`: the lookup of a
 * tunnel's outer packet (vxlan_get_route, ip_tunnel_xmit's ip_route_output_key),
 * which needs a unicast route out of a device (Linux's local bypass of a
 * VXLAN to itself is not modelled).
 */
export function fibLookup(ctx: WalkCtx, ns: Netns, dst: number, outer = false): KRoute | NoRoute {
  if (ctx.net.stats) ctx.net.stats.fib++;
  const r = ns.fib.get(dst);
  const pre = outer ? `${formatIPv4(dst)} (outer): ` : '';
  if (!r) {
    ctx.tb.step({ kind: 'route', detail: `${pre || `${formatIPv4(dst)}: RTNETLINK answers: `}Network is unreachable`, action: 'NO_ROUTE' });
    return { disposition: 'NO_ROUTE', icmp: ROUTE_ICMP.none.icmp };
  }
  const text = pre + routeText(r);
  if (isNullRoute(r.type)) {
    const m = ROUTE_ICMP[r.type];
    ctx.tb.step({ kind: 'route', detail: text, action: 'NULL_ROUTED', data: { table: r.table, type: r.type, icmp: m.text, ...(outer ? { outer } : {}) } });
    return { disposition: 'NULL_ROUTED', icmp: m.icmp };
  }
  if (outer && (r.type !== 'unicast' || r.dev === undefined)) {
    ctx.tb.step({ kind: 'route', detail: text, action: 'NO_ROUTE', data: { table: r.table, type: r.type, outer } });
    return { disposition: 'NO_ROUTE' };
  }
  ctx.tb.step({ kind: 'route', detail: text, action: 'MATCHED', data: outer ? { table: r.table, type: r.type, outer } : { table: r.table, type: r.type } });
  return r;
}

/** Whether a lookup found a route. */
export function isRoute(r: KRoute | NoRoute): r is KRoute {
  return (r as NoRoute).disposition === undefined;
}
