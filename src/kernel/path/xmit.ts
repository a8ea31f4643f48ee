/**
 * dev_queue_xmit (net/core/dev.c) and the wires behind it: the device's
 * ndo_start_xmit is chosen by its kind (vxlan_xmit, ipip_tunnel_xmit,
 * tun_net_xmit, br_dev_xmit: their own stages), and a frame put on a veth
 * (veth_xmit), the loopback, or a NIC plugged into a fabric segment (a
 * learning switch) arrives at the device on the other side, whose
 * netif_receive_skb is the next stage.
 *
 * Simplified: no qdisc, queue or offload (one frame is one packet, sent at
 * once); a veth does not drop frames above the receiver's MTU; a flooded
 * frame is recorded on every station of the segment and followed to the
 * one that owns the MAC.
 */
import type { Iface } from '../iface.js';
import { frameMacs } from '../packet.js';
import type { Next, WalkCtx } from './context.js';

/** dev_queue_xmit: hands `frame` to `dev` (`nh`: the route's next hop, for tunnels that take their remote from it). */
export function devQueueXmit(ctx: WalkCtx, dev: Iface, frame: Uint8Array, nh: number): Next {
  switch (dev.kind) {
    case 'vxlan':
      return { to: 'vxlan_xmit', dev, frame };
    case 'ipip':
      return { to: 'ipip_tunnel_xmit', dev, frame, nh };
    case 'tun':
      return { to: 'tun_net_xmit', dev, frame };
  }
  dev.see(frame);
  const { dst, src } = frameMacs(frame);
  ctx.tb.step({ kind: 'transmit', detail: `${src} > ${dst} dev ${dev.name} length ${frame.length}`, action: 'TRANSMITTED', data: { dev: dev.name, length: frame.length } });
  switch (dev.kind) {
    case 'bridge':
      return { to: 'br_dev_xmit', dev, frame };
    case 'veth': {
      const peer = dev.peer!;
      ctx.tb.step({ kind: 'wire', detail: `veth ${dev.name} -> ${peer.name}@${peer.ns.name}`, action: 'CARRIED' });
      return { to: 'netif_receive_skb', dev: peer, frame };
    }
    case 'loopback':
      return { to: 'netif_receive_skb', dev, frame };
  }
  return segmentCarry(ctx, dev, frame, src, dst);
}

/** A NIC's frame crosses its fabric segment (a learning switch) to the station of its destination MAC. */
function segmentCarry(ctx: WalkCtx, dev: Iface, frame: Uint8Array, src: string, dst: string): Next {
  const seg = ctx.net.segments.get(dev.segment ?? '');
  if (!seg) {
    ctx.tb.step({ kind: 'wire', detail: `${dev.name} is not plugged into a segment`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  const { to, flooded } = seg.carry(dev, src, dst);
  // A flooded frame reaches every other station (tcpdump on their NICs sees it).
  if (flooded) seg.flood(dev, to, frame);
  if (!to) {
    ctx.tb.step({ kind: 'wire', detail: `segment ${seg.name}: no station ${dst}`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  ctx.tb.step({ kind: 'wire', detail: `segment ${seg.name} ${flooded ? 'flooded' : 'switched'} to ${to.name}@${to.ns.name}`, action: 'CARRIED', data: { segment: seg.name, flooded } });
  return { to: 'netif_receive_skb', dev: to, frame };
}
