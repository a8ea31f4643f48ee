/**
 * A Linux bridge (net/bridge): br_handle_frame (a port's rx_handler: learn
 * the source, then local delivery or forwarding), br_dev_xmit (the bridge
 * device sending), br_forward to a known port and br_flood to all others.
 *
 * Simplified: no STP, VLAN filtering, hairpin or multicast snooping; a
 * flooded frame is recorded on every port it leaves by and followed only
 * to the port whose peer owns the destination MAC.
 */
import type { Iface } from '../iface.js';
import { frameMacs } from '../packet.js';
import type { Next, WalkCtx } from './context.js';

/** br_handle_frame: a frame arrives on `port` of its bridge: learn, look up, up the stack (LOCAL) or forward. */
export function brHandleFrame(ctx: WalkCtx, port: Iface, frame: Uint8Array): Next {
  const br = port.master!;
  const { dst, src } = frameMacs(frame);
  br.bridgeFdb!.learn(src, port.name);
  const r = br.bridgeFdb!.lookup(dst);
  if (r.kind === 'local') {
    ctx.tb.step({ kind: 'fdb', detail: `${dst} dev ${r.entry.dev} master ${br.name} permanent: local`, action: 'LOCAL' });
    br.see(frame);
    return { to: 'ip_rcv', dev: br, frame };
  }
  return brForward(ctx, br, port, frame, dst, r.kind === 'forward' ? r.entry.dev : undefined);
}

/** br_dev_xmit: the bridge device itself sends `frame` (its IP stack's output). */
export function brDevXmit(ctx: WalkCtx, br: Iface, frame: Uint8Array): Next {
  const { dst } = frameMacs(frame);
  const r = br.bridgeFdb!.lookup(dst);
  return brForward(ctx, br, undefined, frame, dst, r.kind === 'forward' ? r.entry.dev : undefined);
}

/** br_forward to the learnt port `known`, else br_flood to every port but the ingress one. */
function brForward(ctx: WalkCtx, br: Iface, from: Iface | undefined, frame: Uint8Array, dst: string, known: string | undefined): Next {
  let out: Iface | undefined;
  if (known !== undefined) {
    out = br.ports!.find((p) => p.name === known);
    ctx.tb.step({ kind: 'fdb', detail: `${dst} dev ${known} master ${br.name}`, action: 'FORWARD', data: { bridge: br.name, port: known } });
  } else {
    const ports = br.ports!.filter((p) => p !== from);
    ctx.tb.step({ kind: 'fdb', detail: `${dst} unknown in ${br.name}: flooded to ${ports.map((p) => p.name).join(', ') || 'no port'}`, action: 'FLOOD', data: { bridge: br.name } });
    for (const p of ports) if (p.peer?.mac !== dst) p.see(frame);
    out = ports.find((p) => p.peer?.mac === dst);
    if (!out) return 'NEIGH_FAILED';
  }
  if (!out || out === from) {
    ctx.tb.step({ kind: 'fdb', detail: `${dst} is behind the ingress port: not forwarded`, action: 'DROP' });
    return 'NEIGH_FAILED';
  }
  // br_dev_queue_push_xmit: the egress port must take the frame.
  if (frame.length > out.mtu + 18) {
    ctx.tb.step({ kind: 'wire', detail: `${br.name} port ${out.name}: frame of ${frame.length} bytes over mtu ${out.mtu} (+ 18): dropped silently (is_skb_forwardable)`, action: 'DROP' });
    return 'MTU_EXCEEDED';
  }
  return { to: 'dev_queue_xmit', dev: out, frame, nh: 0 };
}
