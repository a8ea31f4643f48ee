// Decapsulation with full validation. Every check names the offset and the
// value that failed (R_ERR_OFFSET, R_ERR_VALUE); nothing is written to the
// frame. Order of checks follows the receive path: Ethernet, ip_rcv
// (version, IHL, total length, checksum), fragments (we do not reassemble:
// Linux would, before the UDP socket sees the datagram), the protocol,
// udp_rcv (length), vxlan_rcv (I flag, VNI lookup, then unparsed flags and
// reserved bits), and finally the inner frame length.
//
// On an error only R_STATUS, R_ERR_OFFSET and R_ERR_VALUE are meaningful.

import {
  ETH_P_IP, IPPROTO_UDP, MODE_VXLAN, MODE_IPIP, MODE_FLANNEL_UDP, VXLAN_FLAG_I,
  ST_OK, ST_TRUNC_ETH, ST_NOT_IPV4, ST_TRUNC_IPV4, ST_IPV4_VERSION, ST_IPV4_IHL, ST_IPV4_TOTLEN,
  ST_IPV4_TOTLEN_SHORT, ST_IPV4_FRAGMENT, ST_IPV4_CHECKSUM, ST_NOT_UDP, ST_NOT_IPIP, ST_TRUNC_UDP,
  ST_UDP_DPORT, ST_UDP_LENGTH, ST_UDP_CHECKSUM, ST_TRUNC_VXLAN, ST_VXLAN_I_FLAG, ST_VXLAN_VNI,
  ST_VXLAN_RESERVED, ST_INNER_TOO_SHORT, ST_OUT_OF_BOUNDS, ST_BAD_MODE,
  DEC_MODE, DEC_FLAGS, DEC_PORT_A, DEC_PORT_B,
  DEC_F_IP_CSUM, DEC_F_UDP_CSUM, DEC_F_IGNORE_RESERVED,
  R_STATUS, R_ERR_OFFSET, R_ERR_VALUE, R_OUTER_VLAN, R_OUTER_L3, R_OUTER_TOS, R_OUTER_TOTLEN, R_OUTER_ID,
  R_OUTER_FRAG, R_OUTER_TTL, R_OUTER_PROTO, R_OUTER_CSUM, R_OUTER_SRC, R_OUTER_DST, R_UDP_SPORT, R_UDP_DPORT,
  R_UDP_LEN, R_UDP_CSUM, R_VXLAN_FLAGS, R_VNI, R_VXLAN_RSVD, R_INNER_OFF, R_INNER_LEN, R_WORDS,
  R_INNER_ETHERTYPE, R_INNER_VLAN,
  FE_BYTES, FE_PTR, FE_LEN, FE_STATUS,
} from "../shared/codec";
import { ethL3Offset, ethType, ethVlan } from "./ethernet";
import { checksum, ipv4HeaderSum20 } from "./checksum";
import { udpChecksum } from "./udp";
import { vxlanFlagsWord, vxlanVniWord } from "./vxlan";
import { IPIP_PROTO } from "./ipip";
import { decodeInnerEth, decodeInnerIPv4 } from "./inner";
import { decapVxlanFast, vniConfigured } from "./decap-vxlan";
import { put } from "./record";

// @ts-ignore: decorator
@inline
function fail(out: usize, st: i32, off: i32, val: i32): i32 {
  put(out, R_STATUS, st);
  put(out, R_ERR_OFFSET, off);
  put(out, R_ERR_VALUE, val);
  return st;
}

/**
 * Decapsulates the frame at `p` (`len` bytes) per the decap config at `cfg`
 * and writes an R_WORDS record at `out`. Returns the status.
 */
export function codecDecap(cfg: usize, p: usize, len: i32, out: usize): i32 {
  const mem = <u64>memory.size() << 16;
  if (len < 0 || <u64>p + <u64>len > mem || <u64>out + (R_WORDS << 2) > mem) return ST_OUT_OF_BOUNDS;
  return decapFrame(cfg, p, len, out, load<i32>(cfg, DEC_MODE), load<u32>(cfg, DEC_FLAGS), load<i32>(cfg, DEC_PORT_A), load<i32>(cfg, DEC_PORT_B));
}

/** One in-bounds frame: the fixed-offset path for the common VXLAN frame, every check for the rest. */
// @ts-ignore: decorator
@inline
function decapFrame(cfg: usize, p: usize, len: i32, out: usize, mode: i32, flags: u32, portA: i32, portB: i32): i32 {
  if (mode == MODE_VXLAN && decapVxlanFast(cfg, p, len, out, flags, portA, portB)) return ST_OK;
  return decapOne(cfg, p, len, out, mode);
}

// @ts-ignore: decorator
@inline
function decapOne(cfg: usize, p: usize, len: i32, out: usize, mode: i32): i32 {
  if (mode != MODE_VXLAN && mode != MODE_IPIP && mode != MODE_FLANNEL_UDP) return fail(out, ST_BAD_MODE, 0, mode);
  const flags = load<u32>(cfg, DEC_FLAGS);

  // Ethernet (optionally one 802.1Q tag).
  if (len < 14) return fail(out, ST_TRUNC_ETH, 0, len);
  const l3 = ethL3Offset(p, len);
  if (l3 == 0) return fail(out, ST_TRUNC_ETH, 14, len);
  const et = ethType(p, l3);
  if (et != ETH_P_IP) return fail(out, ST_NOT_IPV4, l3 - 2, <i32>et);
  put(out, R_OUTER_VLAN, ethVlan(p, l3));
  put(out, R_OUTER_L3, l3);

  // IPv4.
  const ip = p + <usize>l3;
  const avail = len - l3;
  if (avail < 20) return fail(out, ST_TRUNC_IPV4, l3, avail);
  const vihl = load<u8>(ip);
  if ((vihl >> 4) != 4) return fail(out, ST_IPV4_VERSION, l3, vihl >> 4);
  const ihl = <i32>(vihl & 15);
  if (ihl < 5) return fail(out, ST_IPV4_IHL, l3, ihl);
  const hl = ihl << 2;
  if (hl > avail) return fail(out, ST_TRUNC_IPV4, l3, avail);
  const totlen = <i32>bswap<u16>(load<u16>(ip, 2));
  if (totlen > avail) return fail(out, ST_IPV4_TOTLEN, l3 + 2, totlen);
  if (totlen < hl) return fail(out, ST_IPV4_TOTLEN_SHORT, l3 + 2, totlen);
  const frag = <i32>bswap<u16>(load<u16>(ip, 6));
  if ((frag & 0x3fff) != 0) return fail(out, ST_IPV4_FRAGMENT, l3 + 6, frag);
  if ((flags & DEC_F_IP_CSUM) != 0 && (hl == 20 ? ipv4HeaderSum20(ip) : checksum(ip, hl)) != 0) return fail(out, ST_IPV4_CHECKSUM, l3 + 10, <i32>bswap<u16>(load<u16>(ip, 10)));
  const proto = <i32>load<u8>(ip, 9);
  const srcRaw = load<u32>(ip, 12);
  const dstRaw = load<u32>(ip, 16);
  put(out, R_OUTER_TOS, <i32>load<u8>(ip, 1));
  put(out, R_OUTER_TOTLEN, totlen);
  put(out, R_OUTER_ID, <i32>bswap<u16>(load<u16>(ip, 4)));
  put(out, R_OUTER_FRAG, frag);
  put(out, R_OUTER_TTL, <i32>load<u8>(ip, 8));
  put(out, R_OUTER_PROTO, proto);
  put(out, R_OUTER_CSUM, <i32>bswap<u16>(load<u16>(ip, 10)));
  put(out, R_OUTER_SRC, <i32>bswap<u32>(srcRaw));
  put(out, R_OUTER_DST, <i32>bswap<u32>(dstRaw));
  const l4 = l3 + hl;
  const end = l3 + totlen;

  if (mode == MODE_IPIP) {
    if (proto != <i32>IPIP_PROTO) return fail(out, ST_NOT_IPIP, l3 + 9, proto);
    const innerLen = end - l4;
    if (innerLen < 20) return fail(out, ST_INNER_TOO_SHORT, l4, innerLen);
    // No UDP or VXLAN header: those words are zero, not left over.
    memory.fill(out + (<usize>R_UDP_SPORT << 2), 0, (R_VXLAN_RSVD - R_UDP_SPORT + 1) << 2);
    put(out, R_INNER_OFF, l4);
    put(out, R_INNER_LEN, innerLen);
    put(out, R_INNER_ETHERTYPE, ETH_P_IP);
    put(out, R_INNER_VLAN, -1);
    decodeInnerIPv4(p + <usize>l4, innerLen, l4, out);
    return fail(out, ST_OK, 0, 0);
  }

  // UDP.
  if (proto != IPPROTO_UDP) return fail(out, ST_NOT_UDP, l3 + 9, proto);
  if (end - l4 < 8) return fail(out, ST_TRUNC_UDP, l4, end - l4);
  const u = p + <usize>l4;
  const dport = <i32>bswap<u16>(load<u16>(u, 2));
  if (dport != load<i32>(cfg, DEC_PORT_A) && dport != load<i32>(cfg, DEC_PORT_B)) return fail(out, ST_UDP_DPORT, l4 + 2, dport);
  const ulen = <i32>bswap<u16>(load<u16>(u, 4));
  if (ulen != end - l4) return fail(out, ST_UDP_LENGTH, l4 + 4, ulen);
  const ucsum = <i32>bswap<u16>(load<u16>(u, 6));
  if ((flags & DEC_F_UDP_CSUM) != 0 && ucsum != 0 && udpChecksum(u, ulen, srcRaw, dstRaw) != 0) return fail(out, ST_UDP_CHECKSUM, l4 + 6, ucsum);
  put(out, R_UDP_SPORT, <i32>bswap<u16>(load<u16>(u)));
  put(out, R_UDP_DPORT, dport);
  put(out, R_UDP_LEN, ulen);
  put(out, R_UDP_CSUM, ucsum);

  if (mode == MODE_FLANNEL_UDP) {
    const innerLen = ulen - 8;
    if (innerLen < 20) return fail(out, ST_INNER_TOO_SHORT, l4 + 8, innerLen);
    memory.fill(out + (<usize>R_VXLAN_FLAGS << 2), 0, (R_VXLAN_RSVD - R_VXLAN_FLAGS + 1) << 2);
    put(out, R_INNER_OFF, l4 + 8);
    put(out, R_INNER_LEN, innerLen);
    put(out, R_INNER_ETHERTYPE, ETH_P_IP);
    put(out, R_INNER_VLAN, -1);
    decodeInnerIPv4(u + 8, innerLen, l4 + 8, out);
    return fail(out, ST_OK, 0, 0);
  }

  // VXLAN.
  const vx = l4 + 8;
  if (ulen - 8 < 8) return fail(out, ST_TRUNC_VXLAN, vx, ulen - 8);
  const w0 = vxlanFlagsWord(p + <usize>vx);
  const w1 = vxlanVniWord(p + <usize>vx);
  if (((w0 >>> 24) & VXLAN_FLAG_I) == 0) return fail(out, ST_VXLAN_I_FLAG, vx, <i32>(w0 >>> 24));
  const vni = w1 >>> 8;
  if (!vniConfigured(cfg, vni)) return fail(out, ST_VXLAN_VNI, vx + 4, <i32>vni);
  if ((flags & DEC_F_IGNORE_RESERVED) == 0) {
    const r0 = w0 & ~(<u32>VXLAN_FLAG_I << 24);
    if (r0 != 0) return fail(out, ST_VXLAN_RESERVED, vx, <i32>w0);
    if ((w1 & 0xff) != 0) return fail(out, ST_VXLAN_RESERVED, vx + 7, <i32>(w1 & 0xff));
  }
  put(out, R_VXLAN_FLAGS, <i32>w0);
  put(out, R_VNI, <i32>vni);
  put(out, R_VXLAN_RSVD, <i32>(w1 & 0xff));
  const inner = vx + 8;
  const innerLen = end - inner;
  if (innerLen < 14) return fail(out, ST_INNER_TOO_SHORT, inner, innerLen);
  put(out, R_INNER_OFF, inner);
  put(out, R_INNER_LEN, innerLen);
  decodeInnerEth(p + <usize>inner, innerLen, inner, out);
  return fail(out, ST_OK, 0, 0);
}

/**
 * Batch: decapsulates the `n` frames of the table at `table` (FE_PTR,
 * FE_LEN), one R_WORDS record each at `out`, FE_STATUS per entry. Returns
 * how many succeeded (-1 if the table or records are out of bounds).
 */
export function codecDecapBatch(cfg: usize, table: usize, n: i32, out: usize): i32 {
  const mem = <u64>memory.size() << 16;
  if (n < 0 || <u64>table + <u64>n * FE_BYTES > mem || <u64>out + <u64>n * (R_WORDS << 2) > mem) return -1;
  const mode = load<i32>(cfg, DEC_MODE);
  // Inlined with a constant mode for VXLAN, the hot case.
  return mode == MODE_VXLAN ? decapLoop(cfg, table, n, out, MODE_VXLAN, mem) : decapLoop(cfg, table, n, out, mode, mem);
}

// @ts-ignore: decorator
@inline
function decapLoop(cfg: usize, table: usize, n: i32, out: usize, mode: i32, mem: u64): i32 {
  const flags = load<u32>(cfg, DEC_FLAGS);
  const portA = load<i32>(cfg, DEC_PORT_A);
  const portB = load<i32>(cfg, DEC_PORT_B);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const e = table + <usize>i * FE_BYTES;
    const p = <usize>load<u32>(e, FE_PTR << 2);
    const len = load<i32>(e, FE_LEN << 2);
    const st = len < 0 || <u64>p + <u64>len > mem ? ST_OUT_OF_BOUNDS : decapFrame(cfg, p, len, out + <usize>i * (R_WORDS << 2), mode, flags, portA, portB);
    store<i32>(e, st, FE_STATUS << 2);
    if (st == ST_OK) ok++;
  }
  return ok;
}
