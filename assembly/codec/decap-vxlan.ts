// The common VXLAN frame decapsulated at fixed offsets: untagged outer
// Ethernet, IPv4 with a 20-byte header, unfragmented UDP to a configured
// port, VXLAN with only the I flag and a configured VNI, at least 14 bytes
// of inner frame. For such a frame every check of decapOne (decap.ts)
// passes, and this writes the same record with fewer branches and no
// variable offsets. Anything else (and the UDP checksum check, and
// reserved bits under the RFC policy) is left to decapOne, which names the
// first failing check; the tests compare both with the reference.

import {
  IPPROTO_UDP, DEC_F_IP_CSUM, DEC_F_UDP_CSUM, DEC_F_IGNORE_RESERVED, DEC_VNI_COUNT, DEC_VNIS, DEC_MAX_VNIS,
  R_STATUS, R_ERR_OFFSET, R_ERR_VALUE, R_OUTER_VLAN, R_OUTER_L3, R_OUTER_TOS, R_OUTER_TOTLEN, R_OUTER_ID,
  R_OUTER_FRAG, R_OUTER_TTL, R_OUTER_PROTO, R_OUTER_CSUM, R_OUTER_SRC, R_OUTER_DST, R_UDP_SPORT, R_UDP_DPORT,
  R_UDP_LEN, R_UDP_CSUM, R_VXLAN_FLAGS, R_VNI, R_VXLAN_RSVD, R_INNER_OFF, R_INNER_LEN, ST_OK,
} from "../shared/codec";
import { ipv4HeaderSum20 } from "./checksum";
import { decodeInnerEth } from "./inner";
import { put } from "./record";

/** Whether the decap config at `cfg` accepts `vni` (a count of -1 accepts any). */
// @ts-ignore: decorator
@inline
export function vniConfigured(cfg: usize, vni: u32): bool {
  const n = load<i32>(cfg, DEC_VNI_COUNT);
  if (n < 0) return true;
  const m = n < DEC_MAX_VNIS ? n : DEC_MAX_VNIS;
  for (let i = 0; i < m; i++) if (load<u32>(cfg + DEC_VNIS + (<usize>i << 2)) == vni) return true;
  return false;
}

/**
 * Decapsulates the frame at `p` (`len` bytes, in bounds) into the record at
 * `out` if it is the common VXLAN frame and returns true; otherwise writes
 * nothing and returns false. `flags`, `portA`, `portB`: the decap config's.
 */
// @ts-ignore: decorator
@inline
export function decapVxlanFast(cfg: usize, p: usize, len: i32, out: usize, flags: u32, portA: i32, portB: i32): bool {
  // 14 + 20 + 8 + 8 + 14: the shortest frame with a whole inner Ethernet header.
  if (len < 64 || (flags & (DEC_F_UDP_CSUM | DEC_F_IGNORE_RESERVED)) != 0) return false;
  if ((load<u32>(p, 12) & 0xffffff) != 0x450008) return false; // 08 00 45: IPv4, IHL 5
  const totlen = <i32>bswap<u16>(load<u16>(p, 16));
  // Within the frame (Ethernet padding after it is allowed), and room for UDP, VXLAN and 14 inner bytes.
  if (totlen > len - 14 || totlen < 50) return false;
  const fragRaw = load<u16>(p, 20);
  if ((fragRaw & 0xff3f) != 0) return false; // MF or an offset (network-order word read little-endian)
  if (load<u8>(p, 23) != IPPROTO_UDP) return false;
  if ((flags & DEC_F_IP_CSUM) != 0 && ipv4HeaderSum20(p + 14) != 0) return false;
  const dport = <i32>bswap<u16>(load<u16>(p, 36));
  if (dport != portA && dport != portB) return false;
  const ulen = <i32>bswap<u16>(load<u16>(p, 38));
  if (ulen != totlen - 20) return false;
  // Flags 0x08 with zero reserved bits, and the last reserved byte zero.
  if (load<u32>(p, 42) != 0x08 || load<u8>(p, 49) != 0) return false;
  const vni = <u32>bswap<u32>(load<u32>(p, 46)) >>> 8;
  if (!vniConfigured(cfg, vni)) return false;

  put(out, R_OUTER_VLAN, -1);
  put(out, R_OUTER_L3, 14);
  put(out, R_OUTER_TOS, <i32>load<u8>(p, 15));
  put(out, R_OUTER_TOTLEN, totlen);
  put(out, R_OUTER_ID, <i32>bswap<u16>(load<u16>(p, 18)));
  put(out, R_OUTER_FRAG, <i32>bswap<u16>(fragRaw));
  put(out, R_OUTER_TTL, <i32>load<u8>(p, 22));
  put(out, R_OUTER_PROTO, IPPROTO_UDP);
  put(out, R_OUTER_CSUM, <i32>bswap<u16>(load<u16>(p, 24)));
  put(out, R_OUTER_SRC, <i32>bswap<u32>(load<u32>(p, 26)));
  put(out, R_OUTER_DST, <i32>bswap<u32>(load<u32>(p, 30)));
  put(out, R_UDP_SPORT, <i32>bswap<u16>(load<u16>(p, 34)));
  put(out, R_UDP_DPORT, dport);
  put(out, R_UDP_LEN, ulen);
  put(out, R_UDP_CSUM, <i32>bswap<u16>(load<u16>(p, 40)));
  put(out, R_VXLAN_FLAGS, 0x08000000);
  put(out, R_VNI, <i32>vni);
  put(out, R_VXLAN_RSVD, 0);
  put(out, R_INNER_OFF, 50);
  put(out, R_INNER_LEN, totlen - 36);
  decodeInnerEth(p + 50, totlen - 36, 50, out);
  put(out, R_STATUS, ST_OK);
  put(out, R_ERR_OFFSET, 0);
  put(out, R_ERR_VALUE, 0);
  return true;
}
