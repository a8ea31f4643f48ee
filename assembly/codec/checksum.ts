// Internet checksum (RFC 1071) over little-endian loads.
//
// The one's-complement sum is byte-order independent (RFC 1071 section
// 2(B)): summing the 16-bit words as the little-endian CPU reads them and
// storing the complemented result with a little-endian store gives the same
// bytes on the wire as the big-endian textbook loop, without a byte swap
// per word.

/** Adds `len` bytes at `p` to `acc` as little-endian 16-bit words (64-bit accumulator). */
// @ts-ignore: decorator
@inline
export function sumBytes(p: usize, len: i32, acc: u64): u64 {
  let i = 0;
  // 8 bytes per step: two 32-bit halves, no carries lost in 64 bits for any frame size.
  for (; i + 8 <= len; i += 8) {
    const w = load<u64>(p + <usize>i);
    acc += (w & 0xffffffff) + (w >> 32);
  }
  if (i + 4 <= len) {
    acc += <u64>load<u32>(p + <usize>i);
    i += 4;
  }
  if (i + 2 <= len) {
    acc += <u64>load<u16>(p + <usize>i);
    i += 2;
  }
  // An odd trailing byte is padded with a zero byte after it (LE: low byte).
  if (i < len) acc += <u64>load<u8>(p + <usize>i);
  return acc;
}

/** Folds a 64-bit one's-complement accumulator to 16 bits (not complemented). */
// @ts-ignore: decorator
@inline
export function fold(acc: u64): u32 {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  let s = <u32>acc;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return s;
}

/** Checksum of `len` bytes at `p`, ready for a little-endian u16 store. 0 when verifying a correct header. */
export function checksum(p: usize, len: i32): u32 {
  return ~fold(sumBytes(p, len, 0)) & 0xffff;
}

/** IPv4 header checksum of a 20-byte header (field at +10 must be zero when computing). */
// @ts-ignore: decorator
@inline
export function ipv4HeaderSum20(p: usize): u32 {
  const a = <u64>load<u32>(p) + <u64>load<u32>(p, 4) + <u64>load<u32>(p, 8) + <u64>load<u32>(p, 12) + <u64>load<u32>(p, 16);
  return ~fold(a) & 0xffff;
}
