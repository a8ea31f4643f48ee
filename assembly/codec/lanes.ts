// v128 helpers for the codec paths that work on four frames at once, one
// frame per 32-bit lane. Each names the x86 instruction V8 emits for it,
// where that is why it is written the way it is.

/** [a0, b0, a1, b1] (punpckldq). With t = lo32(a, b), u = lo32(c, d): word 0 of a..d is lo64(t, u), word 1 hi64(t, u). */
// @ts-ignore: decorator
@inline
export function lo32(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 0, 4, 1, 5);
}

/** [a2, b2, a3, b3] (punpckhdq): as lo32, for words 2 and 3. */
// @ts-ignore: decorator
@inline
export function hi32(a: v128, b: v128): v128 {
  return i32x4.shuffle(a, b, 2, 6, 3, 7);
}

/** Low halves of a and b (punpcklqdq). */
// @ts-ignore: decorator
@inline
export function lo64(a: v128, b: v128): v128 {
  return i64x2.shuffle(a, b, 0, 2);
}

/** High halves of a and b (punpckhqdq). */
// @ts-ignore: decorator
@inline
export function hi64(a: v128, b: v128): v128 {
  return i64x2.shuffle(a, b, 1, 3);
}

/**
 * Swaps the two bytes of every 16-bit lane (network-order values become
 * wire bytes) with the byte indices in `swap` (SWAP16 below, loaded once):
 * V8 turns a swizzle by a mask in a register into paddusb + pshufb, where
 * the same shuffle with literal lanes becomes psrlw + psllw + por.
 */
// @ts-ignore: decorator
@inline
export function wire16(v: v128, swap: v128): v128 {
  return i8x16.swizzle(v, swap);
}

/** The byte indices of wire16. */
export const SWAP16: v128 = i8x16(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);

// @ts-ignore: decorator
@inline
function rotl4(x: v128, r: i32): v128 {
  return v128.or(i32x4.shl(x, r), i32x4.shr_u(x, 32 - r));
}

/**
 * rotl by 16 swaps the halves of each lane: pshuflw + pshufhw, two ops for
 * three. (A rotl by 24 as a byte shuffle would cost V8 a pshufb mask built
 * from two 64-bit immediates per use, more than the shifts.)
 */
// @ts-ignore: decorator
@inline
export function rotl16x4(x: v128): v128 {
  return i8x16.shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}

/** Linux jhash's __jhash_final, four lanes at once (final3 in flowhash.ts). */
// @ts-ignore: decorator
@inline
export function final3x4(a: v128, b: v128, c: v128): v128 {
  c = i32x4.sub(v128.xor(c, b), rotl4(b, 14));
  a = i32x4.sub(v128.xor(a, c), rotl4(c, 11));
  b = i32x4.sub(v128.xor(b, a), rotl4(a, 25));
  c = i32x4.sub(v128.xor(c, b), rotl16x4(b));
  a = i32x4.sub(v128.xor(a, c), rotl4(c, 4));
  b = i32x4.sub(v128.xor(b, a), rotl4(a, 14));
  c = i32x4.sub(v128.xor(c, b), rotl4(b, 24));
  return c;
}

/** Stores row k of the 4x4 transpose of columns (x, y, z, u), [x.k, y.k, z.k, u.k], at pk + off. */
// @ts-ignore: decorator
@inline
export function storeRows(x: v128, y: v128, z: v128, u: v128, p0: usize, p1: usize, p2: usize, p3: usize, off: usize): void {
  const xyLo = lo32(x, y);
  const xyHi = hi32(x, y);
  const zuLo = lo32(z, u);
  const zuHi = hi32(z, u);
  v128.store(p0 + off, lo64(xyLo, zuLo));
  v128.store(p1 + off, hi64(xyLo, zuLo));
  v128.store(p2 + off, lo64(xyHi, zuHi));
  v128.store(p3 + off, hi64(xyHi, zuHi));
}

/** Unsigned a <= b per lane (pminud + pcmpeqd). */
// @ts-ignore: decorator
@inline
export function leU(a: v128, b: v128): v128 {
  return i32x4.le_u(a, b);
}

/** All four lanes true (movmskps; all_true costs V8 five instructions). */
// @ts-ignore: decorator
@inline
export function all4(m: v128): bool {
  return i32x4.bitmask(m) == 15;
}
