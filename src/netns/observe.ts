/**
 * Turns what the real kernel did with one probe (the frames captured on
 * every wire, plus a few facts read from the namespaces) into a
 * disposition and a path, the same terms as the model's traces.
 *
 * - The probe's packet is recognised wherever it appears: plain, or as the
 *   inner frame of a VXLAN packet (UDP 8472/4789).
 * - Path: the namespaces (nodes, routers, pods; not segment switches) whose
 *   wires saw it, ordered by the highest TTL seen there (each forwarder
 *   decrements it), then by the first capture time.
 * - Disposition: DELIVERED if the namespace owning the destination saw it;
 *   else from an ICMP error quoting it that came back to the sender (time
 *   exceeded; frag needed; net / host unreachable; administratively
 *   prohibited); else DENIED if a DROP rule counted it, NULL_ROUTED if
 *   `ip route get` in the last namespace says blackhole (EINVAL).
 */
import type { Disposition } from '../core/trace.js';
import {
  ETH_HLEN, ETH_P_IP, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_FRAG_NEEDED, ICMP_HLEN, ICMP_HOST_ANO, ICMP_HOST_UNREACH, ICMP_NET_ANO, ICMP_NET_UNREACH, ICMP_PKT_FILTERED, ICMP_TIME_EXCEEDED, IPPROTO_ICMP, IPPROTO_UDP, IPV4_HLEN, UDP_HLEN, VXLAN_HLEN, VXLAN_PORT_IANA, VXLAN_PORT_LINUX,
} from '../../assembly/shared/codec.js';
import type { Probe, Scenario } from '../kernel/scenario.js';

/** A captured frame with its capture time in nanoseconds. */
export interface TimedFrame {
  ts: bigint;
  data: Uint8Array;
}

/** The IPv4 header fields the observer needs, at `off` in a frame. */
export interface Ip4 {
  off: number;
  ihl: number;
  ttl: number;
  proto: number;
  src: string;
  dst: string;
  fragOff: number;
  /** Offset of the L4 header. */
  l4: number;
}

const ip = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** Parses an IPv4 header at `off`, or undefined if it is not one (or truncated). */
export function ipv4At(b: Uint8Array, off: number): Ip4 | undefined {
  if (off + IPV4_HLEN > b.length || b[off] >> 4 !== 4) return undefined;
  const ihl = (b[off] & 15) * 4;
  if (ihl < IPV4_HLEN) return undefined;
  return { off, ihl, ttl: b[off + 8], proto: b[off + 9], src: ip(b, off + 12), dst: ip(b, off + 16), fragOff: ((b[off + 6] & 0x1f) << 8) | b[off + 7], l4: off + ihl };
}

/** The IPv4 packets in an Ethernet frame: the outer one, and a VXLAN inner one when present. */
export function packetsOf(b: Uint8Array): Ip4[] {
  const out: Ip4[] = [];
  let eth = 0;
  for (let depth = 0; depth < 2; depth++) {
    if (eth + ETH_HLEN > b.length || ((b[eth + 12] << 8) | b[eth + 13]) !== ETH_P_IP) break;
    const p = ipv4At(b, eth + ETH_HLEN);
    if (!p) break;
    out.push(p);
    const dport = p.proto === IPPROTO_UDP && p.fragOff === 0 && p.l4 + 4 <= b.length ? (b[p.l4 + 2] << 8) | b[p.l4 + 3] : 0;
    if (dport !== VXLAN_PORT_LINUX && dport !== VXLAN_PORT_IANA) break;
    eth = p.l4 + UDP_HLEN + VXLAN_HLEN;
  }
  return out;
}

/** True if the packet at `p` is the probe (not a reply, not an ICMP error). */
export function isProbe(b: Uint8Array, p: Ip4, probe: Probe, src: string | undefined): boolean {
  if (p.dst !== probe.to || (src !== undefined && p.src !== src)) return false;
  if (probe.proto === 'icmp') return p.proto === IPPROTO_ICMP && (p.fragOff !== 0 || b[p.l4] === ICMP_ECHO);
  if (p.proto !== IPPROTO_UDP) return false;
  return p.fragOff !== 0 || ((b[p.l4 + 2] << 8) | b[p.l4 + 3]) === (probe.dport ?? 9);
}

/** What the runner read from the namespaces for one probe. */
export interface ProbeFacts {
  /** Frames per wire key (`<ns>/<ifname>`) captured while the probe ran. */
  frames: Record<string, TimedFrame[]>;
  /** Namespaces whose DROP/REJECT rule counters rose during the probe. */
  denied: string[];
  /** `ip route get <to>` output (stdout or error) in each namespace of the path. */
  routeGet: Record<string, string>;
  /** The sender's error output (e.g. `ping: sendmsg: Message too long`). */
  senderError?: string;
}

/** The real kernel's answer for one probe. */
export interface Observation {
  probe: string;
  disposition: Disposition;
  path: string[];
  /** Frames per wire (every frame captured during the probe, in order). */
  frames: Record<string, Uint8Array[]>;
}

/** The namespace holding `addr` (a pod address or a node interface address). */
export function ownerOf(s: Scenario, addr: string): string | undefined {
  for (const n of s.nodes) {
    for (const p of n.pods) if (p.address.split('/')[0] === addr) return p.name;
    for (const i of n.interfaces) if (i.address?.split('/')[0] === addr) return n.name;
  }
  return undefined;
}

function sourceOf(s: Scenario, from: string): string | undefined {
  for (const n of s.nodes) for (const p of n.pods) if (p.name === from) return p.address.split('/')[0];
  return undefined;
}

/** Maps an ICMP error (type, code) to a disposition. */
export function icmpDisposition(type: number, code: number): Disposition | undefined {
  if (type === ICMP_TIME_EXCEEDED) return 'TTL_EXCEEDED';
  if (type !== ICMP_DEST_UNREACH) return undefined;
  if (code === ICMP_FRAG_NEEDED) return 'MTU_EXCEEDED';
  if (code === ICMP_NET_UNREACH) return 'NO_ROUTE';
  if (code === ICMP_HOST_UNREACH) return 'NULL_ROUTED';
  if (code === ICMP_NET_ANO || code === ICMP_HOST_ANO || code === ICMP_PKT_FILTERED) return 'DENIED';
  return undefined;
}

/** Classifies one probe from the facts the runner gathered. */
export function observe(s: Scenario, probe: Probe, facts: ProbeFacts): Observation {
  const src = sourceOf(s, probe.from);
  const seen = new Map<string, { ttl: number; ts: bigint }>();
  let icmp: Disposition | undefined;
  for (const [key, frames] of Object.entries(facts.frames)) {
    const ns = key.slice(0, key.indexOf('/'));
    const isSeg = s.segments.some((g) => g.name === ns);
    for (const f of frames) {
      for (const p of packetsOf(f.data)) {
        if (isProbe(f.data, p, probe, src)) {
          if (isSeg) continue;
          const prev = seen.get(ns);
          seen.set(ns, { ttl: Math.max(prev?.ttl ?? 0, p.ttl), ts: prev && prev.ts < f.ts ? prev.ts : f.ts });
        } else if (ns === probe.from && p.proto === IPPROTO_ICMP && p.fragOff === 0 && (src === undefined || p.dst === src)) {
          const inner = ipv4At(f.data, p.l4 + ICMP_HLEN);
          if (inner && inner.dst === probe.to) icmp ??= icmpDisposition(f.data[p.l4], f.data[p.l4 + 1]);
        }
      }
    }
  }
  const path = [...seen.entries()].sort((x, y) => y[1].ttl - x[1].ttl || (x[1].ts < y[1].ts ? -1 : x[1].ts > y[1].ts ? 1 : 0)).map(([ns]) => ns);
  const last = path[path.length - 1];
  let disposition: Disposition;
  if (path.includes(ownerOf(s, probe.to) ?? '\0')) disposition = 'DELIVERED';
  else if (icmp) disposition = icmp;
  else if (last !== undefined && facts.denied.includes(last)) disposition = 'DENIED';
  else if (last !== undefined && /Invalid argument|^blackhole/.test(facts.routeGet[last] ?? '')) disposition = 'NULL_ROUTED';
  else if (/Message too long/.test(facts.senderError ?? '')) disposition = 'MTU_EXCEEDED';
  else if (/unreachable/i.test(facts.senderError ?? '') || path.length === 0) disposition = 'NO_ROUTE';
  else disposition = 'NEIGH_FAILED';
  const frames: Record<string, Uint8Array[]> = {};
  for (const [k, v] of Object.entries(facts.frames)) frames[k] = v.map((f) => f.data);
  return { probe: probe.name, disposition, path, frames };
}
