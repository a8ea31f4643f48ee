/**
 * dev_queue_xmit (net/core/dev.c) and the wires behind it: the device's
 * ndo_start_xmit is chosen by its kind (vxlan_xmit, ipip_tunnel_xmit,
 * tun_net_xmit, br_dev_xmit: their own stages), and a frame put on a veth
 * (veth_xmit), the loopback, or a NIC plugged into a fabric segment (a
 * learning switch) arrives at the device on the other side, whose
 * netif_receive_skb is the next stage.
 *
 * An L2 device sends no ICMP: a frame longer than the receiving device
 * accepts (is_skb_forwardable: MTU + Ethernet header + 4 for a VLAN tag) is
 * dropped silently by veth_xmit (the peer), by the bridge before a port
 * (br_dev_queue_push_xmit) and by the segment's switch port (`Segment.mtu`,
 * a bridge port in the real-namespace export) or the NIC behind it.
 *
 * Simplified: no qdisc, queue or offload (one frame is one packet, sent at
 * once); a flooded frame is recorded on every station of the segment and
 * followed to the one that owns the MAC.
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
      if (!forwardable(ctx, peer.mtu, frame, `veth ${dev.name} -> ${peer.name}@${peer.ns.name}`)) return 'MTU_EXCEEDED';
      ctx.tb.step({ kind: 'wire', detail: `veth ${dev.name} -> ${peer.name}@${peer.ns.name}`, action: 'CARRIED' });
      return { to: 'netif_receive_skb', dev: peer, frame };
    }
    case 'loopback':
      return { to: 'netif_receive_skb', dev, frame };
  }
  return segmentCarry(ctx, dev, frame, src, dst);
}

/** The Ethernet header and a VLAN tag beyond the MTU that a device's receive accepts (is_skb_forwardable). */
const L2_SLACK = 14 + 4;

/**
 * is_skb_forwardable: whether a device of MTU `mtu` takes `frame`; if not,
 * a `wire` DROP step (`where`) records the silent drop.
 */
export function forwardable(ctx: WalkCtx, mtu: number, frame: Uint8Array, where: string): boolean {
  if (frame.length <= mtu + L2_SLACK) return true;
  ctx.tb.step({ kind: 'wire', detail: `${where}: frame of ${frame.length} bytes over mtu ${mtu} (+ ${L2_SLACK}): dropped silently (is_skb_forwardable, rx_dropped)`, action: 'DROP' });
  return false;
}

/** A NIC's frame crosses its fabric segment (a learning switch) to the station of its destination MAC. */
function segmentCarry(ctx: WalkCtx, dev: Iface, frame: Uint8Array, src: string, dst: string): Next {
  const seg = ctx.net.segments.get(dev.segment ?? '');
  if (!seg) {
    ctx.tb.step({ kind: 'wire', detail: `${dev.name} is not plugged into a segment`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  if (!forwardable(ctx, seg.mtu, frame, `segment ${seg.name} port of ${dev.name}@${dev.ns.name}`)) {
    // The NIC sent it (its capture has it); its switch port never got it.
    if (dev.capture) dev.portMissed.push(dev.frames.length - 1);
    return 'MTU_EXCEEDED';
  }
  const { to, flooded } = seg.carry(dev, src, dst);
  // A flooded frame reaches every other station (tcpdump on their NICs sees it).
  if (flooded) seg.flood(dev, to, frame);
  if (!to) {
    ctx.tb.step({ kind: 'wire', detail: `segment ${seg.name}: no station ${dst}`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  if (!forwardable(ctx, to.mtu, frame, `segment ${seg.name} to ${to.name}@${to.ns.name}`)) return 'MTU_EXCEEDED';
  ctx.tb.step({ kind: 'wire', detail: `segment ${seg.name} ${flooded ? 'flooded' : 'switched'} to ${to.name}@${to.ns.name}`, action: 'CARRIED', data: { segment: seg.name, flooded } });
  return { to: 'netif_receive_skb', dev: to, frame };
}
