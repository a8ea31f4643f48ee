// VXLAN encapsulation of four frames at once: the batch fast path.
//
// The common frame (untagged IPv4, 20-byte header, fast-path lengths) costs
// about a hundred scalar instructions of header work: the flow hash
// (jhash_3words), the port mapping, the IPv4 checksum and the stores. Done
// for four frames in the four 32-bit lanes of a v128, the same arithmetic
// costs a quarter of the instructions per frame. The results are exactly
// those of the scalar path (encapOne in encap.ts), bit for bit; the tests
// compare both with the TypeScript reference.
//
// Per group of four table entries:
//   1. the entries are transposed into lanes (pointer, length, destination)
//      and checked: lengths, bounds, and no overlap between the frames'
//      writes and the other frames' reads (so that reading all four before
//      writing any gives what the frame-by-frame order gives);
//   2. the inner header words are gathered into lanes and checked
//      (bytes 12..14 = 08 00 45);
//   3. hash, port, TTL, TOS/ECN, DF, length, ID and checksum per lane;
//   4. the per-frame words are transposed back into two 16-byte header rows
//      per frame and stored over the template.
// A group that fails any check returns false having written nothing; the
// caller then encapsulates its four frames one by one.
//
// Outer header rows, as wire bytes (offsets from the outer frame):
//   0..15   template row 0 (MACs, EtherType, bytes 14..15 overwritten)
//   14..29  [0x45 tos | total length] [ID | flags+offset] [TTL proto | checksum] [source address]
//   30..45  [destination address] [source port | destination port] [UDP length | 0] [VXLAN flags, reserved]
//   46..49  template (VNI, reserved)

import { FE_PTR, FE_DST, FE_STATUS, ST_OK, IPPROTO_TCP, IPPROTO_UDP } from "../shared/codec";

/** Swaps the two bytes of every 16-bit lane: network-order values become wire bytes. */
// @ts-ignore: decorator
@inline
function wire16(v: v128): v128 {
  return i8x16.shuffle(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
}

// @ts-ignore: decorator
@inline
function rotl4(x: v128, r: i32): v128 {
  return v128.or(i32x4.shl(x, r), i32x4.shr_u(x, 32 - r));
}

/** rotl by 16 and 24 are byte moves: one shuffle instead of three ops. */
// @ts-ignore: decorator
@inline
function rotl16x4(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

// @ts-ignore: decorator
@inline
function rotl24x4(x: v128): v128 {
  return i8x16.shuffle(x, x, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
}

/** Linux jhash's __jhash_final, four lanes at once (flowhash.ts final3). */
// @ts-ignore: decorator
@inline
function final3x4(a: v128, b: v128, c: v128): v128 {
  c = i32x4.sub(v128.xor(c, b), rotl4(b, 14));
  a = i32x4.sub(v128.xor(a, c), rotl4(c, 11));
  b = i32x4.sub(v128.xor(b, a), rotl4(a, 25));
  c = i32x4.sub(v128.xor(c, b), rotl16x4(b));
  a = i32x4.sub(v128.xor(a, c), rotl4(c, 4));
  b = i32x4.sub(v128.xor(b, a), rotl4(a, 14));
  c = i32x4.sub(v128.xor(c, b), rotl24x4(b));
  return c;
}

// The unpack shuffles of a 4x4 transpose of 32-bit words (punpck{l,h}{dq,qdq}
// on x86): with t = lo32(a, b), u = lo32(c, d), word 0 of a, b, c, d is
// lo64(t, u) and word 1 is hi64(t, u); hi32 gives words 2 and 3 likewise.
// @ts-ignore: decorator
@inline
function lo32(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 4, 1, 5);
}
// @ts-ignore: decorator
@inline
function hi32(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 2, 6, 3, 7);
}
// @ts-ignore: decorator
@inline
function lo64(a: v128, b: v128): v128 {
  return i64x2.shuffle(a, b, 0, 2);
}
// @ts-ignore: decorator
@inline
function hi64(a: v128, b: v128): v128 {
  return i64x2.shuffle(a, b, 1, 3);
}

/** Stores row k of the 4x4 transpose of columns (x, y, z, u) at `p`: [x.k, y.k, z.k, u.k]. */
// @ts-ignore: decorator
@inline
function storeRows(x: v128, y: v128, z: v128, u: v128, p0: usize, p1: usize, p2: usize, p3: usize, off: usize): void {
  const xyLo = lo32(x, y);
  const xyHi = hi32(x, y);
  const zuLo = lo32(z, u);
  const zuHi = hi32(z, u);
  v128.store(p0 + off, lo64(xyLo, zuLo));
  v128.store(p1 + off, hi64(xyLo, zuLo));
  v128.store(p2 + off, lo64(xyHi, zuHi));
  v128.store(p3 + off, hi64(xyHi, zuHi));
}

/**
 * Per-batch constants of the four-frame path, one v128 each (every lane the
 * same unless noted), filled by vxlan4Setup from the config and its template.
 * They live in a static block of WASM memory that only this file writes: a
 * load from it is one instruction, where a v128 immediate costs V8 three.
 */
const X4 = memory.data(32 * 16, 16);
const X_T0 = 0;          // template row 0 (MACs, EtherType)
const X_SRC = 16;        // source address word (wire bytes)
const X_DST = 32;        // destination address word
const X_VX = 48;         // VXLAN flags word (bytes 42..45)
const X_K = 64;          // checksum constant: protocol + address halves (network values)
const X_TOS = 80;        // 0x4500 | outer TOS without ECN
const X_ECN = 96;        // 3 when ECN is copied, else 0
const X_TTL = 112;       // configured TTL << 8 | protocol (TTL 0 = inherit)
const X_TTL_IN = 128;    // 0xff00 when the TTL is inherited, else 0
const X_DF = 144;        // 0x4000 when DF is set
const X_DF_IN = 160;     // 0x4000 when DF is inherited
const X_IV = 176;        // seed + JHASH_INITVAL + 12
const X_RANGE = 192;     // port range size
const X_PMIN = 208;      // lowest port, or the fixed source port
const X_DPORT = 224;     // destination port << 16
const X_WORD46 = 240;    // template bytes 46..49 (lane 0, scalar)
const X_MEM = 256;       // memory size (capped below 2^32)
const X_MEM42 = 272;     // memory size - 42: the highest frame start whose bytes 12..41 can be read
const X_LEN = 288;       // 38 (shortest fast-path frame)
const X_LENSPAN = 304;   // 0xffff - 36 - 38 (longest minus shortest)
const X_FFFF = 320;
const X_FF3F = 336;      // fragment offset and MF: no ports unless all zero
const X_FFFFFF = 352;
const X_ETH_IP = 368;    // 08 00 45 as a little-endian word
const X_TCP = 384;
const X_UDP = 400;
const X_TWO = 416;
const X_BIAS = 432;      // 0x80000000: unsigned compares as signed ones
const X_ID_STEP = 448;   // 0, 1, 2, 3
const X_LAST = 464;      // 0, 0, 0, -1
const X_50 = 480;
const X_36 = 496;

/** Fills the per-batch constants. `pmin`/`pmax` already resolved (pmin < pmax); `fixed` >= 0 is a fixed source port. */
// @ts-ignore: decorator
@inline
export function vxlan4Setup(t: usize, ttl: u32, tos: u32, ecn: bool, df: bool, dfInherit: bool, seed: u32, pmin: u32, pmax: u32, fixed: i32, dport: u32, mem32: u32): void {
  v128.store(X4 + X_T0, v128.load(t));
  const src = load<u32>(t, 26);
  const dst = load<u32>(t, 30);
  v128.store(X4 + X_SRC, i32x4.splat(src));
  v128.store(X4 + X_DST, i32x4.splat(dst));
  v128.store(X4 + X_VX, i32x4.splat(load<u32>(t, 42)));
  const k = <u32>bswap<u16>(<u16>src) + <u32>bswap<u16>(<u16>(src >>> 16)) + <u32>bswap<u16>(<u16>dst) + <u32>bswap<u16>(<u16>(dst >>> 16));
  v128.store(X4 + X_K, i32x4.splat(k));
  v128.store(X4 + X_TOS, i32x4.splat(0x4500 | (ecn ? tos & 0xfc : tos)));
  v128.store(X4 + X_ECN, i32x4.splat(ecn ? 3 : 0));
  v128.store(X4 + X_TTL, i32x4.splat((ttl << 8) | IPPROTO_UDP));
  v128.store(X4 + X_TTL_IN, i32x4.splat(ttl == 0 ? 0xff00 : 0));
  v128.store(X4 + X_DF, i32x4.splat(df ? 0x4000 : 0));
  v128.store(X4 + X_DF_IN, i32x4.splat(dfInherit ? 0x4000 : 0));
  v128.store(X4 + X_IV, i32x4.splat(seed + 0xdeadbeef + 12));
  v128.store(X4 + X_RANGE, i32x4.splat(pmax - pmin));
  v128.store(X4 + X_PMIN, i32x4.splat(fixed >= 0 ? <u32>fixed : pmin));
  v128.store(X4 + X_DPORT, i32x4.splat(dport << 16));
  store<u32>(X4 + X_WORD46, load<u32>(t, 46));
  v128.store(X4 + X_MEM, i32x4.splat(mem32));
  v128.store(X4 + X_MEM42, i32x4.splat(mem32 - 42));
  v128.store(X4 + X_LEN, i32x4.splat(38));
  v128.store(X4 + X_LENSPAN, i32x4.splat(0xffff - 36 - 38));
  v128.store(X4 + X_FFFF, i32x4.splat(0xffff));
  v128.store(X4 + X_FF3F, i32x4.splat(0xff3f));
  v128.store(X4 + X_FFFFFF, i32x4.splat(0xffffff));
  v128.store(X4 + X_ETH_IP, i32x4.splat(0x450008));
  v128.store(X4 + X_TCP, i32x4.splat(IPPROTO_TCP));
  v128.store(X4 + X_UDP, i32x4.splat(IPPROTO_UDP));
  v128.store(X4 + X_TWO, i32x4.splat(2));
  v128.store(X4 + X_BIAS, i32x4.splat(0x80000000));
  v128.store(X4 + X_ID_STEP, i32x4(0, 1, 2, 3));
  v128.store(X4 + X_LAST, i32x4(0, 0, 0, -1));
  v128.store(X4 + X_50, i32x4.splat(50));
  v128.store(X4 + X_36, i32x4.splat(36));
}

// @ts-ignore: decorator
@inline
function k4(off: usize): v128 {
  return v128.load(X4 + off);
}

/** Unsigned a <= b per lane as one signed compare: x86 has no unsigned one (V8 emits max + eq + not). */
// @ts-ignore: decorator
@inline
function leU(a: v128, b: v128, bias: v128): v128 {
  return i32x4.le_s(v128.xor(a, bias), v128.xor(b, bias));
}

/** All four lanes true (a movmskps, where all_true costs V8 five instructions). */
// @ts-ignore: decorator
@inline
function all4(m: v128): bool {
  return i32x4.bitmask(m) == 15;
}

/**
 * Encapsulates the four frames of table entries `e`..`e + 48` in VXLAN, in
 * place (`copy` false: outer frame at FE_PTR - 50) or into FE_DST, and
 * copies their payloads (copy). `id` is the IPv4 ID of the first frame,
 * `hash` false when the source port is fixed. Returns false, having written
 * nothing, when any of the four needs the general path.
 */
// @ts-ignore: decorator
@inline
export function vxlanEncap4(e: usize, copy: bool, id: u32, hash: bool): bool {
  const e0 = v128.load(e), e1 = v128.load(e, 16), e2 = v128.load(e, 32), e3 = v128.load(e, 48);
  const eLo01 = lo32(e0, e1), eLo23 = lo32(e2, e3);
  const P = lo64(eLo01, eLo23); // FE_PTR
  const L = hi64(eLo01, eLo23); // FE_LEN
  const bias = k4(X_BIAS);
  // Lengths of the scalar fast path; every byte read (up to 42) and written in bounds.
  let ok = leU(i32x4.sub(L, k4(X_LEN)), k4(X_LENSPAN), bias);
  ok = v128.and(ok, leU(P, i32x4.sub(k4(X_MEM), L), bias));
  ok = v128.and(ok, leU(P, k4(X_MEM42), bias));
  // Each frame writes [W, W + span): the frames' writes must come in increasing
  // order without overlap, so that reading all four first changes nothing.
  const span = i32x4.add(L, k4(X_50));
  let W: v128;
  if (copy) {
    W = lo64(hi32(e0, e1), hi32(e2, e3)); // FE_DST
    ok = v128.and(ok, leU(W, i32x4.sub(k4(X_MEM), span), bias));
  } else {
    W = i32x4.sub(P, k4(X_50));
    ok = v128.and(ok, leU(k4(X_50), P, bias));
  }
  const wEnd = i32x4.add(W, span);
  ok = v128.and(ok, v128.or(leU(wEnd, i32x4.shuffle(W, W, 1, 2, 3, 3), bias), k4(X_LAST)));
  if (copy) {
    // ... and no frame's source inside the written range [W0, W3 + span3).
    const lo = i32x4.shuffle(W, W, 0, 0, 0, 0);
    const hi = i32x4.shuffle(wEnd, wEnd, 3, 3, 3, 3);
    ok = v128.and(ok, v128.or(leU(i32x4.add(P, L), lo, bias), leU(hi, P, bias)));
  }
  if (!all4(ok)) return false;

  const p0 = <usize>load<u32>(e, FE_PTR << 2), p1 = <usize>load<u32>(e, 16 + (FE_PTR << 2));
  const p2 = <usize>load<u32>(e, 32 + (FE_PTR << 2)), p3 = <usize>load<u32>(e, 48 + (FE_PTR << 2));
  // Inner bytes 12..27 and 26..41 of each frame.
  const a0 = v128.load(p0, 12), a1 = v128.load(p1, 12), a2 = v128.load(p2, 12), a3 = v128.load(p3, 12);
  const W12 = lo64(lo32(a0, a1), lo32(a2, a3)); // EtherType, version/IHL, TOS
  if (!all4(i32x4.eq(v128.and(W12, k4(X_FFFFFF)), k4(X_ETH_IP)))) return false;
  const W20 = lo64(hi32(a0, a1), hi32(a2, a3)); // flags/offset, TTL, protocol
  const b0 = v128.load(p0, 26), b1 = v128.load(p1, 26), b2 = v128.load(p2, 26), b3 = v128.load(p3, 26);

  let sport = k4(X_PMIN);
  if (hash) {
    // flowHashWords: ports only from unfragmented TCP/UDP; the lower
    // (address, port) pair first, so both directions hash alike.
    const bLo01 = lo32(b0, b1), bLo23 = lo32(b2, b3);
    const SRC = lo64(bLo01, bLo23);
    const DST = hi64(bLo01, bLo23);
    const proto = i32x4.shr_u(W20, 24);
    const whole = i32x4.eq(v128.and(W20, k4(X_FF3F)), i32x4.splat(0));
    const l4 = v128.or(i32x4.eq(proto, k4(X_TCP)), i32x4.eq(proto, k4(X_UDP)));
    const ports = v128.and(lo64(hi32(b0, b1), hi32(b2, b3)), v128.and(whole, l4));
    const sp = v128.and(ports, k4(X_FFFF));
    const dp = i32x4.shr_u(ports, 16);
    const lt = i32x4.lt_s(v128.xor(DST, bias), v128.xor(SRC, bias));
    const swap = v128.or(lt, v128.and(i32x4.eq(DST, SRC), i32x4.lt_s(dp, sp)));
    const x = v128.and(v128.xor(SRC, DST), swap);
    const rp = rotl16x4(ports);
    const iv = k4(X_IV);
    let h = final3x4(
      i32x4.add(v128.xor(DST, x), iv),
      i32x4.add(v128.xor(SRC, x), iv),
      i32x4.add(v128.xor(ports, v128.and(v128.xor(rp, ports), swap)), iv));
    h = i32x4.sub(h, i32x4.eq(h, i32x4.splat(0))); // 0 -> 1
    // srcPortFromHash: ((u64)(h ^ h << 16) * range) >> 32, plus min.
    h = v128.xor(h, i32x4.shl(h, 16));
    const range = k4(X_RANGE);
    const mLo = i64x2.extmul_low_i32x4_u(h, range);
    const mHi = i64x2.extmul_high_i32x4_u(h, range);
    sport = i32x4.add(i32x4.shuffle(mLo, mHi, 1, 3, 5, 7), sport);
  }

  // TOS with the inner ECN (RFC 6040: CE, 3, goes out as ECT(0), 2), TTL, DF,
  // as network-order 16-bit values two to a lane: the header words at 14, 18, 22.
  const ecn = i32x4.min_u(v128.and(i32x4.shr_u(W12, 24), k4(X_ECN)), k4(X_TWO));
  const n14 = v128.or(v128.or(k4(X_TOS), ecn), i32x4.shl(i32x4.add(L, k4(X_36)), 16));
  const frag = v128.or(k4(X_DF), v128.and(i32x4.shl(W20, 8), k4(X_DF_IN)));
  const n18 = v128.or(v128.and(i32x4.add(i32x4.splat(id), k4(X_ID_STEP)), k4(X_FFFF)), i32x4.shl(frag, 16));
  // TTL << 8 | protocol, the inner TTL sitting in bits 8..15 of (W20 >> 8).
  const ttlw = v128.or(k4(X_TTL), v128.and(i32x4.shr_u(W20, 8), k4(X_TTL_IN)));
  let sum = i32x4.add(i32x4.add(k4(X_K), ttlw), i32x4.add(i32x4.extadd_pairwise_i16x8_u(n14), i32x4.extadd_pairwise_i16x8_u(n18)));
  sum = i32x4.add(v128.and(sum, k4(X_FFFF)), i32x4.shr_u(sum, 16));
  sum = i32x4.add(v128.and(sum, k4(X_FFFF)), i32x4.shr_u(sum, 16));
  const n22 = v128.or(ttlw, i32x4.shl(v128.not(sum), 16)); // checksum: the complement, high half
  const n34 = v128.or(sport, k4(X_DPORT));
  const n38 = i32x4.sub(span, i32x4.splat(34)); // UDP length = len + 16; checksum 0 (finished after the copy if enabled)

  // Outer frame addresses.
  let o0: usize, o1: usize, o2: usize, o3: usize;
  if (copy) {
    o0 = <usize>load<u32>(e, FE_DST << 2); o1 = <usize>load<u32>(e, 16 + (FE_DST << 2));
    o2 = <usize>load<u32>(e, 32 + (FE_DST << 2)); o3 = <usize>load<u32>(e, 48 + (FE_DST << 2));
  } else {
    o0 = p0 - 50; o1 = p1 - 50; o2 = p2 - 50; o3 = p3 - 50;
  }
  const t0 = k4(X_T0);
  v128.store(o0, t0); v128.store(o1, t0); v128.store(o2, t0); v128.store(o3, t0);
  storeRows(wire16(n14), wire16(n18), wire16(n22), k4(X_SRC), o0, o1, o2, o3, 14);
  storeRows(k4(X_DST), wire16(n34), wire16(n38), k4(X_VX), o0, o1, o2, o3, 30);
  const w46 = load<u32>(X4 + X_WORD46);
  store<u32>(o0, w46, 46); store<u32>(o1, w46, 46); store<u32>(o2, w46, 46); store<u32>(o3, w46, 46);
  store<i32>(e, ST_OK, FE_STATUS << 2); store<i32>(e, ST_OK, 16 + (FE_STATUS << 2));
  store<i32>(e, ST_OK, 32 + (FE_STATUS << 2)); store<i32>(e, ST_OK, 48 + (FE_STATUS << 2));
  return true;
}
