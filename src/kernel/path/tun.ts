/**
 * A TUN device read and written by a user-space program (drivers/net/tun.c;
 * Flannel's udp backend: flanneld on `flannel0`). tun_net_xmit queues the
 * packet for the reader: `Iface.tunAgent` (flanneld) answers with the
 * remote node, and the packet goes there as a UDP datagram to port 8285
 * through the shared tunnel output (tunnel.ts). On the receiving node,
 * flanneld's socket gets the datagram and writes the inner packet into its
 * TUN (tun_get_user), where it is received.
 *
 * Simplified: flanneld is a function call (no socket, no buffering); a TUN
 * without an agent ends the walk as QUEUED.
 */
import { ETH_HLEN, FLANNEL_UDP_PORT } from '../../../assembly/shared/codec.js';
import type { Iface } from '../iface.js';
import type { Next, WalkCtx } from './context.js';
import { iptunnelXmit, tunnelRcv } from './tunnel.js';

/** tun_net_xmit: `frame` (all-zeros Ethernet header + IP) is read by the agent of `dev`. */
export function tunNetXmit(ctx: WalkCtx, dev: Iface, frame: Uint8Array): Next {
  const ip = frame.subarray(ETH_HLEN);
  dev.see(ip);
  const ans = dev.tunAgent?.(ip, dev.name);
  ctx.tb.step({ kind: 'tun', detail: `packet read by the user-space agent on ${dev.name}${ans ? `: sent to ${ans.remote}:${FLANNEL_UDP_PORT}` : ': dropped'}`, action: ans ? 'AGENT' : 'QUEUED' });
  if (!ans) return 'QUEUED';
  return iptunnelXmit(ctx, dev, frame, ans.remote, 'flannel-udp');
}

/** tun_get_user: flanneld writes the inner packet of datagram `frame` into `dev`. */
export function tunGetUser(ctx: WalkCtx, dev: Iface, frame: Uint8Array): Next {
  return tunnelRcv(ctx, dev, frame, 'flannel-udp');
}
