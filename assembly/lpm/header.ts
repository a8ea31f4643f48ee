// The table header: a fixed block of u32 fields at the table handle (offsets
// in assembly/shared/lpm.ts). The lowest layer of the LPM kernel: every
// other file reads and writes the header through these two, and this file
// imports nothing of the kernel.
//
// Layers, lowest first (a file imports only from the lines above its own):
//   header.ts, tmp.ts          header fields; the temporary trie and key bits
//   changes.ts, sorted6.ts     the change log; the IPv6 / sparse sorted store
//   store.ts                   the IPv4 prefix hash, creation, dispatch to sorted6
//   sorted6-lookup.ts          the sorted store's parents, bucket index, lookups
//   nodes.ts, window.ts        poptrie node arrays; the window shortcut
//   build.ts, subtree.ts       full and direct-range builds; one node's rebuild
//   update.ts, lookup.ts       applying the change log; poptrie lookups
//   index.ts                   the exports

/** Reads the u32 header field at byte offset `off` of table `t`. */
@inline export function hget(t: usize, off: u32): u32 {
  return load<u32>(t + off);
}

/** Writes the u32 header field at byte offset `off` of table `t`. */
@inline export function hset(t: usize, off: u32, v: u32): void {
  store<u32>(t + off, v);
}
