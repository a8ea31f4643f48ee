// VXLAN header (RFC 7348 section 5).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|R|R|R|I|R|R|R|            Reserved                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                VXLAN Network Identifier (VNI) |   Reserved    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// I must be 1. RFC 7348: reserved bits "MUST be set to zero on
// transmission and ignored on receipt". Linux vxlan_rcv instead drops a
// frame with any flag or reserved bit it did not parse (GBP/GPE/RCO are
// off on flannel.1): "This behavior diverges from VXLAN RFC (RFC7348)".
// cnikit follows Linux by default (DEC_F_IGNORE_RESERVED selects the RFC).

/** Writes the 8-byte header: flags 0x08, VNI, reserved zero. */
// @ts-ignore: decorator
@inline
export function writeVxlan(p: usize, vni: u32): void {
  store<u32>(p, 0x08);
  store<u32>(p, bswap<u32>(vni << 8), 4);
}

/** The flags word (first 32 bits, host order). */
// @ts-ignore: decorator
@inline
export function vxlanFlagsWord(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/** The second word (VNI << 8 | reserved), host order. */
// @ts-ignore: decorator
@inline
export function vxlanVniWord(p: usize): u32 {
  return bswap<u32>(load<u32>(p, 4));
}
