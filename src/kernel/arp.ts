/**
 * ARP between namespaces (net/ipv4/arp.c arp_process), modelled as an
 * instant request/reply: the stations on the link of `dev` are asked, and
 * one answers if it owns the address (arp_ignore = 0: any local address of
 * its namespace) or, with `proxy_arp` on and forwarding enabled, if it has
 * a route to the address through another device (arp_fwd_proxy).
 *
 * Simplified: no ARP frames on the wire or in captures; the replier does
 * not learn the requester; bridges and switches learn both stations as the
 * real request/reply would teach them.
 */
import type { Iface } from './iface.js';
import type { Netns } from './netns.js';
import type { WalkEnv } from './walk.js';
import { parseIPv4 } from '../net/ip.js';
import { portName } from '../fabric/segment.js';

/** A station on a link and how the frame reaches it (for learning). */
interface Station {
  iface: Iface;
  learn: () => void;
}

/** The stations reachable at L2 from `dev`. */
function stations(env: WalkEnv, dev: Iface): Station[] {
  if (dev.kind === 'veth' && dev.peer) {
    const peer = dev.peer;
    if (!peer.master) return [{ iface: peer, learn: () => undefined }];
    return bridgeStations(peer.master, peer, dev.mac);
  }
  if (dev.kind === 'bridge') return bridgeStations(dev, undefined, dev.mac);
  if (dev.kind === 'phys' && dev.segment) {
    const seg = env.segments.get(dev.segment);
    return (seg?.members ?? [])
      .filter((m) => m !== dev)
      .map((m) => ({
        iface: m,
        learn: () => {
          seg!.fdb.learn(dev.mac, portName(dev));
          seg!.fdb.learn(m.mac, portName(m));
        },
      }));
  }
  return [];
}

function bridgeStations(br: Iface, from: Iface | undefined, asker: string): Station[] {
  const out: Station[] = [];
  if (from) out.push({ iface: br, learn: () => br.bridgeFdb!.learn(asker, from.name) });
  for (const p of br.ports ?? []) {
    if (p === from || !p.peer) continue;
    out.push({
      iface: p.peer,
      learn: () => {
        if (from) br.bridgeFdb!.learn(asker, from.name);
        br.bridgeFdb!.learn(p.peer!.mac, p.name);
      },
    });
  }
  return out;
}

/** Who answers "who has `dst`?" asked by `ns` on `devName`: the answering MAC, if any. */
export function arpResolve(env: WalkEnv, ns: Netns, dst: string, devName: string): string | undefined {
  const dev = ns.ifaces.get(devName);
  if (!dev || !dev.arp || !dev.up) return undefined;
  const a = parseIPv4(dst);
  for (const s of stations(env, dev)) {
    const i = s.iface;
    if (!i.up) continue;
    if (i.ns.fib.isLocal(a) || proxies(i, a)) {
      s.learn();
      return i.mac;
    }
  }
  return undefined;
}

function proxies(i: Iface, a: number): boolean {
  if (!(i.proxyArp || i.ns.proxyArpAll) || !i.ns.ipForward) return false;
  const r = i.ns.fib.get(a);
  return r !== undefined && r.type === 'unicast' && r.dev !== undefined && r.dev !== i.name;
}
