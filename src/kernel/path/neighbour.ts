/**
 * neigh_resolve_output (net/core/neighbour.c, as ip_finish_output2 calls it
 * through neigh_output): the next hop's MAC from the namespace's neighbour
 * table, resolving it when needed: app probes to a user-space agent (the
 * L3 MISS of old flanneld), then ARP on the link (arp.ts arp_solicit, asked
 * with the packet's source address as Linux's arp_solicit takes it from the
 * queued skb).
 *
 * On a timed walk (`ctx.park`) a packet whose next hop is unresolved waits
 * in the entry's queue (`QUEUED`) and the driver walks it on when the
 * answer arrives or reports it when the entry fails; on an untimed walk the
 * probes run at once and the lookup answers or fails (see neigh.ts).
 */
import { formatIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import type { Netns } from '../netns.js';
import { arpSolicit } from './arp.js';
import type { WalkCtx } from './context.js';

/**
 * The lladdr of next hop `nh` on `dev` for packet `ip` from `src`, or
 * undefined when resolution failed, or 'QUEUED' when the packet waits
 * (recorded as a step).
 */
export function neighResolveOutput(ctx: WalkCtx, ns: Netns, dev: Iface, nh: number, src: number, ip?: Uint8Array): string | undefined | 'QUEUED' {
  const dst = formatIPv4(nh);
  // The table asks its resolver when it must solicit; this lookup's resolver asks for `src`.
  ns.neigh.setResolver((q) => arpSolicit(ctx.net, ns, q.dev, q.dst, src));
  const r = ns.neigh.lookup(dst, dev.name, ip && ctx.park ? ctx.park(ns, dev, ip, nh) : undefined);
  if (r.kind === 'queued') {
    const app = r.probes.filter((p) => p.kind === 'app').length;
    ctx.tb.step({ kind: 'neighbour', detail: `${dst} dev ${dev.name} INCOMPLETE: the packet waits in the queue (unres_qlen)${app ? `; L3 MISS sent to user space` : ''}`, action: 'QUEUED', data: { probes: r.probes.length } });
    ns.neigh.setResolver((q) => arpSolicit(ctx.net, ns, q.dev, q.dst, undefined));
    return 'QUEUED';
  }
  if (r.kind === 'failed') {
    ctx.tb.step({ kind: 'neighbour', detail: `${dst} dev ${dev.name} FAILED (${r.probes.length} probes unanswered)`, action: 'NEIGH_FAILED', data: { probes: r.probes.length } });
    return undefined;
  }
  const e = r.entry;
  const how = r.kind === 'hit' ? `hit (${r.was})` : r.by === 'agent' ? 'L3 MISS answered by the agent' : 'resolved by ARP';
  ctx.tb.step({ kind: 'neighbour', detail: `${dst} dev ${dev.name} lladdr ${e.lladdr} ${e.state}: ${how}`, action: r.kind === 'hit' ? 'HIT' : r.by === 'agent' ? 'AGENT' : 'ARP', data: { lladdr: e.lladdr } });
  return e.lladdr;
}
