// Decodes the inner packet of a decapsulated frame into the record: the
// inner Ethernet header (VXLAN only) and the IPv4 5-tuple (TCP/UDP ports,
// ICMP type and code in the port fields). This is informational, like
// tcpdump's view: Linux's tunnel receive path does not validate the inner
// IP header either (the bridge or the inner stack does that later), so a
// malformed inner IP header is reported as "no L3" (R_INNER_L3 = -1), not
// as an error.

import {
  ETH_P_IP, ETH_P_8021Q, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
  R_INNER_ETHERTYPE, R_INNER_VLAN, R_INNER_L3, R_INNER_SRC, R_INNER_DST, R_INNER_PROTO,
  R_INNER_SPORT, R_INNER_DPORT, R_INNER_TTL,
} from "../shared/codec";
import { put } from "./record";

/** Inner Ethernet frame at `p` (`len` >= 14) that starts at offset `off` in the outer frame. */
export function decodeInnerEth(p: usize, len: i32, off: i32, out: usize): void {
  let et = <i32>bswap<u16>(load<u16>(p, 12));
  let l3 = 14;
  let vlan = -1;
  if (et == ETH_P_8021Q && len >= 18) {
    vlan = <i32>bswap<u16>(load<u16>(p, 14));
    et = <i32>bswap<u16>(load<u16>(p, 16));
    l3 = 18;
  }
  put(out, R_INNER_ETHERTYPE, et);
  put(out, R_INNER_VLAN, vlan);
  if (et == ETH_P_IP) decodeInnerIPv4(p + <usize>l3, len - l3, off + l3, out);
  else noL3(out);
}

// @ts-ignore: decorator
@inline
function noL3(out: usize): void {
  put(out, R_INNER_L3, -1);
  put(out, R_INNER_SRC, 0);
  put(out, R_INNER_DST, 0);
  put(out, R_INNER_PROTO, -1);
  put(out, R_INNER_SPORT, 0);
  put(out, R_INNER_DPORT, 0);
  put(out, R_INNER_TTL, 0);
}

/** Inner IPv4 packet at `p` (`avail` bytes) at offset `off` of the outer frame. */
export function decodeInnerIPv4(p: usize, avail: i32, off: i32, out: usize): void {
  if (avail < 20) return noL3(out);
  const vihl = load<u8>(p);
  const ihl = <i32>(vihl & 15) << 2;
  if ((vihl >> 4) != 4 || ihl < 20 || ihl > avail) return noL3(out);
  const proto = <i32>load<u8>(p, 9);
  put(out, R_INNER_L3, off);
  put(out, R_INNER_SRC, <i32>bswap<u32>(load<u32>(p, 12)));
  put(out, R_INNER_DST, <i32>bswap<u32>(load<u32>(p, 16)));
  put(out, R_INNER_PROTO, proto);
  put(out, R_INNER_TTL, <i32>load<u8>(p, 8));
  let sp = 0;
  let dp = 0;
  const first = (bswap<u16>(load<u16>(p, 6)) & 0x1fff) == 0;
  const l4 = p + <usize>ihl;
  const l4avail = avail - ihl;
  if (first && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && l4avail >= 4) {
    sp = <i32>bswap<u16>(load<u16>(l4));
    dp = <i32>bswap<u16>(load<u16>(l4, 2));
  } else if (first && proto == IPPROTO_ICMP && l4avail >= 2) {
    sp = <i32>load<u8>(l4);
    dp = <i32>load<u8>(l4, 1);
  }
  put(out, R_INNER_SPORT, sp);
  put(out, R_INNER_DPORT, dp);
}
