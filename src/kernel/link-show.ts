/** `ip -d link show` essentials for one namespace (index, name, flags, mtu, master, state, link/ether, kind details). */
import { formatIPv4 } from '../net/ip.js';
import type { Iface } from './iface.js';
import type { Netns } from './netns.js';

function flags(i: Iface): string {
  const f: string[] = [];
  if (i.kind === 'loopback') f.push('LOOPBACK');
  else if (i.kind === 'ipip' || i.kind === 'tun') f.push('POINTOPOINT', 'NOARP');
  else if (i.kind === 'dummy') f.push('BROADCAST', 'NOARP');
  else f.push('BROADCAST', 'MULTICAST');
  if (i.up) f.push('UP', 'LOWER_UP');
  return f.join(',');
}

function details(i: Iface): string {
  if (i.kind === 'veth') return '\n    veth';
  if (i.kind === 'bridge') return '\n    bridge';
  if (i.kind === 'tun') return '\n    tun type tun';
  if (i.kind === 'dummy') return '\n    dummy';
  if (i.kind === 'ipip') return `\n    ipip remote any local ${i.ipipLocal === undefined ? 'any' : formatIPv4(i.ipipLocal)}`;
  if (i.vxlan) {
    const v = i.vxlan;
    const local = v.local === undefined ? '' : ` local ${formatIPv4(v.local)}`;
    const dev = v.dev === undefined ? '' : ` dev ${v.dev}`;
    // iproute2 prints the flags after [no]learning, and ttl only when set.
    const flags = `${v.proxy ? ' proxy' : ''}${v.fdb.l2miss ? ' l2miss' : ''}${v.l3miss ? ' l3miss' : ''}${v.ttl !== undefined ? ` ttl ${v.ttl}` : ''}${v.df !== 'unset' ? ` df ${v.df}` : ''}`;
    return `\n    vxlan id ${v.vni}${local}${dev} srcport 0 0 dstport ${v.dstport} ${v.learning ? '' : 'no'}learning${flags}`;
  }
  return '';
}

/** The text. Simplified: no qdisc, group, qlen or alias fields; ifindex is the order of creation. */
export function linkShow(ns: Netns): string {
  const idx = new Map<Iface, number>();
  [...ns.ifaces.values()].forEach((i, n) => idx.set(i, n + 1));
  return [...ns.ifaces.values()]
    .map((i) => {
      const peer = i.peer ? `@${i.peer.ns === ns ? i.peer.name : `if${[...i.peer.ns.ifaces.values()].indexOf(i.peer) + 1}`}` : '';
      const master = i.master ? ` master ${i.master.name}` : '';
      const state = i.kind === 'loopback' || i.kind === 'ipip' || i.kind === 'tun' || i.kind === 'dummy' ? 'UNKNOWN' : i.up ? 'UP' : 'DOWN';
      const link = i.kind === 'loopback' ? `link/loopback ${i.mac} brd 00:00:00:00:00:00` : i.ether ? `link/ether ${i.mac} brd ff:ff:ff:ff:ff:ff` : i.kind === 'ipip' ? `link/ipip ${i.ipipLocal === undefined ? '0.0.0.0' : formatIPv4(i.ipipLocal)} brd 0.0.0.0` : 'link/none';
      const netns = i.peer && i.peer.ns !== ns ? ` link-netns ${i.peer.ns.name}` : '';
      return `${idx.get(i)}: ${i.name}${peer}: <${flags(i)}> mtu ${i.mtu}${master} state ${state}\n    ${link}${netns}${details(i)}\n`;
    })
    .join('');
}
