/**
 * The outer source-port flow hash in plain TypeScript (reference for
 * assembly/codec/flowhash.ts). Linux udp_flow_src_port:
 *
 *   hash ^= hash << 16;  port = ((u64) hash * (max - min) >> 32) + min
 *
 * over jhash_3words of the direction-independent inner flow (the Linux 3.x
 * __skb_get_hash shape; newer kernels key a siphash with a random per-boot
 * key, which cannot be reproduced, so only the mapping is exact).
 */
const rol = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

function final3(a: number, b: number, c: number): number {
  c = (c ^ b) >>> 0; c = (c - rol(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol(b, 24)) >>> 0;
  return c;
}

/** Linux jhash_3words(a, b, c, initval). */
export function jhash3(a: number, b: number, c: number, initval: number): number {
  const iv = (initval + 0xdeadbeef + 12) >>> 0;
  return final3((a + iv) >>> 0, (b + iv) >>> 0, (c + iv) >>> 0);
}

/** Little-endian u32 at `o` (how an x86 kernel loads a raw network-order word). */
function le32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Linux jhash(k, 12, initval). */
export function jhash12(b: Uint8Array, o: number, initval: number): number {
  const iv = (0xdeadbeef + 12 + initval) >>> 0;
  return final3((le32(b, o) + iv) >>> 0, (le32(b, o + 4) + iv) >>> 0, (le32(b, o + 8) + iv) >>> 0);
}

/** Flow hash of the IPv4 packet at `o` in `b` (`avail` bytes), 0 if not parseable. */
export function flowHashIPv4(b: Uint8Array, o: number, avail: number, seed: number): number {
  if (avail < 20) return 0;
  const ihl = (b[o] & 15) * 4;
  if (b[o] >> 4 !== 4 || ihl < 20 || ihl > avail) return 0;
  let src = le32(b, o + 12);
  let dst = le32(b, o + 16);
  const proto = b[o + 9];
  const frag = ((b[o + 6] << 8) | b[o + 7]) & 0x3fff;
  let sp = 0;
  let dp = 0;
  if (frag === 0 && (proto === 6 || proto === 17) && ihl + 4 <= avail) {
    sp = b[o + ihl] | (b[o + ihl + 1] << 8);
    dp = b[o + ihl + 2] | (b[o + ihl + 3] << 8);
  }
  if (dst < src || (dst === src && dp < sp)) {
    [src, dst] = [dst, src];
    [sp, dp] = [dp, sp];
  }
  const h = jhash3(dst, src, (sp | (dp << 16)) >>> 0, seed >>> 0);
  return h === 0 ? 1 : h;
}

/** Flow hash of an Ethernet frame (IPv4 5-tuple, else the Ethernet addresses). */
export function flowHashEth(b: Uint8Array, seed: number): number {
  const len = b.length;
  let l3 = 14;
  let et = len >= 14 ? (b[12] << 8) | b[13] : 0;
  if (et === 0x8100 && len >= 18) {
    et = (b[16] << 8) | b[17];
    l3 = 18;
  }
  if (et === 0x0800) {
    const h = flowHashIPv4(b, l3, len - l3, seed);
    if (h !== 0) return h;
  }
  return ethAddrHash(b, seed);
}

/**
 * udp_flow_src_port's hash when skb_get_hash gives 0 and the tunnel carries
 * Ethernet (use_eth): jhash of the two MAC addresses, keyed by the
 * EtherType as the raw `skb->protocol` word (and, in cnikit, the seed).
 */
export function ethAddrHash(b: Uint8Array, seed: number): number {
  const len = b.length;
  if (len < 12) return 1;
  let et = len >= 14 ? (b[12] << 8) | b[13] : 0;
  if (et === 0x8100 && len >= 18) et = (b[16] << 8) | b[17];
  const proto = ((et & 0xff) << 8) | (et >> 8);
  const h = jhash12(b, 0, (seed ^ proto) >>> 0);
  return h === 0 ? 1 : h;
}

/** Linux's mapping of a hash into [min, max); min >= max means 32768..60999. */
export function srcPortFromHash(hash: number, min: number, max: number): number {
  if (min >= max) {
    min = 32768;
    max = 60999;
  }
  const h = BigInt((hash ^ (hash << 16)) >>> 0);
  return Number((h * BigInt(max - min)) >> 32n) + min;
}
