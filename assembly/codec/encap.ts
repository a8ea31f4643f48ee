// Encapsulation: VXLAN, IPIP and Flannel's udp backend, in place (outer
// headers written into the headroom in front of the inner frame, the
// payload never moves) or with a copy. Numbers and pointers only.
//
// Every mode puts the outer frame at `inner - overhead`, overhead being
// what the mode adds to the inner IP packet (50, 20, 28): VXLAN keeps the
// inner Ethernet header, IPIP and UDP overwrite it with their headers.

import {
  ETH_P_IP, ETH_P_8021Q, IPPROTO_UDP, IPPROTO_TCP, MODE_VXLAN, MODE_IPIP, MODE_FLANNEL_UDP,
  VXLAN_OVERHEAD, IPIP_OVERHEAD, FLANNEL_UDP_OVERHEAD,
  ST_OK, ST_INNER_TOO_SHORT, ST_INNER_NOT_IPV4, ST_TOO_BIG, ST_NO_HEADROOM, ST_OUT_OF_BOUNDS, ST_BAD_MODE,
  ENC_DST_MAC, ENC_SRC_IP, ENC_DST_IP, ENC_VNI, ENC_DPORT, ENC_PORT_MIN, ENC_PORT_MAX, ENC_TTL, ENC_TOS,
  ENC_FLAGS, ENC_ID, ENC_SPORT, ENC_SEED, ENC_MODE, ENC_TEMPLATE,
  ENC_F_DF, ENC_F_DF_INHERIT, ENC_F_UDP_CSUM, ENC_F_FIXED_SPORT, ENC_F_ECN,
} from "../shared/codec";
import { writeEth } from "./ethernet";
import { writeIPv4, ecnEncap, IP_DF } from "./ipv4";
import { writeUdp, setUdpChecksum } from "./udp";
import { writeVxlan } from "./vxlan";
import { IPIP_PROTO } from "./ipip";
import { jhash12, flowHashIPv4, flowHashWords, srcPortFromHash } from "./flowhash";

/** Overhead of a mode, or 0 for an unknown mode. */
// @ts-ignore: decorator
@inline
export function overheadOf(mode: i32): i32 {
  return mode == MODE_VXLAN ? VXLAN_OVERHEAD : mode == MODE_IPIP ? IPIP_OVERHEAD : mode == MODE_FLANNEL_UDP ? FLANNEL_UDP_OVERHEAD : 0;
}

/** Bytes of outer header written by a mode (overhead + the 14 replaced bytes for IPIP/UDP). */
// @ts-ignore: decorator
@inline
export function headerLenOf(mode: i32): i32 {
  return mode == MODE_VXLAN ? 50 : mode == MODE_IPIP ? 34 : 42;
}

// @ts-ignore: decorator
@inline
export function memBytes(): u64 {
  return <u64>memory.size() << 16;
}

/**
 * Builds the constant part of the outer headers into the config's
 * template (MACs, addresses, protocol, ports, VNI). Call after changing
 * the config. Returns a status (ST_BAD_MODE for an unknown mode).
 */
export function codecEncapPrepare(cfg: usize): i32 {
  const mode = load<i32>(cfg, ENC_MODE);
  if (overheadOf(mode) == 0) return ST_BAD_MODE;
  const t = cfg + ENC_TEMPLATE;
  memory.fill(t, 0, 64);
  writeEth(t, cfg + ENC_DST_MAC, ETH_P_IP);
  const proto: u32 = mode == MODE_IPIP ? IPIP_PROTO : IPPROTO_UDP;
  writeIPv4(t + 14, 0, 0, 0, 0, 0, proto, bswap<u32>(load<u32>(cfg, ENC_SRC_IP)), bswap<u32>(load<u32>(cfg, ENC_DST_IP)));
  if (mode != MODE_IPIP) writeUdp(t + 34, 0, load<u32>(cfg, ENC_DPORT), 0);
  if (mode == MODE_VXLAN) writeVxlan(t + 42, load<u32>(cfg, ENC_VNI));
  // Partial one's-complement sum of the IPv4 words that never change
  // (protocol, addresses); version, TOS, length, ID, flags and TTL are added per frame.
  const ip = t + 14;
  const base = (<u64>load<u8>(ip, 9) << 8) + <u64>load<u16>(ip, 12) + <u64>load<u16>(ip, 14) + <u64>load<u16>(ip, 16) + <u64>load<u16>(ip, 18);
  store<u32>(cfg + TEMPLATE_SUM, <u32>base);
  return ST_OK;
}

/** Byte offset in the config of the template's partial IPv4 checksum (constant fields only). */
export const TEMPLATE_SUM: usize = ENC_TEMPLATE + 56;


/** Writes the outer headers from the template plus the per-frame words (IPv4 length, ID, flags, TTL, checksum; UDP port and length). */
// @ts-ignore: decorator
@inline
function writeOuter(cfg: usize, t0: v128, t1: v128, t2: v128, ttail: u32, tsum: u32, hdr: i32, mode: i32, out: usize, totlen: u32, id: u32, ttl: u32, tos: u32, frag: u32, sport: u32): void {
  const t = cfg + ENC_TEMPLATE;
  // The checksum adds the per-frame 16-bit words (as little-endian loads
  // see them) to the template's partial sum (RFC 1624 style).
  const tosw = 0x45 | (tos << 8);
  const lenw = <u32>bswap<u16>(<u16>totlen);
  const idw = <u32>bswap<u16>(<u16>id);
  const fragw = <u32>bswap<u16>(<u16>frag);
  // At most 6 + 5 terms of 16 bits: the sum fits in 32 bits, two folds suffice.
  let sum = tsum + tosw + lenw + idw + fragw + ttl;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const csum = ~sum & 0xffff;
  if (hdr == 50) {
    // VXLAN: the 50 bytes are assembled in three v128 registers from the
    // template and stored once each (fewer stores than patching memory).
    const v0 = i8x16.replace_lane(t0, 15, <u8>tos);
    let v1 = i32x4.replace_lane(t1, 0, lenw | (idw << 16));
    v1 = i16x8.replace_lane(v1, 2, <u16>fragw);
    v1 = i8x16.replace_lane(v1, 6, <u8>ttl);
    v1 = i16x8.replace_lane(v1, 4, <u16>csum);
    let v2 = i16x8.replace_lane(t2, 1, bswap<u16>(<u16>sport));
    v2 = i16x8.replace_lane(v2, 3, bswap<u16>(<u16>(totlen - 20)));
    v128.store(out, v0);
    v128.store(out, v1, 16);
    v128.store(out, v2, 32);
    store<u16>(out, <u16>ttail, 48);
    return;
  }
  // Constant part from the template, then the per-frame words.
  v128.store(out, v128.load(t));
  v128.store(out, v128.load(t, 16), 16);
  if (hdr == 42) {
    store<u64>(out, load<u64>(t, 32), 32);
    store<u16>(out, load<u16>(t, 40), 40);
  } else {
    store<u16>(out, load<u16>(t, 32), 32);
  }
  const o = out + 14;
  store<u32>(o, tosw | (lenw << 16));
  store<u32>(o, idw | (fragw << 16), 4);
  store<u32>(o, ttl | (<u32>load<u8>(t, 23) << 8) | (csum << 16), 8);
  if (mode != MODE_IPIP) {
    store<u16>(out, bswap<u16>(<u16>sport), 34);
    store<u16>(out, bswap<u16>(<u16>(totlen - 20)), 38);
  }
}

/**
 * Writes the outer headers for the inner Ethernet frame at `inner` (`len`
 * bytes) at `out`, and returns a status. When `out != inner - overhead`
 * the caller copies the payload afterwards (codecEncapCopy). Everything
 * read from the inner frame is read before anything is written, because
 * in place the IPIP and UDP headers overwrite the inner Ethernet header.
 * Config values arrive as arguments so that a batch loads them once.
 * `given`: `skbHash` is the flow hash skb_get_hash returns (a hash already
 * on the skb, such as the sending socket's sk_txhash), used instead of the
 * computed one; the port is mapped from it all the same.
 */
// @ts-ignore: decorator
@inline
export function encapOne(cfg: usize, t0: v128, t1: v128, t2: v128, ttail: u32, tsum: u32, mode: i32, flags: u32, ttlCfg: u32, tosCfg: u32, sportCfg: u32, seed: u32, pmin: i32, pmax: i32, id: u32, inner: usize, len: i32, out: usize, given: bool, skbHash: u32): i32 {
  const hdr = headerLenOf(mode);
  // Fast path for the common VXLAN case: an untagged IPv4 frame with a
  // 20-byte header (bytes 12..14 = 08 00 45) and room for the ports. It
  // reads the flow hash inputs with a few fixed-offset loads instead of
  // the general parse below; the results are identical (same checks,
  // same hash, same port mapping), only the branches are gone.
  if (mode == MODE_VXLAN && len >= 38 && len <= 0xffff - 36 && (load<u32>(inner, 12) & 0xffffff) == 0x450008) {
    const fttl = ttlCfg != 0 ? ttlCfg : <u32>load<u8>(inner, 22);
    const ftos = (flags & ENC_F_ECN) != 0 ? ecnEncap(tosCfg, load<u8>(inner, 15)) : tosCfg;
    const fragRaw = <u32>load<u16>(inner, 20); // network order read little-endian
    let ffrag: u32 = (flags & ENC_F_DF) != 0 ? IP_DF : 0;
    if ((flags & ENC_F_DF_INHERIT) != 0) ffrag |= (fragRaw & 0x40) << 8;
    let fsport = sportCfg;
    if ((flags & ENC_F_FIXED_SPORT) == 0) {
      let h: u32;
      if (given) {
        // The hash already on the skb; 0 takes udp_flow_src_port's use_eth branch (EtherType 0x0800 here).
        h = skbHash != 0 ? skbHash : jhash12(inner, seed ^ 0x0008);
      } else {
        const proto = load<u8>(inner, 23);
        const withPorts = (fragRaw & 0xff3f) == 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP);
        h = flowHashWords(load<u32>(inner, 26), load<u32>(inner, 30), select<u32>(load<u32>(inner, 34), 0, withPorts), seed);
      }
      fsport = <u32>srcPortFromHash(h, pmin, pmax);
    }
    writeOuter(cfg, t0, t1, t2, ttail, tsum, hdr, mode, out, <u32>(36 + len), id, fttl, ftos, ffrag, fsport);
    return ST_OK;
  }
  // The inner IPv4 header, if any: TTL/DF/ECN inheritance and the flow hash read it.
  let ip: usize = 0;
  let ipAvail: i32 = 0;
  if (len < 14) return ST_INNER_TOO_SHORT;
  let et = <u32>bswap<u16>(load<u16>(inner, 12));
  let l3: i32 = 14;
  if (mode == MODE_VXLAN && et == ETH_P_8021Q && len >= 18) {
    et = <u32>bswap<u16>(load<u16>(inner, 16));
    l3 = 18;
  }
  if (et == ETH_P_IP && len - l3 >= 20 && (load<u8>(inner + <usize>l3) >> 4) == 4) {
    ip = inner + <usize>l3;
    ipAvail = len - l3;
  }
  let payloadLen = len;
  if (mode != MODE_VXLAN) {
    if (et != ETH_P_IP || l3 != 14) return ST_INNER_NOT_IPV4;
    if (ip == 0) return ST_INNER_TOO_SHORT;
    payloadLen = len - 14;
  }
  const totlen = <u32>(hdr - 14 + payloadLen);
  if (totlen > 0xffff) return ST_TOO_BIG;

  let ttl = ttlCfg;
  if (ttl == 0) ttl = ip != 0 ? <u32>load<u8>(ip, 8) : 64;
  let tos = tosCfg;
  if ((flags & ENC_F_ECN) != 0 && ip != 0) tos = ecnEncap(tos, load<u8>(ip, 1));
  let frag: u32 = (flags & ENC_F_DF) != 0 ? IP_DF : 0;
  if ((flags & ENC_F_DF_INHERIT) != 0 && ip != 0) frag |= <u32>bswap<u16>(load<u16>(ip, 6)) & IP_DF;
  let sport: u32 = sportCfg;
  if (mode != MODE_IPIP && (flags & ENC_F_FIXED_SPORT) == 0) {
    // skb_get_hash: the caller's hash when given (Linux: one already on the
    // skb), else the flow dissector's; without one, VXLAN hashes the Ethernet
    // addresses (udp_flow_src_port's use_eth). Without a caller's hash this
    // is flowHashEth(inner, len, seed), reusing the parse above.
    let h: u32 = given ? skbHash : ip != 0 ? flowHashIPv4(ip, ipAvail, seed) : 0;
    if (h == 0 && mode == MODE_VXLAN) h = jhash12(inner, seed ^ <u32>bswap<u16>(<u16>et));
    if (h == 0) h = 1;
    sport = <u32>srcPortFromHash(h, pmin, pmax);
  }

  writeOuter(cfg, t0, t1, t2, ttail, tsum, hdr, mode, out, totlen, id, ttl, tos, frag, sport);
  return ST_OK;
}

/** encapOne with the config read from `cfg`; advances the IPv4 ID on success. */
function encapCfg(cfg: usize, inner: usize, len: i32, out: usize): i32 {
  const id = load<u32>(cfg, ENC_ID);
  const st = encapOne(cfg, v128.load(cfg + ENC_TEMPLATE), v128.load(cfg + ENC_TEMPLATE, 16), v128.load(cfg + ENC_TEMPLATE, 32),
    <u32>load<u16>(cfg + ENC_TEMPLATE, 48), load<u32>(cfg + TEMPLATE_SUM), load<i32>(cfg, ENC_MODE), load<u32>(cfg, ENC_FLAGS), load<u32>(cfg, ENC_TTL), load<u32>(cfg, ENC_TOS),
    load<u32>(cfg, ENC_SPORT), load<u32>(cfg, ENC_SEED), load<i32>(cfg, ENC_PORT_MIN), load<i32>(cfg, ENC_PORT_MAX), id, inner, len, out, false, 0);
  if (st == ST_OK) store<u32>(cfg, (id + 1) & 0xffff, ENC_ID);
  return st;
}

/** UDP checksum once the payload is in place (after the copy for codecEncapCopy). */
// @ts-ignore: decorator
@inline
export function finishUdp(cfg: usize, out: usize): void {
  const mode = load<i32>(cfg, ENC_MODE);
  if (mode == MODE_IPIP || (load<u32>(cfg, ENC_FLAGS) & ENC_F_UDP_CSUM) == 0) return;
  const ulen = <i32>bswap<u16>(load<u16>(out, 38));
  setUdpChecksum(out + 34, ulen, load<u32>(out, 26), load<u32>(out, 30));
}

/**
 * Encapsulates in place: the inner Ethernet frame at `inner` (`len` bytes)
 * gets its outer headers at `inner - overhead`; the outer frame is
 * `len + overhead` bytes long. Advances the config's IPv4 ID.
 */
export function codecEncap(cfg: usize, inner: usize, len: i32): i32 {
  const ov = overheadOf(load<i32>(cfg, ENC_MODE));
  if (ov == 0) return ST_BAD_MODE;
  if (len < 0 || <u64>inner + <u64>len > memBytes()) return ST_OUT_OF_BOUNDS;
  if (inner < <usize>ov) return ST_NO_HEADROOM;
  const out = inner - <usize>ov;
  const st = encapCfg(cfg, inner, len, out);
  if (st == ST_OK) finishUdp(cfg, out);
  return st;
}

/**
 * Encapsulates with a copy: outer frame written at `dst` (`len + overhead`
 * bytes), the inner frame at `src` is left untouched.
 */
export function codecEncapCopy(cfg: usize, src: usize, len: i32, dst: usize): i32 {
  const mode = load<i32>(cfg, ENC_MODE);
  const ov = overheadOf(mode);
  if (ov == 0) return ST_BAD_MODE;
  if (len < 0 || <u64>src + <u64>len > memBytes() || <u64>dst + <u64>len + <u64>ov > memBytes()) return ST_OUT_OF_BOUNDS;
  const st = encapCfg(cfg, src, len, dst);
  if (st != ST_OK) return st;
  if (mode == MODE_VXLAN) memory.copy(dst + 50, src, <usize>len);
  else memory.copy(dst + <usize>headerLenOf(mode), src + 14, <usize>(len - 14));
  finishUdp(cfg, dst);
  return ST_OK;
}
