/**
 * An IPIP tunnel (net/ipv4/ipip.c, Calico's `tunl0`): ipip_tunnel_xmit sends
 * the inner IP packet to the route's gateway (a `tunl0` without `remote`
 * takes the next hop of the route, as ip_tunnel_xmit does) through the shared
 * tunnel output (tunnel.ts); ipip_rcv (the protocol 4 handler) strips the
 * outer header and receives the inner packet on the device.
 *
 * Simplified: no `remote`, `ttl`, `tos` or `pmtudisc` options; the outer TTL
 * and DF are the inner packet's (Calico's tunl0 inherits both).
 */
import { ETH_HLEN } from '../../../assembly/shared/codec.js';
import { formatIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import type { Next, WalkCtx } from './context.js';
import { iptunnelXmit, tunnelRcv } from './tunnel.js';

/** ipip_tunnel_xmit: `frame` (all-zeros Ethernet header + IP) leaves by `dev` towards next hop `nh`. */
export function ipipTunnelXmit(ctx: WalkCtx, dev: Iface, frame: Uint8Array, nh: number): Next {
  dev.see(frame.subarray(ETH_HLEN));
  return iptunnelXmit(ctx, dev, frame, formatIPv4(nh), 'ipip');
}

/** ipip_rcv: protocol 4 arrived for `dev`: the inner packet is received on it. */
export function ipipRcv(ctx: WalkCtx, dev: Iface, frame: Uint8Array): Next {
  return tunnelRcv(ctx, dev, frame, 'ipip');
}
