// Batch encapsulation: N frames described by a frame table (FE_* words) in
// one call, each frame's status written back. VXLAN batches take eight
// frames at a time through vxlan-batch.ts where all eight allow it, and go
// frame by frame (encapOne in encap.ts) otherwise.

import {
  MODE_VXLAN, MODE_IPIP, ST_OK, ST_NO_HEADROOM, ST_OUT_OF_BOUNDS, ST_BAD_MODE,
  ENC_DPORT, ENC_PORT_MIN, ENC_PORT_MAX, ENC_TTL, ENC_TOS, ENC_FLAGS, ENC_ID, ENC_SPORT, ENC_SEED, ENC_MODE, ENC_TEMPLATE,
  ENC_F_DF, ENC_F_DF_INHERIT, ENC_F_UDP_CSUM, ENC_F_FIXED_SPORT, ENC_F_ECN,
  FE_BYTES, FE_PTR, FE_LEN, FE_DST, FE_STATUS,
} from "../shared/codec";
import { overheadOf, headerLenOf, memBytes, encapOne, finishUdp, TEMPLATE_SUM } from "./encap";
import { vxlanBatchSetup, vxlanEncap8 } from "./vxlan-batch";
import { copyPayload } from "./copy";

/**
 * Batch: `n` entries of the frame table at `table` (FE_* words). `copy` = 0
 * encapsulates each frame in place, 1 copies to its FE_DST. Writes each
 * status to FE_STATUS and returns how many frames succeeded (-1 when the
 * table does not lie in memory).
 */
export function codecEncapBatch(cfg: usize, table: usize, n: i32, copy: i32): i32 {
  const mem = memBytes();
  if (n < 0 || <u64>table + <u64>n * FE_BYTES > mem) return -1;
  const mode = load<i32>(cfg, ENC_MODE);
  // The loop is inlined with constant mode/copy for VXLAN (the hot case),
  // so the optimizer drops the per-frame mode branches.
  if (mode == MODE_VXLAN) return copy != 0 ? batchLoop(cfg, table, n, 1, MODE_VXLAN, mem, true, 0, false) : batchLoop(cfg, table, n, 0, MODE_VXLAN, mem, true, 0, false);
  return batchLoop(cfg, table, n, copy, mode, mem, false, 0, false);
}

/**
 * codecEncapBatch with the caller's flow hash of each frame: `hashes` holds
 * `n` u32s, entry i's at `hashes + 4 * i`, each what Linux skb_get_hash
 * returns for a skb that already carries a hash (set from the sending
 * socket's sk_txhash, a NIC's L4 RSS hash, or one computed earlier in the
 * stack: include/linux/skbuff.h, skb_get_hash runs the flow dissector only
 * when neither l4_hash nor sw_hash is set): it is used as
 * is, without the flow dissector, and mapped into the source-port range as
 * udp_flow_src_port maps any hash. A hash of 0 takes udp_flow_src_port's
 * `!hash` branch (VXLAN: the Ethernet-address hash). A fixed source port
 * (ENC_F_FIXED_SPORT) and IPIP ignore the hashes.
 */
export function codecEncapBatchHashed(cfg: usize, table: usize, n: i32, copy: i32, hashes: usize): i32 {
  const mem = memBytes();
  if (n < 0 || <u64>table + <u64>n * FE_BYTES > mem || <u64>hashes + <u64>n * 4 > mem) return -1;
  const mode = load<i32>(cfg, ENC_MODE);
  if (mode == MODE_VXLAN) return copy != 0 ? batchLoop(cfg, table, n, 1, MODE_VXLAN, mem, true, hashes, true) : batchLoop(cfg, table, n, 0, MODE_VXLAN, mem, true, hashes, true);
  return batchLoop(cfg, table, n, copy, mode, mem, false, hashes, true);
}

// @ts-ignore: decorator
@inline
function batchLoop(cfg: usize, table: usize, n: i32, copy: i32, mode: i32, mem: u64, vxlan8: bool, hashes: usize, given: bool): i32 {
  const ov = overheadOf(mode);
  const flags = load<u32>(cfg, ENC_FLAGS);
  const ttl = load<u32>(cfg, ENC_TTL);
  const tos = load<u32>(cfg, ENC_TOS);
  const sport = load<u32>(cfg, ENC_SPORT);
  const seed = load<u32>(cfg, ENC_SEED);
  const pmin = load<i32>(cfg, ENC_PORT_MIN);
  const pmax = load<i32>(cfg, ENC_PORT_MAX);
  const csum = mode != MODE_IPIP && (flags & ENC_F_UDP_CSUM) != 0;
  // The template is read once per batch, like the other config words.
  const t0 = v128.load(cfg + ENC_TEMPLATE);
  const t1 = v128.load(cfg + ENC_TEMPLATE, 16);
  const t2 = v128.load(cfg + ENC_TEMPLATE, 32);
  const ttail = <u32>load<u16>(cfg + ENC_TEMPLATE, 48);
  const tsum = load<u32>(cfg + TEMPLATE_SUM);
  let id = load<u32>(cfg, ENC_ID);
  let ok = 0;
  let i = 0;
  if (vxlan8 && n >= 8) {
    // Eight frames at a time where all eight take the fast path (vxlan-batch.ts).
    const local = pmin >= pmax;
    const hash = (flags & ENC_F_FIXED_SPORT) == 0;
    // With a fixed port the caller's hashes are not read: the port does not depend on them.
    const laneGiven = given && hash;
    vxlanBatchSetup(cfg + ENC_TEMPLATE, ttl, tos, (flags & ENC_F_ECN) != 0, (flags & ENC_F_DF) != 0, (flags & ENC_F_DF_INHERIT) != 0,
      seed, local ? 32768 : <u32>pmin, local ? 60999 : <u32>pmax, hash ? -1 : <i32>(sport & 0xffff), load<u32>(cfg, ENC_DPORT),
      mem > 0xffff0000 ? <u32>0xffff0000 : <u32>mem);
    for (; i + 8 <= n; i += 8) {
      const e = table + <usize>i * FE_BYTES;
      if (vxlanEncap8(e, copy != 0, id, hash, laneGiven, hashes + <usize>i * 4)) {
        if (csum) {
          for (let k = 0; k < 8; k++) {
            const f = e + <usize>k * FE_BYTES;
            finishUdp(cfg, copy != 0 ? <usize>load<u32>(f, FE_DST << 2) : <usize>load<u32>(f, FE_PTR << 2) - 50);
          }
        }
        ok += 8;
        id = (id + 8) & 0xffff;
        continue;
      }
      for (let k = 0; k < 8; k++) {
        const st = encapEntry(cfg, e + <usize>k * FE_BYTES, t0, t1, t2, ttail, tsum, mode, copy, csum, flags, ttl, tos, sport, seed, pmin, pmax, id, mem, given, hashes + <usize>(i + k) * 4);
        if (st == ST_OK) {
          ok++;
          id = (id + 1) & 0xffff;
        }
      }
    }
  }
  for (; i < n; i++) {
    const st = encapEntry(cfg, table + <usize>i * FE_BYTES, t0, t1, t2, ttail, tsum, mode, copy, csum, flags, ttl, tos, sport, seed, pmin, pmax, id, mem, given, hashes + <usize>i * 4);
    if (st == ST_OK) {
      ok++;
      id = (id + 1) & 0xffff;
    }
  }
  store<u32>(cfg, id, ENC_ID);
  return ok;
}

/**
 * One table entry, frame by frame: checks, encapsulation, copy, UDP
 * checksum; writes and returns its status. `given`: the frame's hash is the
 * u32 at `hp`, read at the frame's turn (after the frames before it were written).
 */
// @ts-ignore: decorator
@inline
function encapEntry(cfg: usize, e: usize, t0: v128, t1: v128, t2: v128, ttail: u32, tsum: u32, mode: i32, copy: i32, csum: bool,
  flags: u32, ttl: u32, tos: u32, sport: u32, seed: u32, pmin: i32, pmax: i32, id: u32, mem: u64, given: bool, hp: usize): i32 {
  const ov = overheadOf(mode);
  const hdr = headerLenOf(mode);
  const p = <usize>load<u32>(e, FE_PTR << 2);
  const len = load<i32>(e, FE_LEN << 2);
  let st: i32;
  if (ov == 0) st = ST_BAD_MODE;
  else if (len < 0 || <u64>p + <u64>len > mem) st = ST_OUT_OF_BOUNDS;
  else if (copy != 0) {
    const d = <usize>load<u32>(e, FE_DST << 2);
    if (<u64>d + <u64>len + <u64>ov > mem) st = ST_OUT_OF_BOUNDS;
    else {
      st = encapOne(cfg, t0, t1, t2, ttail, tsum, mode, flags, ttl, tos, sport, seed, pmin, pmax, id, p, len, d, given, given ? load<u32>(hp) : 0);
      if (st == ST_OK) {
        if (mode == MODE_VXLAN) copyPayload(d + 50, p, len);
        else copyPayload(d + <usize>hdr, p + 14, len - 14);
        if (csum) finishUdp(cfg, d);
      }
    }
  } else if (p < <usize>ov) st = ST_NO_HEADROOM;
  else {
    st = encapOne(cfg, t0, t1, t2, ttail, tsum, mode, flags, ttl, tos, sport, seed, pmin, pmax, id, p, len, p - <usize>ov, given, given ? load<u32>(hp) : 0);
    if (st == ST_OK && csum) finishUdp(cfg, p - <usize>ov);
  }
  store<i32>(e, st, FE_STATUS << 2);
  return st;
}

/** Bandwidth baseline for the benchmark: memory.copy of each entry's bytes to FE_DST + overhead. */
export function codecCopyBatch(table: usize, n: i32, overhead: i32): i32 {
  if (n < 0 || <u64>table + <u64>n * FE_BYTES > memBytes()) return -1;
  for (let i = 0; i < n; i++) {
    const e = table + <usize>i * FE_BYTES;
    const p = <usize>load<u32>(e, FE_PTR << 2);
    const len = load<i32>(e, FE_LEN << 2);
    const d = <usize>load<u32>(e, FE_DST << 2);
    if (len < 0 || <u64>p + <u64>len > memBytes() || <u64>d + <u64>overhead + <u64>len > memBytes()) return -1;
    memory.copy(d + <usize>overhead, p, <usize>len);
  }
  return n;
}
