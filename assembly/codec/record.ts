// The decoded-frame record (R_WORDS i32 words per frame, R_* in
// ../shared/codec.ts): one store helper for every file that fills it.

/** Stores `v` into word `word` of the record at `out`. */
// @ts-ignore: decorator
@inline
export function put(out: usize, word: i32, v: i32): void {
  store<i32>(out + (<usize>word << 2), v);
}
