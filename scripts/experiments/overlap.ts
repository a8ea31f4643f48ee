// AssemblyScript for scripts/experiments/overlap.mjs: does independent lane
// work hide behind per-frame payload copies on this machine? (It does not
// at 512 bytes; docs/codec.md, "Why 0.85x ...".) Not part of cnikit's module.

import { copy64 } from "../../assembly/codec/copy";

export function alloc(n: i32): usize {
  const p = <usize>memory.size() << 16;
  memory.grow((n >> 16) + 1);
  return p;
}

/** A dependent chain shaped like jhash's final mix on four lanes (14 steps of xor, sub and rotate). */
// @ts-ignore: decorator
@inline
function chain(x: v128, y: v128): v128 {
  for (let r = 0; r < 7; r++) {
    x = i32x4.sub(v128.xor(x, y), v128.or(i32x4.shl(y, 14), i32x4.shr_u(y, 18)));
    y = i32x4.sub(v128.xor(y, x), v128.or(i32x4.shl(x, 11), i32x4.shr_u(x, 21)));
  }
  return x;
}

/**
 * Over the frame table at `tab` (16-byte entries: source, length,
 * destination), four frames at a time: `work` 0 copies each payload to
 * destination + 50, 1 copies and runs one chain on the group's bytes, 2
 * only runs the chain. `inline` copies with v128 moves instead of memory.copy.
 */
export function run(tab: usize, n: i32, work: i32, inline: bool, sink: usize): void {
  let acc = v128.load(sink);
  for (let i = 0; i < n; i += 4) {
    const e = tab + <usize>i * 16;
    if (work != 0) {
      acc = v128.xor(acc, chain(v128.load(<usize>load<u32>(e) + 26), v128.load(<usize>load<u32>(e, 16) + 26)));
      v128.store(sink, acc);
    }
    if (work == 2) continue;
    for (let k: usize = 0; k < 64; k += 16) {
      const dst = <usize>load<u32>(e + k, 8) + 50, src = <usize>load<u32>(e + k), len = load<i32>(e + k, 4);
      if (inline) {
        const end = <usize>(len - 64);
        for (let q: usize = 0; q < end; q += 64) copy64(dst + q, src + q);
        copy64(dst + end, src + end);
      } else {
        memory.copy(dst, src, <usize>len);
      }
    }
  }
}
