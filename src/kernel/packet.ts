/**
 * The probe packets of the kernel model as real bytes: Ethernet II + IPv4
 * (RFC 791) + ICMP echo (RFC 792) or UDP (RFC 768), and the few header
 * edits the forwarding path makes (MACs, TTL with the header checksum).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 */
import { ETH_HLEN, ETH_P_IP, ICMP_ECHO, ICMP_HLEN, IP_DF, IP_MF, IP_OFFSET, IPDEFTTL, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_HLEN, UDP_HLEN } from '../../assembly/shared/codec.js';
import { internetChecksum } from '../codec/reference.js';
import { parseMac } from '../net/ip.js';

/** The all-zeros MAC: the Ethernet header the model puts on packets of devices without one (IPIP, TUN, lo). */
export const NO_MAC = '00:00:00:00:00:00';

/** What to put in a probe packet. */
export interface ProbeBytes {
  proto: 'icmp' | 'udp';
  src: number;
  dst: number;
  /** UDP destination port. Default 9 (discard). */
  dport?: number;
  /** UDP source port. Default 40000. */
  sport?: number;
  /** Payload bytes after the ICMP/UDP header (ping's pattern for ICMP, zeros for UDP as the real-kernel runner sends). Default 56. */
  size?: number;
  ttl?: number;
  df?: boolean;
  /** IPv4 identification. Default 0 (Linux picks it per socket; comparisons pin it). */
  id?: number;
  /** ICMP echo identifier. Default 0x4d2. */
  icmpId?: number;
  /** ICMP echo sequence number. Default 1. */
  seq?: number;
  /** ICMP type: 8 echo request (default) or 0 echo reply. */
  icmpType?: 0 | 8;
}

/** Builds the IPv4 packet (no Ethernet header) of a probe. */
export function buildIpPacket(p: ProbeBytes): Uint8Array {
  const size = p.size ?? 56;
  const l4 = (p.proto === 'icmp' ? ICMP_HLEN : UDP_HLEN) + size;
  const b = new Uint8Array(IPV4_HLEN + l4);
  const dv = new DataView(b.buffer);
  b[0] = 0x45;
  dv.setUint16(2, b.length);
  dv.setUint16(4, p.id ?? 0);
  dv.setUint16(6, p.df ? IP_DF : 0);
  b[8] = p.ttl ?? IPDEFTTL;
  b[9] = p.proto === 'icmp' ? IPPROTO_ICMP : IPPROTO_UDP;
  dv.setUint32(12, p.src >>> 0);
  dv.setUint32(16, p.dst >>> 0);
  dv.setUint16(10, internetChecksum(b, 0, IPV4_HLEN));
  if (p.proto === 'icmp') {
    // ping's pattern (byte i = i; ping overwrites the first 16 with a timestamp).
    for (let i = 0; i < size; i++) b[IPV4_HLEN + ICMP_HLEN + i] = i & 0xff;
    b[IPV4_HLEN] = p.icmpType ?? ICMP_ECHO;
    dv.setUint16(IPV4_HLEN + 4, p.icmpId ?? 0x4d2);
    dv.setUint16(IPV4_HLEN + 6, p.seq ?? 1);
    dv.setUint16(IPV4_HLEN + 2, internetChecksum(b, IPV4_HLEN, l4));
  } else {
    dv.setUint16(IPV4_HLEN, p.sport ?? 40000);
    dv.setUint16(IPV4_HLEN + 2, p.dport ?? 9);
    dv.setUint16(IPV4_HLEN + 4, l4);
    // UDP checksum over the pseudo header (RFC 768); 0 is sent as 0xffff.
    const pseudo = (p.src >>> 16) + (p.src & 0xffff) + (p.dst >>> 16) + (p.dst & 0xffff) + IPPROTO_UDP + l4;
    const c = internetChecksum(b, IPV4_HLEN, l4, pseudo);
    dv.setUint16(IPV4_HLEN + 6, c === 0 ? 0xffff : c);
  }
  return b;
}

// MACs are strings in the tables and bytes on the wire; the walk converts the
// same few addresses millions of times, so both directions are memoised.
const macBytesCache = new Map<string, Uint8Array>();
const HEX = [...Array(256).keys()].map((i) => i.toString(16).padStart(2, '0'));

/** `parseMac`, memoised (the result must not be modified). */
export function macBytes(s: string): Uint8Array {
  let b = macBytesCache.get(s);
  if (!b) {
    b = parseMac(s);
    if (macBytesCache.size < 65536) macBytesCache.set(s, b);
  }
  return b;
}

/** `formatMac` of the 6 bytes at `off` (lower-case, colon-separated). */
export function macText(b: Uint8Array, off: number): string {
  return `${HEX[b[off]]}:${HEX[b[off + 1]]}:${HEX[b[off + 2]]}:${HEX[b[off + 3]]}:${HEX[b[off + 4]]}:${HEX[b[off + 5]]}`;
}

/** Prepends an Ethernet header (EtherType IPv4). */
export function ethFrame(dstMac: string, srcMac: string, ip: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HLEN + ip.length);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(srcMac), 6);
  f[12] = ETH_P_IP >> 8;
  f[13] = ETH_P_IP & 0xff;
  f.set(ip, ETH_HLEN);
  return f;
}

/**
 * The frame of IP packet `ip` with an Ethernet header: written in place in
 * front of `ip` when its buffer has the headroom (a view: the caller owns
 * that buffer, as the output path owns the packets it made), else a copy
 * as {@link ethFrame}.
 */
export function ethPush(dstMac: string, srcMac: string, ip: Uint8Array): Uint8Array {
  if (ip.byteOffset < ETH_HLEN) return ethFrame(dstMac, srcMac, ip);
  const f = new Uint8Array(ip.buffer, ip.byteOffset - ETH_HLEN, ETH_HLEN + ip.length);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(srcMac), 6);
  f[12] = ETH_P_IP >> 8;
  f[13] = ETH_P_IP & 0xff;
  return f;
}

/** The fields of an IPv4 packet the forwarding path reads. */
export interface IpView {
  src: number;
  dst: number;
  ttl: number;
  proto: number;
  df: boolean;
  totalLength: number;
  sport: number;
  dport: number;
  icmpType: number;
  icmpCode: number;
}

/** Reads the IPv4 header at `off` of `b`. */
export function readIp(b: Uint8Array, off = ETH_HLEN): IpView {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ihl = (b[off] & 15) * 4;
  const proto = b[off + 9];
  const l4 = off + ihl;
  const ports = proto === IPPROTO_TCP || proto === IPPROTO_UDP;
  return {
    src: dv.getUint32(off + 12),
    dst: dv.getUint32(off + 16),
    ttl: b[off + 8],
    proto,
    df: ((b[off + 6] << 8) & IP_DF) !== 0,
    totalLength: dv.getUint16(off + 2),
    sport: ports ? dv.getUint16(l4) : 0,
    dport: ports ? dv.getUint16(l4 + 2) : 0,
    icmpType: proto === IPPROTO_ICMP ? b[l4] : 0,
    icmpCode: proto === IPPROTO_ICMP ? b[l4 + 1] : 0,
  };
}

/** A copy of frame `f` with TTL decremented and the IPv4 checksum recomputed (ip_decrease_ttl). */
export function decTtl(f: Uint8Array, off = ETH_HLEN): Uint8Array {
  const g = f.slice();
  g[off + 8] -= 1;
  g[off + 10] = 0;
  g[off + 11] = 0;
  const c = internetChecksum(g, off, (g[off] & 15) * 4);
  g[off + 10] = c >> 8;
  g[off + 11] = c & 0xff;
  return g;
}

/** Destination and source MAC of a frame, as text. */
export function frameMacs(f: Uint8Array): { dst: string; src: string } {
  return { dst: macText(f, 0), src: macText(f, 6) };
}

/**
 * Splits IPv4 packet `ip` for `mtu` (ip_fragment): fragments carry the
 * header (no options), data in multiples of 8 bytes, MF on all but the last.
 */
export function fragment(ip: Uint8Array, mtu: number): Uint8Array[] {
  const hl = (ip[0] & 15) * 4;
  const dv0 = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
  const total = dv0.getUint16(2);
  const baseOff = (dv0.getUint16(6) & IP_OFFSET) * 8;
  const moreAfter = (dv0.getUint16(6) & IP_MF) !== 0;
  const step = (mtu - hl) & ~7;
  const out: Uint8Array[] = [];
  for (let off = 0; off < total - hl; off += step) {
    const len = Math.min(step, total - hl - off);
    const f = new Uint8Array(hl + len);
    f.set(ip.subarray(0, hl), 0);
    f.set(ip.subarray(hl + off, hl + off + len), hl);
    const dv = new DataView(f.buffer);
    const last = off + len >= total - hl;
    dv.setUint16(2, f.length);
    dv.setUint16(6, ((baseOff + off) / 8) | (last && !moreAfter ? 0 : IP_MF));
    dv.setUint16(10, 0);
    dv.setUint16(10, internetChecksum(f, 0, hl));
    out.push(f);
  }
  return out;
}

/** Whether `ip` is a fragment (MF set or a non-zero offset). */
export function isFragment(ip: Uint8Array): boolean {
  return (((ip[6] << 8) | ip[7]) & (IP_MF | IP_OFFSET)) !== 0;
}

/**
 * Adds fragment `ip` to `queue` (ip_defrag); returns the reassembled packet
 * once every byte is there, else undefined.
 */
export function reassemble(queue: Uint8Array[], ip: Uint8Array): Uint8Array | undefined {
  queue.push(ip);
  const hl = (ip[0] & 15) * 4;
  const parts = queue.map((f) => ({ off: (((f[6] << 8) | f[7]) & IP_OFFSET) * 8, mf: (((f[6] << 8) | f[7]) & IP_MF) !== 0, data: f.subarray((f[0] & 15) * 4) })).sort((a, b) => a.off - b.off);
  let have = 0;
  for (const p of parts) {
    if (p.off !== have) return undefined;
    have += p.data.length;
  }
  if (parts[parts.length - 1].mf) return undefined;
  const first = queue.find((f) => (((f[6] << 8) | f[7]) & IP_OFFSET) === 0)!;
  const out = new Uint8Array(hl + have);
  out.set(first.subarray(0, hl), 0);
  for (const p of parts) out.set(p.data, hl + p.off);
  const dv = new DataView(out.buffer);
  dv.setUint16(2, out.length);
  dv.setUint16(6, dv.getUint16(6) & IP_DF);
  dv.setUint16(10, 0);
  dv.setUint16(10, internetChecksum(out, 0, hl));
  return out;
}
