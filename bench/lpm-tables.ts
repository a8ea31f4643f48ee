/**
 * Route tables and address workloads for the lpm benchmark.
 *
 * - `asnTable`: the real-world IPv4 table from `@ip-location-db/asn`
 *   (`asn-ipv4-num.csv`: `first,last,asn,organisation`, integer addresses,
 *   sorted by first address). Each range is split into the fewest aligned
 *   CIDRs covering it. Next hop = a dense id per ASN (ASNs go up to
 *   4294967294, beyond the 31-bit next-hop range). Ranges in the file barely
 *   overlap (one pair in the 2026 data); a CIDR produced twice keeps the later
 *   range's ASN (replace semantics), and nested CIDRs are left to
 *   longest-prefix match, which is what a router would do with them.
 * - `calicoTable`: a Calico-shaped table: N nodes, each with one /26 block
 *   (Calico's default block size) picked at random from 10.0.0.0/8 (Calico's
 *   IPAM claims blocks from a random start per host), next hop = node; plus a
 *   /32 for each borrowed pod (5% of 30 pods per node) at a random address of
 *   another node's block, next hop = the node that runs the pod.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Prefixes as parallel arrays (IPv4). */
export interface Prefixes {
  name: string;
  addrs: Uint32Array;
  lens: Uint8Array;
  nhs: Int32Array;
  count: number;
}

/** Deterministic xorshift32 generator (same workload in every run). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

class Builder {
  addrs: number[] = [];
  lens: number[] = [];
  nhs: number[] = [];
  push(a: number, len: number, nh: number): void {
    this.addrs.push(a >>> 0);
    this.lens.push(len);
    this.nhs.push(nh);
  }
  done(name: string): Prefixes {
    return { name, addrs: Uint32Array.from(this.addrs), lens: Uint8Array.from(this.lens), nhs: Int32Array.from(this.nhs), count: this.addrs.length };
  }
}

/** Splits the inclusive range first..last into aligned CIDRs. */
export function rangeToCidrs(first: number, last: number, emit: (addr: number, len: number) => void): void {
  let a = first;
  while (a <= last) {
    // The largest power of two dividing a (the whole space for 0).
    let size = a === 0 ? 2 ** 32 : (a & -a) >>> 0;
    while (size > last - a + 1) size /= 2;
    emit(a, 32 - Math.log2(size));
    a += size;
  }
}

/** The @ip-location-db/asn IPv4 table; `limit` caps the number of CIDRs. */
export function asnTable(limit = Infinity): Prefixes {
  const require = createRequire(import.meta.url);
  const csv = readFileSync(require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'), 'utf8');
  const ids = new Map<number, number>();
  const b = new Builder();
  let start = 0;
  while (start < csv.length && b.addrs.length < limit) {
    let end = csv.indexOf('\n', start);
    if (end === -1) end = csv.length;
    const c1 = csv.indexOf(',', start);
    const c2 = csv.indexOf(',', c1 + 1);
    const c3 = csv.indexOf(',', c2 + 1);
    if (c3 > 0 && c3 < end) {
      const first = Number(csv.slice(start, c1));
      const last = Number(csv.slice(c1 + 1, c2));
      const asn = Number(csv.slice(c2 + 1, c3));
      let id = ids.get(asn);
      if (id === undefined) ids.set(asn, (id = ids.size));
      rangeToCidrs(first, last, (a, len) => b.push(a, len, id));
    }
    start = end + 1;
  }
  return b.done(`asn-ipv4 (${b.addrs.length} prefixes, ${ids.size} ASNs)`);
}

/** A Calico-shaped table for `nodes` nodes (see the file comment). */
export function calicoTable(nodes: number, seed = 42): Prefixes {
  const r = rng(seed + nodes);
  const b = new Builder();
  const used = new Set<number>();
  const blocks: number[] = [];
  while (blocks.length < nodes) {
    const blk = r() & 0x3ffff; // 2^18 /26 blocks in a /8
    if (used.has(blk)) continue;
    used.add(blk);
    blocks.push(blk);
    b.push((10 << 24) | (blk << 6), 26, blocks.length - 1);
  }
  const borrowed = Math.round(nodes * 30 * 0.05);
  const hosts = new Set<number>();
  while (hosts.size < borrowed) {
    const owner = r() % nodes;
    const addr = ((10 << 24) | (blocks[owner] << 6) | (r() & 63)) >>> 0;
    if (hosts.has(addr)) continue;
    hosts.add(addr);
    b.push(addr, 32, (owner + 1 + (r() % (nodes - 1))) % nodes);
  }
  return b.done(`calico N=${nodes} (${nodes} /26 + ${borrowed} /32)`);
}

/** `n` uniformly random IPv4 addresses. */
export function randomAddrs(n: number, seed = 7): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

/** `n` addresses each inside a prefix of `p` picked uniformly at random. */
export function insideAddrs(p: Prefixes, n: number, seed = 11): Uint32Array {
  const r = rng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = r() % p.count;
    const len = p.lens[k];
    const host = len === 32 ? 0 : r() & (0xffffffff >>> len);
    out[i] = (p.addrs[k] | host) >>> 0;
  }
  return out;
}
