/**
 * The driver of the packet path: one packet followed from a local socket
 * (sendmsg -> ip_local_out) to its end, stage by stage, then the packets it
 * caused. Each stage (the files beside this one, named after Linux's own
 * functions) returns how the walk ended or the next stage; this file only
 * calls the stage a packet is handed to, in the order Linux's functions
 * call each other:
 *
 *   output.ts   sendmsg -> ip_local_out -> ip_output -> ip_finish_output
 *               (ip_fragment) -> ip_finish_output2 (neighbour.ts, arp.ts)
 *   xmit.ts     dev_queue_xmit: veth, loopback, fabric segment, or the
 *               device's own xmit:
 *   bridge.ts   br_dev_xmit, br_handle_frame, br_forward / br_flood
 *   vxlan.ts    vxlan_xmit, vxlan_rcv      (via tunnel.ts: outer route,
 *   ipip.ts     ipip_tunnel_xmit, ipip_rcv  codec, then ip_local_out again)
 *   tun.ts      tun_net_xmit, tun_get_user
 *   receive.ts  netif_receive_skb -> ip_rcv -> ip_local_deliver (demux)
 *   forward.ts  ip_forward -> ip_output
 *   icmp.ts     icmp_send / icmp_echo (queued, walked after the packet)
 *
 * Every step is recorded in the trace; netfilter.ts runs the hooks, fib.ts
 * the route lookups.
 */
import type { Disposition, Trace } from '../../core/trace.js';
import type { Netns } from '../netns.js';
import { TraceBuilder } from '../trace-builder.js';
import { brDevXmit, brHandleFrame } from './bridge.js';
import type { NetView, Next, Skb, WalkCtx } from './context.js';
import { ipForward } from './forward.js';
import { ICMP, icmpSend } from './icmp.js';
import type { NeighParked } from '../neigh-types.js';
import type { Iface } from '../iface.js';
import { ethPush } from '../packet.js';
import { formatIPv4 } from '../../net/ip.js';
import { ipipRcv, ipipTunnelXmit } from './ipip.js';
import { ipFinishOutput2, ipLocalOut, ipOutput, sendmsg, type PmtuDisc } from './output.js';
import { ipLocalDeliver, ipRcv, netifReceiveSkb } from './receive.js';
import { tunGetUser, tunNetXmit } from './tun.js';
import { vxlanRcv, vxlanXmit } from './vxlan.js';
import { devQueueXmit } from './xmit.js';

/** What sending one packet caused: its trace, the echo reply's and the ICMP errors' (walked after it, in order). */
export interface SendResult {
  /** The packet's walk (a fragment after the first that does not arrive decides its disposition). */
  readonly trace: Trace;
  /** The echo reply the destination kernel sent, if an echo request was delivered. */
  readonly reply?: Trace;
  /** ICMP errors sent about the packet (or its fragments), in the order they were sent. */
  readonly errors: readonly Trace[];
}

/**
 * What a packet that waited in a neighbour's queue did when the clock
 * moved on: `continued` (the answer arrived; the walk from the neighbour
 * on, and what it caused) or `failed` (the entry failed: the step, and the
 * ICMP host unreachable the node sent about it in `errors`; or the queue
 * overflowed). Also for caused packets (an echo reply) that waited.
 */
export interface LaterResult extends SendResult {
  readonly what: 'continued' | 'failed';
}

/** Receives the continuations of a timed send. */
export type LaterSink = (r: LaterResult) => void;

/** A fresh context for one walk; with `later`, a timed one (packets may wait for their neighbour). */
export function walkCtx(net: NetView, quiet: boolean, later?: LaterSink): WalkCtx {
  return { net, tb: new TraceBuilder(), caused: [], quiet, entered: 0, ...(later ? { park: parker(net, quiet, later) } : {}) };
}

/**
 * The continuation of a packet parked in a neighbour's queue: walked on
 * from dev_queue_xmit with the answer (neigh_connect sends the queue), or
 * reported when the entry fails (arp_error_report -> icmp_send host
 * unreachable from the node that queued it), its results handed to `later`.
 */
function parker(net: NetView, quiet: boolean, later: LaterSink) {
  return (ns: Netns, dev: Iface, ip: Uint8Array, nh: number): NeighParked => ({
    resume(lladdr: string): void {
      const ctx = walkCtx(net, quiet, later);
      ctx.tb.enter(ns.name);
      ctx.tb.step({ kind: 'neighbour', detail: `${formatIPv4(nh)} dev ${dev.name} lladdr ${lladdr}: the answer arrived, the queued packet leaves`, action: 'HIT', data: { lladdr } });
      const d = follow(ctx, { to: 'dev_queue_xmit', dev, frame: ethPush(lladdr, dev.mac, ip), nh });
      later({ ...drain(net, ctx, d, later), what: 'continued' });
    },
    fail(why: 'failed' | 'overflow' | 'flushed'): void {
      const ctx = walkCtx(net, quiet, later);
      ctx.tb.enter(ns.name);
      const text = { failed: 'FAILED: ICMP host unreachable for the queued packet', overflow: 'the queue is full (unres_qlen), the oldest packet dropped', flushed: 'the entry was flushed with its device, the queued packet dropped' }[why];
      ctx.tb.step({ kind: 'neighbour', detail: `${formatIPv4(nh)} dev ${dev.name}${why === 'failed' ? ' ' : ': '}${text}`, action: 'NEIGH_FAILED' });
      if (why === 'failed') icmpSend(ctx, ns, ip, ICMP.HOST_UNREACH);
      later({ ...drain(net, ctx, 'NEIGH_FAILED', later), what: 'failed' });
    },
  });
}

/** Calls the stage `s` names. */
function stage(ctx: WalkCtx, s: Skb): Next {
  switch (s.to) {
    case 'ip_local_out':
      return ipLocalOut(ctx, s.ns, s.route, s.dev, s.ip, undefined, s.out);
    case 'ip_output':
      return ipOutput(ctx, s.ns, s.route, s.dev, s.ip, s.v, s.out);
    case 'dev_queue_xmit':
      return devQueueXmit(ctx, s.dev, s.frame, s.nh);
    case 'br_dev_xmit':
      return brDevXmit(ctx, s.dev, s.frame);
    case 'vxlan_xmit':
      return vxlanXmit(ctx, s.dev, s.frame);
    case 'ipip_tunnel_xmit':
      return ipipTunnelXmit(ctx, s.dev, s.frame, s.nh);
    case 'tun_net_xmit':
      return tunNetXmit(ctx, s.dev, s.frame);
    case 'netif_receive_skb':
      return netifReceiveSkb(ctx, s.dev, s.frame);
    case 'br_handle_frame':
      return brHandleFrame(ctx, s.dev, s.frame);
    case 'ip_rcv':
      return ipRcv(ctx, s.dev, s.frame);
    case 'ip_local_deliver':
      return ipLocalDeliver(ctx, s.ns, s.dev, s.frame);
    case 'ip_forward':
      return ipForward(ctx, s.dev, s.route, s.frame, s.v);
    case 'vxlan_rcv':
      return vxlanRcv(ctx, s.dev, s.frame);
    case 'ipip_rcv':
      return ipipRcv(ctx, s.dev, s.frame);
    case 'tun_get_user':
      return tunGetUser(ctx, s.dev, s.frame);
  }
}

/** Follows a packet from `next` until a stage ends the walk. */
export function follow(ctx: WalkCtx, next: Next): Disposition {
  while (typeof next !== 'string') next = stage(ctx, next);
  return next;
}

/**
 * A local socket of `ns` sends IP packet `ip`; the packet is followed to
 * its end, then what it caused, breadth first: the fragments after the
 * first (from where they were made), ICMP errors and the echo reply (walks
 * that cause no errors of their own), and their fragments.
 */
export function sendPacket(net: NetView, ns: Netns, ip: Uint8Array, later?: LaterSink, pmtudisc?: PmtuDisc): SendResult {
  const root = walkCtx(net, false, later);
  return drain(net, root, follow(root, sendmsg(root, ns, ip, pmtudisc)), later);
}

/** Walks what the walk of `root` (ended as `disposition`) caused, breadth first. */
function drain(net: NetView, root: WalkCtx, disposition: Disposition, later: LaterSink | undefined): SendResult {
  const errors: Trace[] = [];
  let reply: Trace | undefined;
  // `main`: a fragment of the packet itself, whose loss decides the packet's disposition.
  const queue: { ctx: WalkCtx; main: boolean }[] = [{ ctx: root, main: true }];
  for (let i = 0; i < queue.length; i++) {
    const { ctx: from, main } = queue[i];
    for (const c of from.caused) {
      if (c.kind === 'fragment') {
        const ctx = walkCtx(net, from.quiet, later);
        ctx.tb.enter(c.ns.name);
        const d = follow(ctx, ipFinishOutput2(ctx, c.ns, c.route, c.dev, c.ip));
        if (main && d !== 'DELIVERED' && disposition === 'DELIVERED') disposition = d;
        queue.push({ ctx, main });
        continue;
      }
      const ctx = walkCtx(net, true, later);
      const t = ctx.tb.done(follow(ctx, sendmsg(ctx, c.ns, c.ip)));
      if (c.kind === 'echo-reply') reply = t;
      else errors.push(t);
      queue.push({ ctx, main: false });
    }
  }
  return { trace: root.tb.done(disposition), ...(reply ? { reply } : {}), errors };
}
