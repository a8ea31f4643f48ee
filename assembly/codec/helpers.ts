// Small exports for tests and for the TypeScript side: the flow hash, the
// port mapping and the Internet checksum, so the reference codec can be
// checked against exactly what the hot path computes.
import { flowHashEth } from "./flowhash";
import { srcPortFromHash } from "./flowhash";
import { checksum } from "./checksum";

/** Flow hash of the Ethernet frame at `p` (`len` bytes) with `seed`. */
export function codecFlowHash(p: usize, len: i32, seed: u32): u32 {
  if (len < 0 || <u64>p + <u64>len > (<u64>memory.size() << 16)) return 0;
  return flowHashEth(p, len, seed);
}

/** Linux udp_flow_src_port's mapping of `hash` into [min, max). */
export function codecSrcPort(hash: u32, min: i32, max: i32): i32 {
  return srcPortFromHash(hash, min, max);
}

/** Internet checksum of `len` bytes at `p` (as a big-endian number). */
export function codecChecksum(p: usize, len: i32): i32 {
  if (len < 0 || <u64>p + <u64>len > (<u64>memory.size() << 16)) return -1;
  return <i32>bswap<u16>(<u16>checksum(p, len));
}
