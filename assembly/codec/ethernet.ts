// Ethernet II (IEEE 802.3 clause 3.2.6 "Length/Type" as EtherType), with an
// optional IEEE 802.1Q tag on decode.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                  Destination MAC Address                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Destination MAC (cont.)      |     Source MAC Address        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   Source MAC Address (cont.)                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | [TPID = 0x8100 (802.1Q)       |PCP  |D|     VLAN ID         ] |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          EtherType            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Only one tag is read (no QinQ, 0x88a8): the underlays cnikit models are
// untagged, and the kernel's vxlan device receives after VLAN untagging.

import { ETH_P_8021Q } from "../shared/codec";

/**
 * Offset of the network header in the frame at `p` (`len` >= 14 checked by
 * the caller): 14, or 18 behind one 802.1Q tag; 0 when the tag is truncated.
 */
// @ts-ignore: decorator
@inline
export function ethL3Offset(p: usize, len: i32): i32 {
  const et = bswap<u16>(load<u16>(p, 12));
  if (et == ETH_P_8021Q) return len >= 18 ? 18 : 0;
  return 14;
}

/** EtherType at the end of the (possibly tagged) header ending at `l3`. */
// @ts-ignore: decorator
@inline
export function ethType(p: usize, l3: i32): u32 {
  return <u32>bswap<u16>(load<u16>(p + <usize>l3 - 2));
}

/** The 802.1Q TCI, or -1 when untagged. */
// @ts-ignore: decorator
@inline
export function ethVlan(p: usize, l3: i32): i32 {
  return l3 == 18 ? <i32>bswap<u16>(load<u16>(p, 14)) : -1;
}

/** Writes dst MAC, src MAC (from the 12 bytes at `macs`) and EtherType at `p`. */
// @ts-ignore: decorator
@inline
export function writeEth(p: usize, macs: usize, ethertype: u32): void {
  store<u64>(p, load<u64>(macs));
  store<u32>(p, load<u32>(macs, 8), 8);
  store<u16>(p, bswap<u16>(<u16>ethertype), 12);
}
