// Outer UDP source port from a hash of the inner flow, as Linux does for
// VXLAN (include/net/udp.h, udp_flow_src_port):
//
//   hash = skb_get_hash(skb);               // flow dissector + random key
//   if (!hash) hash = jhash(eth addrs, 12, skb->protocol);
//   hash ^= hash << 16;
//   port = (((u64) hash * (max - min)) >> 32) + min;
//
// `max` is exclusive: the range is [min, max). When min >= max the kernel
// uses net.ipv4.ip_local_port_range (32768 60999 by default).
//
// skb_get_hash keys a siphash (Linux >= 4.13) with a per-boot random key,
// so its value cannot be reproduced from outside. We model the older,
// documented shape (Linux 3.x __skb_get_hash): jhash_3words over the
// direction-independent ("consistentified") address and port words, with
// a caller-chosen seed. Same mapping into the range, same symmetry
// (both directions of a flow get the same port), different numbers.

import { ETH_P_IP, ETH_P_8021Q, IPPROTO_TCP, IPPROTO_UDP } from "../shared/codec";

const JHASH_INITVAL: u32 = 0xdeadbeef;

// @ts-ignore: decorator
@inline
function final3(a: u32, b: u32, c: u32): u32 {
  c ^= b; c -= rotl<u32>(b, 14);
  a ^= c; a -= rotl<u32>(c, 11);
  b ^= a; b -= rotl<u32>(a, 25);
  c ^= b; c -= rotl<u32>(b, 16);
  a ^= c; a -= rotl<u32>(c, 4);
  b ^= a; b -= rotl<u32>(a, 14);
  c ^= b; c -= rotl<u32>(b, 24);
  return c;
}

/** Linux jhash_3words(a, b, c, initval). */
// @ts-ignore: decorator
@inline
export function jhash3(a: u32, b: u32, c: u32, initval: u32): u32 {
  const iv = initval + JHASH_INITVAL + (3 << 2);
  return final3(a + iv, b + iv, c + iv);
}

/** Linux jhash(k, 12, initval): three little-endian words of the 12 bytes at p. */
export function jhash12(p: usize, initval: u32): u32 {
  const iv = JHASH_INITVAL + 12 + initval;
  return final3(load<u32>(p) + iv, load<u32>(p, 4) + iv, load<u32>(p, 8) + iv);
}

/**
 * Flow hash of a packet whose network header is at `l3` (IPv4 when
 * `ethertype` is 0x0800) inside an Ethernet frame at `eth` of `len` bytes.
 * Addresses and ports are the raw network-order words as an x86 kernel
 * loads them. Falls back to the Ethernet-address hash (use_eth) for
 * anything that is not an unfragmented-enough IPv4 packet.
 */
// @ts-ignore: decorator
@inline
export function flowHashEth(eth: usize, len: i32, seed: u32): u32 {
  let l3: i32 = 14;
  let et: u32 = len >= 14 ? bswap<u16>(load<u16>(eth, 12)) : 0;
  if (et == ETH_P_8021Q && len >= 18) {
    et = bswap<u16>(load<u16>(eth, 16));
    l3 = 18;
  }
  if (et == ETH_P_IP) {
    const h = flowHashIPv4(eth + <usize>l3, len - l3, seed);
    if (h != 0) return h;
  }
  if (len < 12) return 1;
  const h = jhash12(eth, seed ^ <u32>bswap<u16>(<u16>et));
  return h != 0 ? h : 1;
}

/** Flow hash of the IPv4 packet at `ip` (`avail` bytes); 0 when it is not a parseable IPv4 header. */
// @ts-ignore: decorator
@inline
export function flowHashIPv4(ip: usize, avail: i32, seed: u32): u32 {
  if (avail < 20) return 0;
  const vihl = load<u8>(ip);
  const ihl = <i32>(vihl & 15) << 2;
  if ((vihl >> 4) != 4 || ihl < 20 || ihl > avail) return 0;
  const src = load<u32>(ip, 12);
  const dst = load<u32>(ip, 16);
  const proto = load<u8>(ip, 9);
  let ports: u32 = 0;
  // Ports only from the first fragment (the kernel's dissector stops at fragments).
  const frag = bswap<u16>(load<u16>(ip, 6)) & 0x3fff;
  if (frag == 0 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP) && ihl + 4 <= avail) {
    ports = load<u32>(ip + <usize>ihl);
  }
  return flowHashWords(src, dst, ports, seed);
}

/**
 * The flow hash of the raw network-order words: source and destination
 * address and the port word (0 without ports). Never 0.
 */
// @ts-ignore: decorator
@inline
export function flowHashWords(src: u32, dst: u32, ports: u32, seed: u32): u32 {
  // Direction-independent: order by the raw address words, then ports.
  // Branch-free (select): the order is data-dependent and unpredictable.
  const sp = ports & 0xffff;
  const dp = ports >>> 16;
  const swap = dst < src || (dst == src && dp < sp);
  const a = select<u32>(src, dst, swap);
  const b = select<u32>(dst, src, swap);
  const pw = select<u32>((ports >>> 16) | (ports << 16), ports, swap);
  const h = jhash3(a, b, pw, seed);
  return h != 0 ? h : 1;
}

/** Linux's mapping of a flow hash into [min, max); min >= max means the local port range. */
// @ts-ignore: decorator
@inline
export function srcPortFromHash(hash: u32, min: i32, max: i32): i32 {
  if (min >= max) {
    min = 32768;
    max = 60999;
  }
  const h = hash ^ (hash << 16);
  return <i32>((<u64>h * <u64>(max - min)) >> 32) + min;
}
