// IPv4 header (RFC 791 section 3.1).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |Flags|      Fragment Offset    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Flags: bit 0 reserved, bit 1 DF (0x4000), bit 2 MF (0x2000).
// Outer headers are always written without options (IHL 5), as Linux does.

import { ipv4HeaderSum20 } from "./checksum";

export const IP_DF: u32 = 0x4000;
export const IP_MF_OFFSET: u32 = 0x3fff;

/**
 * Writes a 20-byte IPv4 header at `p`. Addresses are raw network-order
 * words (as loaded from a frame); the checksum is computed last.
 */
// @ts-ignore: decorator
@inline
export function writeIPv4(p: usize, tos: u32, totlen: u32, id: u32, frag: u32, ttl: u32, proto: u32, srcRaw: u32, dstRaw: u32): void {
  store<u16>(p, <u16>(0x45 | (tos << 8)));
  store<u16>(p, bswap<u16>(<u16>totlen), 2);
  store<u16>(p, bswap<u16>(<u16>id), 4);
  store<u16>(p, bswap<u16>(<u16>frag), 6);
  store<u16>(p, <u16>(ttl | (proto << 8)), 8);
  store<u16>(p, 0, 10);
  store<u32>(p, srcRaw, 12);
  store<u32>(p, dstRaw, 16);
  store<u16>(p, <u16>ipv4HeaderSum20(p), 10);
}

/** ECN of the outer header from the inner TOS (RFC 6040 normal mode: CE is sent as ECT(0)). */
// @ts-ignore: decorator
@inline
export function ecnEncap(outerTos: u32, innerTos: u32): u32 {
  let ecn = innerTos & 3;
  if (ecn == 3) ecn = 2;
  return (outerTos & 0xfc) | ecn;
}
