/** The decoded frame as a value object, built from an R_WORDS record. */
import * as C from '../../assembly/shared/codec.js';
import { formatIPv4, formatMac } from '../net/ip.js';
import type { EncapMode } from './params.js';
import { DecodeError } from './status.js';
import { decodeArp, type InnerArp } from './arp.js';

/** Inner 5-tuple (ICMP: type and code in `icmp`, ports 0). */
export interface InnerFlow {
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  ttl: number;
  icmp?: { type: number; code: number };
  /** ICMP echo request (8) or reply (0) with its 8-byte header present: identifier and sequence number. */
  echo?: { id: number; seq: number };
}

/** A successfully decapsulated frame. */
export interface DecodedFrame {
  mode: EncapMode;
  outer: {
    dstMac: string;
    srcMac: string;
    /** 802.1Q TCI when tagged. */
    vlan?: number;
    src: string;
    dst: string;
    tos: number;
    ttl: number;
    id: number;
    df: boolean;
    totalLength: number;
    protocol: number;
    checksum: number;
  };
  /** VXLAN and flannel-udp. */
  udp?: { srcPort: number; dstPort: number; length: number; checksum: number };
  /** VXLAN only. */
  vxlan?: { flags: number; vni: number; reserved: number };
  inner: {
    /** Offset and length of the inner frame (VXLAN) or IP packet (IPIP, flannel-udp) in the outer frame. */
    offset: number;
    length: number;
    /** VXLAN only. */
    dstMac?: string;
    srcMac?: string;
    vlan?: number;
    ethertype: number;
    /** When the inner packet is parseable IPv4. */
    flow?: InnerFlow;
    /** VXLAN: when the inner frame is Ethernet/IPv4 ARP (EtherType 0x0806). */
    arp?: InnerArp;
  };
}

/** Result of decoding one frame: a frame or a typed error. */
export type DecodeResult = { ok: true; frame: DecodedFrame } | { ok: false; error: DecodeError };

/** Builds the value object from a record `r` (R_WORDS numbers) over the frame bytes `b`. */
export function frameFromRecord(b: Uint8Array, r: ArrayLike<number>, mode: EncapMode): DecodeResult {
  if (r[C.R_STATUS] !== C.ST_OK) return { ok: false, error: new DecodeError(r[C.R_STATUS], r[C.R_ERR_OFFSET], r[C.R_ERR_VALUE]) };
  const inner = r[C.R_INNER_OFF];
  const frame: DecodedFrame = {
    mode,
    outer: {
      dstMac: formatMac(b, 0),
      srcMac: formatMac(b, 6),
      ...(r[C.R_OUTER_VLAN] >= 0 ? { vlan: r[C.R_OUTER_VLAN] } : {}),
      src: formatIPv4(r[C.R_OUTER_SRC] >>> 0),
      dst: formatIPv4(r[C.R_OUTER_DST] >>> 0),
      tos: r[C.R_OUTER_TOS],
      ttl: r[C.R_OUTER_TTL],
      id: r[C.R_OUTER_ID],
      df: (r[C.R_OUTER_FRAG] & 0x4000) !== 0,
      totalLength: r[C.R_OUTER_TOTLEN],
      protocol: r[C.R_OUTER_PROTO],
      checksum: r[C.R_OUTER_CSUM],
    },
    inner: { offset: inner, length: r[C.R_INNER_LEN], ethertype: r[C.R_INNER_ETHERTYPE] },
  };
  if (mode !== 'ipip') frame.udp = { srcPort: r[C.R_UDP_SPORT], dstPort: r[C.R_UDP_DPORT], length: r[C.R_UDP_LEN], checksum: r[C.R_UDP_CSUM] };
  if (mode === 'vxlan') {
    frame.vxlan = { flags: r[C.R_VXLAN_FLAGS] >>> 24, vni: r[C.R_VNI], reserved: r[C.R_VXLAN_RSVD] };
    frame.inner.dstMac = formatMac(b, inner);
    frame.inner.srcMac = formatMac(b, inner + 6);
    if (r[C.R_INNER_VLAN] >= 0) frame.inner.vlan = r[C.R_INNER_VLAN];
    if (r[C.R_INNER_ETHERTYPE] === C.ETH_P_ARP) {
      const l3 = inner + (r[C.R_INNER_VLAN] >= 0 ? 18 : 14);
      const arp = decodeArp(b, l3, inner + r[C.R_INNER_LEN] - l3);
      if (arp) frame.inner.arp = arp;
    }
  }
  if (r[C.R_INNER_L3] >= 0) {
    const proto = r[C.R_INNER_PROTO];
    const icmp = proto === C.IPPROTO_ICMP;
    frame.inner.flow = {
      src: formatIPv4(r[C.R_INNER_SRC] >>> 0),
      dst: formatIPv4(r[C.R_INNER_DST] >>> 0),
      protocol: proto,
      srcPort: icmp ? 0 : r[C.R_INNER_SPORT],
      dstPort: icmp ? 0 : r[C.R_INNER_DPORT],
      ttl: r[C.R_INNER_TTL],
      ...(icmp ? { icmp: { type: r[C.R_INNER_SPORT], code: r[C.R_INNER_DPORT] } } : {}),
    };
    const echo = icmp ? icmpEcho(b, r) : undefined;
    if (echo) frame.inner.flow.echo = echo;
  }
  return { ok: true, frame };
}

/** Identifier and sequence of an inner ICMP echo request or reply (RFC 792), read where the record puts the inner IPv4 header. */
function icmpEcho(b: Uint8Array, r: ArrayLike<number>): { id: number; seq: number } | undefined {
  const type = r[C.R_INNER_SPORT];
  const l3 = r[C.R_INNER_L3];
  // The inner packet ends where the inner frame (or IP packet) does; the IPv4 header was checked by the decoder.
  const end = r[C.R_INNER_OFF] + r[C.R_INNER_LEN];
  const l4 = l3 + (b[l3] & 15) * 4;
  if ((type !== 0 && type !== 8) || (((b[l3 + 6] << 8) | b[l3 + 7]) & 0x1fff) !== 0 || end - l4 < 8) return undefined;
  return { id: (b[l4 + 4] << 8) | b[l4 + 5], seq: (b[l4 + 6] << 8) | b[l4 + 7] };
}
