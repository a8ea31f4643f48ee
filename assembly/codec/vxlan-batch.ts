// VXLAN encapsulation eight frames at a time: the batch fast path.
//
// The common frame (untagged IPv4, 20-byte header, fast-path lengths) costs
// about a hundred scalar instructions of header work: the flow hash
// (jhash_3words), the port mapping, the IPv4 checksum and the stores. Done
// for four frames in the four 32-bit lanes of a v128, the arithmetic costs
// a quarter of the instructions per frame. The hash is a chain of some 50
// dependent steps; two groups side by side (eight frames) overlap their
// chains (about a tenth faster than one group of four). The results are exactly those of
// the frame-by-frame path (encapOne in encap.ts), bit for bit:
// props/codec-batch.prop.ts compares the two on any frames and layout.
//
// Per group of eight table entries:
//   1. the entries are transposed into lanes (pointer, length, destination)
//      and checked: lengths, bounds, and that each frame's writes come after
//      the previous frame's and touch no other frame's bytes, nor the eight
//      entries (so that reading all eight before writing any gives the
//      frame-by-frame result);
//   2. the inner header words are gathered into lanes and checked
//      (bytes 12..14 = 08 00 45);
//   3. hash and port, TTL, TOS/ECN, DF, length, ID and checksum per lane
//      (with the caller's hashes, codecEncapBatchHashed, only the port
//      mapping: the hash is what skb_get_hash returns when the skb has one);
//   4. the per-frame words are transposed back into two 16-byte header rows
//      per frame and stored over the template; with a copy, payloads of up
//      to 64 bytes follow their headers, longer ones come after all eight
//      (copyLong8).
// A group that fails a check returns false having written nothing; the
// caller then encapsulates its frames one by one.
//
// Outer header rows, as wire bytes (offsets from the outer frame):
//   0..15   template row 0 (MACs, EtherType; bytes 14..15 overwritten)
//   14..29  [0x45 tos | total length] [ID | flags+offset] [TTL proto | checksum] [source address]
//   30..45  [destination address] [source port | destination port] [UDP length | 0] [VXLAN flags, reserved]
//   46..49  template (VNI, reserved)

import { FE_PTR, FE_LEN, FE_DST, FE_STATUS, ST_OK, IPPROTO_TCP, IPPROTO_UDP } from "../shared/codec";
import { copyPayload, copy32to64 } from "./copy";
import { lo32, hi32, lo64, hi64, wire16, SWAP16, rotl16x4, final3x4, storeRows, leU, all4 } from "./lanes";

/**
 * Per-batch constants of the fast path, one v128 each (every lane the
 * same unless noted), filled by vxlanBatchSetup from the config and its template.
 * They live in a static block of WASM memory that only this file writes: a
 * load from it is one instruction, where a v128 immediate costs V8 three.
 */
const X4_BYTES: usize = 35 * 16;
const X4 = memory.data(<i32>X4_BYTES, 16);
const X_T0 = 0;          // template row 0 (MACs, EtherType)
const X_SRC = 16;        // source address word (wire bytes)
const X_DST = 32;        // destination address word
const X_VX = 48;         // VXLAN flags word (bytes 42..45)
const X_K = 64;          // checksum constant: address halves + 0x4500 | TOS + 36 (network values)
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
const X_L4 = 336;        // protocol, MF and fragment offset bits of W20: no ports unless TCP/UDP and all zero
const X_FFFFFF = 352;
const X_ETH_IP = 368;    // 08 00 45 as a little-endian word
const X_TCP = 384;        // W20 & X_L4 of an unfragmented TCP segment
const X_UDP = 400;        // ... and of a UDP datagram
const X_TWO = 416;
const X_64 = 432;        // 64: the longest payload copied among the lane work
const X_ID_STEP = 448;   // 0, 1, 2, 3
const X_LAST = 464;      // 0, 0, 0, -1
const X_50 = 480;
const X_36 = 496;
const X_SWAP16 = 512;    // wire16's byte indices
const X_16 = 528;        // 16: UDP length - inner frame length
const X_ZERO = 544;

/** Fills the per-batch constants. `pmin`/`pmax` already resolved (pmin < pmax); `fixed` >= 0 is a fixed source port. */
// @ts-ignore: decorator
@inline
export function vxlanBatchSetup(t: usize, ttl: u32, tos: u32, ecn: bool, df: bool, dfInherit: bool, seed: u32, pmin: u32, pmax: u32, fixed: i32, dport: u32, mem32: u32): void {
  v128.store(X4 + X_T0, v128.load(t));
  const src = load<u32>(t, 26);
  const dst = load<u32>(t, 30);
  v128.store(X4 + X_SRC, i32x4.splat(src));
  v128.store(X4 + X_DST, i32x4.splat(dst));
  v128.store(X4 + X_VX, i32x4.splat(load<u32>(t, 42)));
  const tosw = 0x4500 | (ecn ? tos & 0xfc : tos);
  const k = <u32>bswap<u16>(<u16>src) + <u32>bswap<u16>(<u16>(src >>> 16)) + <u32>bswap<u16>(<u16>dst) + <u32>bswap<u16>(<u16>(dst >>> 16));
  v128.store(X4 + X_K, i32x4.splat(k + tosw + 36));
  v128.store(X4 + X_TOS, i32x4.splat(tosw));
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
  v128.store(X4 + X_L4, i32x4.splat(0xff00ff3f));
  v128.store(X4 + X_FFFFFF, i32x4.splat(0xffffff));
  v128.store(X4 + X_ETH_IP, i32x4.splat(0x450008));
  v128.store(X4 + X_TCP, i32x4.splat(IPPROTO_TCP << 24));
  v128.store(X4 + X_UDP, i32x4.splat(IPPROTO_UDP << 24));
  v128.store(X4 + X_TWO, i32x4.splat(2));
  v128.store(X4 + X_64, i32x4.splat(64));
  v128.store(X4 + X_ID_STEP, i32x4(0, 1, 2, 3));
  v128.store(X4 + X_LAST, i32x4(0, 0, 0, -1));
  v128.store(X4 + X_50, i32x4.splat(50));
  v128.store(X4 + X_36, i32x4.splat(36));
  v128.store(X4 + X_SWAP16, SWAP16);
  v128.store(X4 + X_16, i32x4.splat(16));
  v128.store(X4 + X_ZERO, i32x4.splat(0));
}

// @ts-ignore: decorator
@inline
function k4(off: usize): v128 {
  return v128.load(X4 + off);
}

/** Lengths and bounds of four entries (P, L) writing [W, W + span): the lanes that may take this path. */
// @ts-ignore: decorator
@inline
function bounds4(P: v128, L: v128, W: v128, span: v128, copy: bool): v128 {
  // Lengths of the frame-by-frame fast path; every byte read (up to 42) and written in bounds.
  let ok = leU(i32x4.sub(L, k4(X_LEN)), k4(X_LENSPAN));
  ok = v128.and(ok, leU(P, i32x4.sub(k4(X_MEM), L)));
  ok = v128.and(ok, leU(P, k4(X_MEM42)));
  if (copy) return v128.and(ok, leU(W, i32x4.sub(k4(X_MEM), span)));
  return v128.and(ok, leU(k4(X_50), P));
}

/** Flow hashes of four frames: flowHashWords per lane. */
// @ts-ignore: decorator
@inline
function hash4(W20: v128, b0: v128, b1: v128, b2: v128, b3: v128): v128 {
  // Ports only from unfragmented TCP/UDP; the lower (address, port) pair
  // first, so that both directions of a flow hash alike.
  const bLo01 = lo32(b0, b1), bLo23 = lo32(b2, b3);
  const SRC = lo64(bLo01, bLo23);
  const DST = hi64(bLo01, bLo23);
  const l4 = v128.and(W20, k4(X_L4));
  const ports = v128.and(lo64(hi32(b0, b1), hi32(b2, b3)), v128.or(i32x4.eq(l4, k4(X_TCP)), i32x4.eq(l4, k4(X_UDP))));
  const sp = v128.and(ports, k4(X_FFFF));
  const dp = i32x4.shr_u(ports, 16);
  // flowHashWords hashes (max, min) of the addresses (pmaxud, pminud) and
  // swaps the ports when dst < src, or when the addresses are equal and
  // dp < sp: swap = (max == src) & !(src == dst & !(dp < sp)).
  const hi = i32x4.max_u(SRC, DST);
  const swap = v128.andnot(i32x4.eq(hi, SRC), v128.andnot(i32x4.eq(SRC, DST), i32x4.lt_s(dp, sp)));
  const iv = k4(X_IV);
  return final3x4(
    i32x4.add(hi, iv),
    i32x4.add(i32x4.min_u(SRC, DST), iv),
    i32x4.add(v128.xor(ports, v128.and(v128.xor(rotl16x4(ports), ports), swap)), iv));
}

/** Outer UDP source ports of four frames from their hashes: srcPortFromHash per lane. */
// @ts-ignore: decorator
@inline
function port4(h: v128): v128 {
  // flowHashWords maps a hash of 0 to 1, which cannot change the port:
  // 0 and 1 both become port min (0x10001 * range < 2^32 for any range up
  // to 65535), so the lanes skip it (test/codec-batch8.test.ts has such a flow).
  // srcPortFromHash: ((u64)(h ^ h << 16) * range) >> 32, plus min.
  h = v128.xor(h, i32x4.shl(h, 16));
  const range = k4(X_RANGE);
  const mLo = i64x2.extmul_low_i32x4_u(h, range);
  const mHi = i64x2.extmul_high_i32x4_u(h, range);
  return i32x4.add(i32x4.shuffle(mLo, mHi, 1, 3, 5, 7), k4(X_PMIN));
}

/**
 * Writes the outer headers of four frames (entries at `e`, inner frames at
 * p0..p3), copies their payloads (copy) and writes their statuses.
 */
// @ts-ignore: decorator
@inline
function finish4(e: usize, copy: bool, p0: usize, p1: usize, p2: usize, p3: usize, L: v128, W12: v128, W20: v128, sport: v128, id: u32): void {
  // TOS with the inner ECN (RFC 6040: CE, 3, goes out as ECT(0), 2), TTL, DF,
  // as network-order 16-bit values two to a lane: the header words at 14, 18, 22.
  const ecn = i32x4.min_u(v128.and(i32x4.shr_u(W12, 24), k4(X_ECN)), k4(X_TWO));
  const n14 = v128.or(v128.or(k4(X_TOS), ecn), i32x4.shl(i32x4.add(L, k4(X_36)), 16));
  const frag = v128.or(k4(X_DF), v128.and(i32x4.shl(W20, 8), k4(X_DF_IN)));
  const idv = v128.and(i32x4.add(i32x4.splat(id), k4(X_ID_STEP)), k4(X_FFFF));
  const n18 = v128.or(idv, i32x4.shl(frag, 16));
  // TTL << 8 | protocol; an inherited TTL is byte 22, bits 8..15 of W20 >> 8.
  const ttlw = v128.or(k4(X_TTL), v128.and(i32x4.shr_u(W20, 8), k4(X_TTL_IN)));
  // The header's 16-bit words summed from their parts (0x4500 | TOS, 36 and
  // the addresses are in X_K): under 2^20, so two folds give 16 bits.
  let sum = i32x4.add(i32x4.add(i32x4.add(k4(X_K), ecn), i32x4.add(L, idv)), i32x4.add(frag, ttlw));
  sum = i32x4.add(v128.and(sum, k4(X_FFFF)), i32x4.shr_u(sum, 16));
  sum = i32x4.add(v128.and(sum, k4(X_FFFF)), i32x4.shr_u(sum, 16));
  const n22 = v128.or(ttlw, i32x4.shl(i32x4.sub(k4(X_FFFF), sum), 16)); // the checksum (~sum), high half
  const n34 = v128.or(sport, k4(X_DPORT));
  const n38 = i32x4.add(L, k4(X_16)); // UDP length; checksum 0 (finished after the copy if enabled)
  let o0: usize, o1: usize, o2: usize, o3: usize;
  if (copy) {
    o0 = <usize>load<u32>(e, FE_DST << 2); o1 = <usize>load<u32>(e, 16 + (FE_DST << 2));
    o2 = <usize>load<u32>(e, 32 + (FE_DST << 2)); o3 = <usize>load<u32>(e, 48 + (FE_DST << 2));
  } else {
    o0 = p0 - 50; o1 = p1 - 50; o2 = p2 - 50; o3 = p3 - 50;
  }
  const t0 = k4(X_T0);
  v128.store(o0, t0); v128.store(o1, t0); v128.store(o2, t0); v128.store(o3, t0);
  const swap = k4(X_SWAP16);
  storeRows(wire16(n14, swap), wire16(n18, swap), wire16(n22, swap), k4(X_SRC), o0, o1, o2, o3, 14);
  storeRows(k4(X_DST), wire16(n34, swap), wire16(n38, swap), k4(X_VX), o0, o1, o2, o3, 30);
  const w46 = load<u32>(X4 + X_WORD46);
  store<u32>(o0, w46, 46); store<u32>(o1, w46, 46); store<u32>(o2, w46, 46); store<u32>(o3, w46, 46);
  if (copy) {
    // Frames of up to 64 bytes here; longer ones after both groups (copyLong8).
    const l0 = load<i32>(e, FE_LEN << 2), l1 = load<i32>(e, 16 + (FE_LEN << 2));
    const l2 = load<i32>(e, 32 + (FE_LEN << 2)), l3 = load<i32>(e, 48 + (FE_LEN << 2));
    if (l0 <= 64) copy32to64(o0 + 50, p0, l0);
    if (l1 <= 64) copy32to64(o1 + 50, p1, l1);
    if (l2 <= 64) copy32to64(o2 + 50, p2, l2);
    if (l3 <= 64) copy32to64(o3 + 50, p3, l3);
  }
  store<i32>(e, ST_OK, FE_STATUS << 2); store<i32>(e, ST_OK, 16 + (FE_STATUS << 2));
  store<i32>(e, ST_OK, 32 + (FE_STATUS << 2)); store<i32>(e, ST_OK, 48 + (FE_STATUS << 2));
}

/**
 * Encapsulates the eight frames of table entries `e`..`e + 112` in VXLAN,
 * in place (`copy` false: outer frame at FE_PTR - 50) or into FE_DST with
 * the payload copied after the headers. `id` is the IPv4 ID of the first frame,
 * `hash` false when the source port is fixed; `given` when the eight flow
 * hashes are the caller's, the u32s at `hp` (skb_get_hash's value: no
 * dissection, only the port mapping). Returns false, having written
 * nothing, when any of the eight needs the frame-by-frame path.
 */
// @ts-ignore: decorator
@inline
export function vxlanEncap8(e: usize, copy: bool, id: u32, hash: bool, given: bool, hp: usize): bool {
  const a0 = v128.load(e), a1 = v128.load(e, 16), a2 = v128.load(e, 32), a3 = v128.load(e, 48);
  const b0 = v128.load(e, 64), b1 = v128.load(e, 80), b2 = v128.load(e, 96), b3 = v128.load(e, 112);
  const aLo01 = lo32(a0, a1), aLo23 = lo32(a2, a3), bLo01 = lo32(b0, b1), bLo23 = lo32(b2, b3);
  const PA = lo64(aLo01, aLo23), LA = hi64(aLo01, aLo23); // FE_PTR, FE_LEN
  const PB = lo64(bLo01, bLo23), LB = hi64(bLo01, bLo23);
  const spanA = i32x4.add(LA, k4(X_50)), spanB = i32x4.add(LB, k4(X_50));
  // Each frame writes [W, W + span): its outer frame, or in place its headroom and the frame.
  const WA = copy ? lo64(hi32(a0, a1), hi32(a2, a3)) : i32x4.sub(PA, k4(X_50));
  const WB = copy ? lo64(hi32(b0, b1), hi32(b2, b3)) : i32x4.sub(PB, k4(X_50));
  const endA = i32x4.add(WA, spanA), endB = i32x4.add(WB, spanB);
  let ok = v128.and(bounds4(PA, LA, WA, spanA, copy), bounds4(PB, LB, WB, spanB, copy));
  // The writes in increasing order, without overlap.
  ok = v128.and(ok, leU(endA, i32x4.shuffle(WA, WB, 1, 2, 3, 4)));
  ok = v128.and(ok, v128.or(leU(endB, i32x4.shuffle(WB, WB, 1, 2, 3, 3)), k4(X_LAST)));
  if (copy) {
    // ... and no frame's source inside the written range [WA0, endB3).
    const lo = i32x4.shuffle(WA, WA, 0, 0, 0, 0);
    const hi = i32x4.shuffle(endB, endB, 3, 3, 3, 3);
    ok = v128.and(ok, v128.or(leU(i32x4.add(PA, LA), lo), leU(hi, PA)));
    ok = v128.and(ok, v128.or(leU(i32x4.add(PB, LB), lo), leU(hi, PB)));
  }
  if (!all4(ok)) return false;
  // Nor inside these eight table entries (read before any frame is written)
  // or this file's constants: frame by frame, such a write would be seen.
  const wLo = <usize>i32x4.extract_lane(WA, 0);
  const wHi = <usize>i32x4.extract_lane(endB, 3);
  if ((wHi > e && wLo < e + 128) || (wHi > X4 && wLo < X4 + X4_BYTES)) return false;
  // Likewise the eight caller's hashes; and a hash of 0 (udp_flow_src_port
  // then hashes the Ethernet addresses) goes frame by frame.
  let HA = k4(X_PMIN), HB = HA;
  if (given) {
    if (wHi > hp && wLo < hp + 32) return false;
    HA = v128.load(hp);
    HB = v128.load(hp, 16);
    if (!all4(i32x4.ne(i32x4.min_u(HA, HB), k4(X_ZERO)))) return false;
  }

  const p0 = <usize>load<u32>(e, FE_PTR << 2), p1 = <usize>load<u32>(e, 16 + (FE_PTR << 2));
  const p2 = <usize>load<u32>(e, 32 + (FE_PTR << 2)), p3 = <usize>load<u32>(e, 48 + (FE_PTR << 2));
  const p4 = <usize>load<u32>(e, 64 + (FE_PTR << 2)), p5 = <usize>load<u32>(e, 80 + (FE_PTR << 2));
  const p6 = <usize>load<u32>(e, 96 + (FE_PTR << 2)), p7 = <usize>load<u32>(e, 112 + (FE_PTR << 2));
  // Inner bytes 12..27 (EtherType, version/IHL, TOS; flags/offset, TTL, protocol) ...
  const c0 = v128.load(p0, 12), c1 = v128.load(p1, 12), c2 = v128.load(p2, 12), c3 = v128.load(p3, 12);
  const c4 = v128.load(p4, 12), c5 = v128.load(p5, 12), c6 = v128.load(p6, 12), c7 = v128.load(p7, 12);
  const W12A = lo64(lo32(c0, c1), lo32(c2, c3)), W12B = lo64(lo32(c4, c5), lo32(c6, c7));
  const ethIp = k4(X_ETH_IP), mask = k4(X_FFFFFF);
  if (!all4(v128.and(i32x4.eq(v128.and(W12A, mask), ethIp), i32x4.eq(v128.and(W12B, mask), ethIp)))) return false;
  const W20A = lo64(hi32(c0, c1), hi32(c2, c3)), W20B = lo64(hi32(c4, c5), hi32(c6, c7));
  // ... and 26..41 (addresses, ports): the hash inputs. The two hashes
  // stand side by side so that their chains overlap.
  let sA = k4(X_PMIN), sB = sA; // the fixed port
  if (hash && given) {
    sA = port4(HA);
    sB = port4(HB);
  } else if (hash) {
    sA = port4(hash4(W20A, v128.load(p0, 26), v128.load(p1, 26), v128.load(p2, 26), v128.load(p3, 26)));
    sB = port4(hash4(W20B, v128.load(p4, 26), v128.load(p5, 26), v128.load(p6, 26), v128.load(p7, 26)));
  }
  finish4(e, copy, p0, p1, p2, p3, LA, W12A, W20A, sA, id);
  finish4(e + 64, copy, p4, p5, p6, p7, LB, W12B, W20B, sB, id + 4);
  if (copy) copyLong8(e, LA, LB);
  return true;
}

/**
 * The payloads of more than 64 bytes of the eight frames at `e` (lengths
 * LA, LB), after all eight headers: copyPayload may call memory.copy, and a
 * call among the lane work makes V8 spill the lanes around it. Copying a
 * payload after later frames' headers gives the frame-by-frame bytes: the
 * checks in vxlanEncap8 keep every frame's writes off the other frames'
 * sources and writes.
 */
// @ts-ignore: decorator
@inline
function copyLong8(e: usize, LA: v128, LB: v128): void {
  const c = k4(X_64);
  if (i32x4.bitmask(v128.or(i32x4.gt_s(LA, c), i32x4.gt_s(LB, c))) == 0) return;
  for (let k: usize = 0; k < 128; k += 16) {
    const len = load<i32>(e + k, FE_LEN << 2);
    if (len > 64) copyPayload(<usize>load<u32>(e + k, FE_DST << 2) + 50, <usize>load<u32>(e + k, FE_PTR << 2), len);
  }
}
