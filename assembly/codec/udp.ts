// UDP header (RFC 768).
//
//  0      7 8     15 16    23 24    31
// +--------+--------+--------+--------+
// |     Source      |   Destination   |
// |      Port       |      Port       |
// +--------+--------+--------+--------+
// |                 |                 |
// |     Length      |    Checksum     |
// +--------+--------+--------+--------+
//
// Checksum over the pseudo-header (source, destination, zero, protocol 17,
// UDP length), the header and the data. Zero means "no checksum" over IPv4;
// a computed zero is sent as 0xffff. Linux vxlan computes it over IPv4
// unless the device has `noudpcsum` (VXLAN_F_UDP_ZERO_CSUM_TX).

import { sumBytes, fold } from "./checksum";

/** Writes the UDP header at `p` with a zero checksum. */
// @ts-ignore: decorator
@inline
export function writeUdp(p: usize, sport: u32, dport: u32, ulen: u32): void {
  store<u32>(p, <u32>bswap<u16>(<u16>sport) | (<u32>bswap<u16>(<u16>dport) << 16));
  store<u32>(p, <u32>bswap<u16>(<u16>ulen), 4);
}

/**
 * UDP checksum over the pseudo-header and the `ulen` bytes of UDP header
 * (with its checksum field as it is) and data at `p`, ready for a
 * little-endian store. Verifying a correct datagram yields 0.
 */
export function udpChecksum(p: usize, ulen: i32, srcRaw: u32, dstRaw: u32): u32 {
  let acc: u64 = <u64>(srcRaw & 0xffff) + <u64>(srcRaw >>> 16) + <u64>(dstRaw & 0xffff) + <u64>(dstRaw >>> 16);
  acc += <u64>0x1100; // zero byte + protocol 17, as a little-endian word
  acc += <u64>bswap<u16>(<u16>ulen);
  return ~fold(sumBytes(p, ulen, acc)) & 0xffff;
}

/** Fills in the checksum of the datagram at `p` (field must be zero). */
// @ts-ignore: decorator
@inline
export function setUdpChecksum(p: usize, ulen: i32, srcRaw: u32, dstRaw: u32): void {
  let c = udpChecksum(p, ulen, srcRaw, dstRaw);
  if (c == 0) c = 0xffff;
  store<u16>(p, <u16>c, 6);
}
