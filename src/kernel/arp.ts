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
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { macBytes } from './packet.js';
import { portName } from './segment.js';

/** A station on a link and how the frame reaches it (for learning). */
interface Station {
  iface: Iface;
  learn: () => void;
}

/** The stations reachable at L2 from `dev` that may answer for `a` (on a segment: its owner, else the proxy_arp NICs). */
function stations(env: WalkEnv, dev: Iface, a: number): Station[] {
  if (dev.kind === 'veth' && dev.peer) {
    const peer = dev.peer;
    if (!peer.master) return [{ iface: peer, learn: () => undefined }];
    return bridgeStations(peer.master, peer, dev.mac);
  }
  if (dev.kind === 'bridge') return bridgeStations(dev, undefined, dev.mac);
  if (dev.kind === 'phys' && dev.segment) {
    const seg = env.segments.get(dev.segment);
    const owner = seg?.ownerOf(a, dev);
    return (owner ? [owner] : (seg?.proxyArpNics(dev) ?? []))
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

/**
 * Who answers "who has `dst`?" asked by `ns` on `devName`: the answering
 * MAC, if any. The request's sender address is the packet's source when it
 * is local, else the device's (arp_solicit with arp_announce 0); the
 * answerer learns the asker as STALE (neigh_event_ns), as Linux does. With
 * `env.arpFrames`, the request and reply frames are recorded on every
 * device they pass (42 bytes, as Linux sends them before any padding).
 */
export function arpResolve(env: WalkEnv, ns: Netns, dst: string, devName: string): string | undefined {
  const dev = ns.ifaces.get(devName);
  if (!dev || !dev.arp || !dev.up) return undefined;
  const a = parseIPv4(dst);
  const src = env.arpSource;
  const spa = src !== undefined && ns.fib.isLocal(src) ? src : (ns.primary(dev.name) ?? 0);
  const all = stations(env, dev, a);
  if (env.arpFrames) {
    const req = arpFrame(1, dev.mac, spa, '00:00:00:00:00:00', a, 'ff:ff:ff:ff:ff:ff');
    dev.see(req);
    for (const i of floodSet(dev)) i.see(req);
  }
  for (const s of all) {
    const i = s.iface;
    if (!i.up) continue;
    if (i.ns.fib.isLocal(a) || proxies(i, a)) {
      s.learn();
      if (spa !== 0) {
        const old = i.ns.neigh.get(formatIPv4(spa), i.name);
        if (!old || (old.state !== 'PERMANENT' && old.state !== 'NOARP')) i.ns.neigh.replace(formatIPv4(spa), i.name, { lladdr: dev.mac, nud: 'stale' });
      }
      if (env.arpFrames) {
        const rep = arpFrame(2, i.mac, a, dev.mac, spa, dev.mac);
        for (const x of replyPath(i, dev)) x.see(rep);
      }
      return i.mac;
    }
  }
  return undefined;
}

/** An Ethernet ARP frame (RFC 826): op 1 request, 2 reply. */
function arpFrame(op: number, sha: string, spa: number, tha: string, tpa: number, dstMac: string): Uint8Array {
  const f = new Uint8Array(42);
  const dv = new DataView(f.buffer);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(sha), 6);
  dv.setUint16(12, 0x0806);
  dv.setUint16(14, 1);
  dv.setUint16(16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  dv.setUint16(20, op);
  f.set(macBytes(sha), 22);
  dv.setUint32(28, spa >>> 0);
  f.set(macBytes(tha), 32);
  dv.setUint32(38, tpa >>> 0);
  return f;
}

/** Devices (other than `dev`) a broadcast from `dev` is seen on. */
function floodSet(dev: Iface): Iface[] {
  if (dev.kind === 'veth' && dev.peer) {
    const p = dev.peer;
    if (!p.master) return [p];
    return [p, p.master, ...(p.master.ports ?? []).filter((q) => q !== p).flatMap((q) => (q.peer ? [q, q.peer] : [q]))];
  }
  if (dev.kind === 'bridge') return (dev.ports ?? []).flatMap((q) => (q.peer ? [q, q.peer] : [q]));
  if (dev.kind === 'phys' && dev.segment) return dev.segmentPeers?.() ?? [];
  return [];
}

/** Devices a unicast reply from `from` to `to` passes, in order. */
function replyPath(from: Iface, to: Iface): Iface[] {
  if (to.kind === 'veth' && to.peer) {
    const p = to.peer;
    if (!p.master) return [from, to];
    // from is the bridge itself or a pod behind another port
    const port = from.kind === 'bridge' ? undefined : from.peer;
    return [from, ...(port ? [port] : []), p, to];
  }
  if (to.kind === 'bridge') return [from, from.peer!, to];
  return [from, to];
}

function proxies(i: Iface, a: number): boolean {
  if (!(i.proxyArp || i.ns.proxyArpAll) || !i.ns.ipForward) return false;
  const r = i.ns.fib.get(a);
  return r !== undefined && r.type === 'unicast' && r.dev !== undefined && r.dev !== i.name;
}
