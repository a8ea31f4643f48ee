// Constants shared by the LPM kernel (assembly/lpm) and its TypeScript
// wrapper (src/lpm). Written in the common subset of TypeScript and
// AssemblyScript: plain numeric consts only.

/** Lookup result when no prefix matches. */
export const LPM_NO_ROUTE = -1;
/** Largest next-hop id a route may carry (31 bits; leaves store nextHop + 1, 0 = no route). */
export const LPM_NEXT_HOP_MAX = 0x7ffffffe;

/** Memory bound of a table: LPM_BUDGET_BASE bytes plus LPM_BUDGET_PER_PREFIX per prefix (checked by lpm_over_budget in assembly/lpm/index.ts). */
export const LPM_BUDGET_BASE = 65536;
/** See LPM_BUDGET_BASE. */
export const LPM_BUDGET_PER_PREFIX = 32;

/** Table header: a fixed block of u32 fields; byte offsets below. */
export const LPM_HEADER_BYTES = 464;
/** Words per key: 1 for IPv4, 4 for IPv6. */
export const LPM_H_WORDS = 0;
/** Number of prefixes in the store. */
export const LPM_H_COUNT = 4;
/** Slots of the prefix hash (a power of two). */
export const LPM_H_CAP = 8;
/** Pointer to keys: u32[cap * words], network-order words of the prefix. */
export const LPM_H_KEYS = 12;
/** Pointer to lengths: u8[cap], prefix length + 1 (0 = empty slot). */
export const LPM_H_LENS = 16;
/** Pointer to next hops: i32[cap]. */
export const LPM_H_NHS = 20;
/** Lookup structure state: 0 up to date, 1 needs a full rebuild, 2 needs the logged changes applied. */
export const LPM_H_DIRTY = 24;
/** Pointer to the direct-pointing level: u32[1 << s]. */
export const LPM_H_DIR = 28;
/** Bits resolved by the direct-pointing level (s). */
export const LPM_H_DIRBITS = 32;
/** Pointer to poptrie nodes (24 bytes each). */
export const LPM_H_NODES = 36;
/** Number of poptrie nodes. */
export const LPM_H_NNODES = 40;
/** Pointer to leaves: u32[], nextHop + 1 (0 = no route). */
export const LPM_H_LEAVES = 44;
/** Number of leaves. */
export const LPM_H_NLEAVES = 48;
/** Allocated capacity of the node array (nodes). */
export const LPM_H_NODECAP = 52;
/** Allocated capacity of the leaf array (leaves). */
export const LPM_H_LEAFCAP = 56;
/** Nodes no longer reachable (replaced by range rebuilds). */
export const LPM_H_GARBAGE_NODES = 60;
/** Leaves no longer reachable. */
export const LPM_H_GARBAGE_LEAVES = 64;
/** Prefix count at the last full build. */
export const LPM_H_NFULL = 68;
/** Number of logged changes since the last refresh (at most LPM_MAX_CHANGES). */
export const LPM_H_NCHANGES = 72;
/** Change log: LPM_MAX_CHANGES entries of 5 u32 (four key words, prefix length). */
export const LPM_H_CHANGES = 76;
/** Changes logged before falling back to a full rebuild. */
export const LPM_MAX_CHANGES = 16;
/** Window (IPv4): bits of the shortcut level (0 = no window). */
export const LPM_H_WINBITS = 396;
/** Window: length L of the prefix all long prefixes share. */
export const LPM_H_WINLEN = 400;
/** Window: that prefix's top L bits (right-aligned). */
export const LPM_H_WINPREFIX = 404;
/** Window: pointer to u32[1 << winbits] entries, like direct-level entries. */
export const LPM_H_WIN = 408;
/** IPv6 sorted store (assembly/lpm/sorted6.ts): slots in use (sorted part plus unsorted tail). */
export const LPM_H_USED = 412;
/** IPv6: slots [0, nsorted) are sorted by (address, length). */
export const LPM_H_NSORTED = 416;
/** IPv6: removed sorted entries kept as tombstones (next hop -1) until the next compaction. */
export const LPM_H_TOMBS = 420;
/** IPv6: pointer to u32[parcap], each sorted entry's nearest enclosing prefix (0xffffffff = none). */
export const LPM_H_PARENTS = 424;
/** IPv6: allocated entries of the parent array. */
export const LPM_H_PARCAP = 428;
/** IPv6: pointer to the bucket index u32[(1 << idxbits) + 1] (first sorted entry of each bucket). */
export const LPM_H_IDX = 432;
/** IPv6: bits of the bucket index (the key bits right after the common prefix of all keys). */
export const LPM_H_IDXBITS = 436;
/** IPv6: length of the common prefix of all keys. */
export const LPM_H_IDXOFF = 440;
/** IPv6: four words holding that common prefix (the first key). */
export const LPM_H_COMMON = 444;


/** Bytes of one poptrie node: vector u64, leafvec u64, base0 u32, base1 u32. */
export const LPM_NODE_BYTES = 24;
/** Poptrie stride (bits per node), as in Asai & Ohara 2015. */
export const LPM_STRIDE = 6;
/** Marks a direct-level entry that points to a node (else it is a leaf: nextHop + 1). */
export const LPM_DIR_NODE = 0x80000000;
