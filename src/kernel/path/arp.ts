/**
 * ARP between namespaces (net/ipv4/arp.c): arp_solicit on the asking side
 * and arp_process on the stations of the link, modelled as an instant
 * request/reply: the stations on the link of `dev` are asked, and one
 * answers if it owns the address (arp_ignore = 0: any local address of its
 * namespace) or, with `proxy_arp` on and forwarding enabled, if it has a
 * route to the address through another device (arp_fwd_proxy).
 *
 * Simplified: no timing (the reply is there when the request is sent);
 * ARP frames are recorded on the devices they pass only when asked
 * (`arpFrames`); bridges and switches learn both stations as the real
 * request/reply would teach them.
 */
import { ARP_HLEN, ARPHRD_ETHER, ARPOP_REPLY, ARPOP_REQUEST, ETH_ALEN, ETH_HLEN, ETH_P_ARP, ETH_P_IP } from '../../../assembly/shared/codec.js';
import { portName } from '../segment.js';
import { formatIPv4, parseIPv4 } from '../../net/ip.js';
import type { Iface } from '../iface.js';
import type { Netns } from '../netns.js';
import { macBytes, NO_MAC } from '../packet.js';
import type { NetView } from './context.js';
import { inetSelectAddr } from './select-addr.js';

/** What ARP reads of the network: the fabric, and whether to record its frames. */
export type ArpNet = Pick<NetView, 'segments' | 'arpFrames'>;

/** A station on a link and how the frame reaches it (for learning). */
interface Station {
  iface: Iface;
  learn: () => void;
}

/** The stations reachable at L2 from `dev` that may answer for `a` (on a segment: its owner, else the proxy_arp NICs). */
function stations(net: ArpNet, dev: Iface, a: number): Station[] {
  if (dev.kind === 'veth' && dev.peer) {
    const peer = dev.peer;
    if (!peer.master) return [{ iface: peer, learn: () => undefined }];
    return bridgeStations(peer.master, peer, dev.mac);
  }
  if (dev.kind === 'bridge') return bridgeStations(dev, undefined, dev.mac);
  if (dev.kind === 'phys' && dev.segment) {
    const seg = net.segments.get(dev.segment);
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
 * arp_solicit: who answers "who has `dst`?" asked by `ns` on `devName` for a
 * packet from `src`: the answering MAC, if any. The request's sender address
 * is `src` when it is local, else the device's (arp_announce 0); the
 * answerer learns the asker as STALE (arp_process -> neigh_event_ns), as
 * Linux does. With `net.arpFrames`, the request and reply frames are
 * recorded on every device they pass (42 bytes, as Linux sends them before
 * any padding).
 */
export function arpSolicit(net: ArpNet, ns: Netns, devName: string, dst: string, src: number | undefined): string | undefined {
  const dev = ns.ifaces.get(devName);
  if (!dev || !dev.arp || !dev.up) return undefined;
  const a = parseIPv4(dst);
  const spa = src !== undefined && ns.fib.isLocal(src) ? src : (inetSelectAddr(ns.ifaces, dev.name) ?? 0);
  const all = stations(net, dev, a);
  if (net.arpFrames) {
    const req = arpFrame(ARPOP_REQUEST, dev.mac, spa, NO_MAC, a, 'ff:ff:ff:ff:ff:ff');
    dev.see(req);
    for (const i of floodSet(dev)) i.see(req);
  }
  for (const s of all) {
    if (!arpProcess(s.iface, a, dev.mac, spa)) continue;
    s.learn();
    if (net.arpFrames) {
      const rep = arpFrame(ARPOP_REPLY, s.iface.mac, a, dev.mac, spa, dev.mac);
      for (const x of replyPath(s.iface, dev)) x.see(rep);
    }
    return s.iface.mac;
  }
  return undefined;
}

/**
 * arp_process on station `i` for a request "who has `tpa`?" from `sha` /
 * `spa`: whether it answers (it owns `tpa`, or proxies for it). An answering
 * station learns the asker as STALE (neigh_event_ns), unless it has a
 * PERMANENT or NOARP entry for it.
 */
function arpProcess(i: Iface, tpa: number, sha: string, spa: number): boolean {
  if (!i.up || !(i.ns.fib.isLocal(tpa) || proxies(i, tpa))) return false;
  if (spa !== 0) {
    const old = i.ns.neigh.get(formatIPv4(spa), i.name);
    if (!old || (old.state !== 'PERMANENT' && old.state !== 'NOARP')) i.ns.neigh.replace(formatIPv4(spa), i.name, { lladdr: sha, nud: 'stale' });
  }
  return true;
}

/** An Ethernet ARP frame (RFC 826): op 1 request, 2 reply. */
function arpFrame(op: number, sha: string, spa: number, tha: string, tpa: number, dstMac: string): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + ARP_HLEN);
  const dv = new DataView(f.buffer);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(sha), 6);
  dv.setUint16(12, ETH_P_ARP);
  dv.setUint16(14, ARPHRD_ETHER);
  dv.setUint16(16, ETH_P_IP);
  f[18] = ETH_ALEN;
  f[19] = 4; // IPv4 address length
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
