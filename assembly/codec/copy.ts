// Payload copies for encapsulation with a copy (frames without headroom).

/** 64 bytes from `src` to `dst`: four loads, then four stores. */
// @ts-ignore: decorator
@inline
export function copy64(dst: usize, src: usize): void {
  const a = v128.load(src), b = v128.load(src, 16), c = v128.load(src, 32), d = v128.load(src, 48);
  v128.store(dst, a);
  v128.store(dst, b, 16);
  v128.store(dst, c, 32);
  v128.store(dst, d, 48);
}

/**
 * Copies `len` bytes from `src` to `dst` (non-overlapping). Short frames
 * move in v128 blocks inline: a memory.copy is a call into the engine,
 * which costs more than the copy itself for a short frame. Loads come
 * before stores in each 64-byte block, and the last block (or pair of
 * 16-byte moves) is taken from the end and may overlap what was already
 * written: the bytes are the same, and no length needs a byte loop.
 * From 257 to 1024 bytes the engine's memmove (32-byte AVX moves) is
 * faster than 16-byte v128 moves; at 1025..4096 (MTU-sized frames) the
 * inline loop measured faster in the encapsulation benchmark
 * (docs/codec.md has the numbers).
 */
// @ts-ignore: decorator
@inline
export function copyPayload(dst: usize, src: usize, len: i32): void {
  if (len >= 64) {
    if ((len > 256 && len <= 1024) || len > 4096) {
      memory.copy(dst, src, <usize>len);
      return;
    }
    const end = <usize>(len - 64);
    for (let i: usize = 0; i < end; i += 64) copy64(dst + i, src + i);
    copy64(dst + end, src + end);
  } else if (len >= 32) {
    copy32to64(dst, src, len);
  } else if (len >= 16) {
    const t = <usize>(len - 16);
    const a = v128.load(src), b = v128.load(src + t);
    v128.store(dst, a);
    v128.store(dst + t, b);
  } else if (len >= 8) {
    const t = <usize>(len - 8);
    const a = load<u64>(src), b = load<u64>(src + t);
    store<u64>(dst, a);
    store<u64>(dst + t, b);
  } else if (len >= 4) {
    const t = <usize>(len - 4);
    const a = load<u32>(src), b = load<u32>(src + t);
    store<u32>(dst, a);
    store<u32>(dst + t, b);
  } else {
    for (let i = 0; i < len; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
  }
}

/**
 * 32 to 64 bytes (the caller guarantees it): the first and the last 32,
 * which overlap below 64. No branch and no call, so that the eight-frame
 * VXLAN path (vxlan-batch.ts) can copy short frames among its lane work
 * without V8 saving its registers around a possible memory.copy call.
 */
// @ts-ignore: decorator
@inline
export function copy32to64(dst: usize, src: usize, len: i32): void {
  const t = <usize>(len - 32);
  const a = v128.load(src), b = v128.load(src, 16), c = v128.load(src + t), d = v128.load(src + t, 16);
  v128.store(dst, a);
  v128.store(dst, b, 16);
  v128.store(dst + t, c);
  v128.store(dst + t, d, 16);
}
