/** The decoded frame as a value object, built from an R_WORDS record. */
import * as C from '../../assembly/shared/codec.js';
import { formatIPv4, formatMac } from '../net/ip.js';
import type { EncapMode } from './params.js';
import { DecodeError } from './status.js';

/** Inner 5-tuple (ICMP: type and code in `icmp`, ports 0). */
export interface InnerFlow {
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  ttl: number;
  icmp?: { type: number; code: number };
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
  }
  return { ok: true, frame };
}
