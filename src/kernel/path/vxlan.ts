/**
 * A VXLAN device (drivers/net/vxlan/vxlan_core.c): vxlan_xmit looks the
 * inner destination MAC up in the device's FDB (an entry, the all-zeros
 * default, or a miss: the frame is dropped and, with `l2miss` and a unicast
 * MAC, user space is told: an answer only helps later frames) and
 * sends the frame to that remote through the shared tunnel output
 * (tunnel.ts: outer route, headers, ip_local_out). vxlan_rcv (the UDP
 * socket's encap_rcv) checks the VNI, learns the inner source MAC -> outer
 * source with `learning`, and receives the inner frame on the device.
 *
 * Simplified: one remote per entry is used (the first); no ARP/ND proxy
 * (`proxy`), no route short-circuit (`rsc`), no local bypass; a VNI
 * mismatch ends as DENIED (Linux drops silently).
 */
import type { Iface } from '../iface.js';
import { frameMacs } from '../packet.js';
import type { Next, WalkCtx } from './context.js';
import { iptunnelXmit, tunnelDecap } from './tunnel.js';

/** vxlan_xmit: encapsulates inner frame `frame` on `vx` towards the remote its FDB names. */
export function vxlanXmit(ctx: WalkCtx, vx: Iface, frame: Uint8Array): Next {
  const p = vx.vxlan!;
  vx.see(frame);
  const { dst: dmac } = frameMacs(frame);
  const f = p.fdb.lookup(dmac);
  if (f.kind === 'miss') {
    // vxlan_fdb_miss: user space is told (l2miss, unicast only) and the frame is dropped; an answer helps later frames.
    const why = f.l2miss ? 'L2 MISS sent to user space, the frame is dropped (vxlan has no queue)' : f.installed === undefined && isGroup(dmac) ? 'no entry for a broadcast/multicast frame: dropped silently' : 'no entry: dropped';
    ctx.tb.step({ kind: 'fdb', detail: `${dmac} dev ${vx.name}: ${why}${f.installed ? `; the agent answered: dst ${f.installed.dst} installed for the next frames` : ''}`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  const remote = f.dsts[0];
  ctx.tb.step({ kind: 'fdb', detail: `${dmac} dev ${vx.name} dst ${remote}${f.kind === 'default' ? ' (all-zeros default)' : ''}`, action: 'HIT', data: { dst: remote } });
  return iptunnelXmit(ctx, vx, frame, remote, 'vxlan');
}

/** A group (broadcast or multicast) MAC: the I/G bit of the first octet. */
function isGroup(m: string): boolean {
  return (parseInt(m.slice(0, 2), 16) & 1) === 1;
}

/** vxlan_rcv: the VXLAN socket of `vx` got `frame` (outer Ethernet + IP + UDP + 'vxlan'). */
export function vxlanRcv(ctx: WalkCtx, vx: Iface, frame: Uint8Array): Next {
  const p = vx.vxlan!;
  const d = tunnelDecap(ctx, frame, 'vxlan', p.dstport);
  if (!d.ok || d.vni !== p.vni) {
    ctx.tb.step({ kind: 'decapsulate', detail: `${vx.name}: ${d.ok ? `vni ${d.vni} is not ${p.vni}` : d.error}`, action: 'DROP' });
    return 'DENIED';
  }
  ctx.tb.step({ kind: 'decapsulate', detail: `vxlan vni ${p.vni} from ${d.outerSrc} on ${vx.name}`, action: 'DECAPSULATED', data: { vni: p.vni, outerSrc: d.outerSrc, outerDst: d.outerDst } });
  if (p.learning) p.fdb.learn(d.innerSrcMac!, d.outerSrc);
  vx.see(d.inner);
  const { dst } = frameMacs(d.inner);
  if (dst !== vx.mac) {
    ctx.tb.step({ kind: 'receive', detail: `${vx.name}: frame to ${dst} is not for ${vx.mac}`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  return { to: 'ip_rcv', dev: vx, frame: d.inner };
}
