/**
 * The WASM codec behind a strict wrapper: parameters are validated in
 * TypeScript (InputError) before any call, frames are copied into WASM
 * memory with headroom, and failures come back as typed DecodeErrors.
 */
import { createCore, type Core } from '../core/core.js';
import { InputError } from '../core/errors.js';
import * as C from '../../assembly/shared/codec.js';
import { resolveEncap, resolveDecap, innerFrameProblem, type EncapParams, type DecapOptions, type ResolvedEncap, type ResolvedDecap } from './params.js';
import { frameFromRecord, type DecodeResult, type DecodedFrame } from './frame.js';
import { DecodeError, CODEC_STATUS_NAMES, describeCodecStatus } from './status.js';

/** The codec's raw WASM exports (numbers and pointers). */
export interface CodecExports {
  codecEncapPrepare(cfg: number): number;
  codecEncap(cfg: number, inner: number, len: number): number;
  codecEncapCopy(cfg: number, src: number, len: number, dst: number): number;
  codecEncapBatch(cfg: number, table: number, n: number, copy: number): number;
  codecEncapBatchHashed(cfg: number, table: number, n: number, copy: number, hashes: number): number;
  codecCopyBatch(table: number, n: number, overhead: number): number;
  codecDecap(cfg: number, p: number, len: number, out: number): number;
  codecDecapBatch(cfg: number, table: number, n: number, out: number): number;
  codecFlowHash(p: number, len: number, seed: number): number;
  codecSrcPort(hash: number, min: number, max: number): number;
  codecChecksum(p: number, len: number): number;
}

/** Headroom left in front of each frame copied in (the largest overhead, 16-byte aligned). */
const HEADROOM = 64;

/** Options of batch encapsulation. */
export interface EncapBatchOptions {
  /**
   * The flow hash of each frame, as Linux `skb_get_hash` returns a hash
   * already on the skb (the sending socket's `sk_txhash`, a NIC's L4 RSS
   * hash, one the stack computed earlier):
   * used instead of hashing the inner flow, and mapped into the source-port
   * range as `udp_flow_src_port` maps any hash. 0 means what it means to
   * `udp_flow_src_port` (VXLAN hashes the inner Ethernet addresses). One per
   * frame; a fixed `srcPort` and IPIP ignore them. Default: none, the codec
   * computes each flow hash.
   */
  hashes?: Uint32Array;
}

/** Checks `opts.hashes` against `n` frames; returns it (or undefined). */
export function checkHashes(opts: EncapBatchOptions, n: number): Uint32Array | undefined {
  const h = opts.hashes;
  if (h === undefined) return undefined;
  if (!(h instanceof Uint32Array)) throw new InputError('InvalidHashes', String(h), 'a Uint32Array of flow hashes, one per frame');
  if (h.length !== n) throw new InputError('InvalidHashes', `${h.length} hashes`, `one per frame (${n})`);
  return h;
}

/** Writes an encapsulation config block at `cfg` (ENC_BYTES) from resolved parameters. */
export function writeEncapConfig(core: Core, cfg: number, r: ResolvedEncap, id = r.ipId): void {
  const u8 = core.u8;
  const dv = new DataView(u8.buffer, cfg, C.ENC_BYTES);
  u8.fill(0, cfg, cfg + C.ENC_BYTES);
  u8.set(r.dstMac, cfg + C.ENC_DST_MAC);
  u8.set(r.srcMac, cfg + C.ENC_SRC_MAC);
  dv.setUint32(C.ENC_SRC_IP, r.srcIp, true);
  dv.setUint32(C.ENC_DST_IP, r.dstIp, true);
  dv.setUint32(C.ENC_VNI, r.vni, true);
  dv.setUint32(C.ENC_DPORT, r.dstPort, true);
  dv.setInt32(C.ENC_PORT_MIN, r.portMin, true);
  dv.setInt32(C.ENC_PORT_MAX, r.portMax, true);
  dv.setUint32(C.ENC_TTL, r.ttl, true);
  dv.setUint32(C.ENC_TOS, r.tos, true);
  const flags =
    (r.df === 'set' ? C.ENC_F_DF : 0) | (r.df === 'inherit' ? C.ENC_F_DF_INHERIT : 0) | (r.udpChecksum ? C.ENC_F_UDP_CSUM : 0) |
    (r.srcPort >= 0 ? C.ENC_F_FIXED_SPORT : 0) | (r.ecn ? C.ENC_F_ECN : 0);
  dv.setUint32(C.ENC_FLAGS, flags, true);
  dv.setUint32(C.ENC_ID, id & 0xffff, true);
  dv.setUint32(C.ENC_SPORT, Math.max(r.srcPort, 0), true);
  dv.setUint32(C.ENC_SEED, r.hashSeed >>> 0, true);
  dv.setInt32(C.ENC_MODE, r.modeNumber, true);
}

/** Writes a decapsulation config block at `cfg` (DEC_BYTES). */
export function writeDecapConfig(core: Core, cfg: number, d: ResolvedDecap): void {
  const u8 = core.u8;
  u8.fill(0, cfg, cfg + C.DEC_BYTES);
  const dv = new DataView(u8.buffer, cfg, C.DEC_BYTES);
  dv.setInt32(C.DEC_MODE, d.modeNumber, true);
  dv.setUint32(C.DEC_FLAGS, d.flags, true);
  dv.setInt32(C.DEC_PORT_A, d.ports[0], true);
  dv.setInt32(C.DEC_PORT_B, d.ports[1], true);
  dv.setInt32(C.DEC_VNI_COUNT, d.vnis ? d.vnis.length : -1, true);
  d.vnis?.forEach((v, i) => dv.setUint32(C.DEC_VNIS + 4 * i, v, true));
}

/**
 * VXLAN / IPIP / Flannel-udp codec on a WASM core.
 *
 * ```ts
 * const codec = await Codec.create();
 * const outer = codec.encap(innerFrame, { local: '192.168.1.1', remote: '192.168.1.2', srcMac, dstMac });
 * const frame = codec.decap(outer);      // DecodedFrame, or throws DecodeError
 * ```
 */
export class Codec {
  /** The raw exports, for callers that lay out batches themselves (see bench/codec.ts). */
  readonly wasm: CodecExports;
  private readonly cfg: number;
  private scratch = 0;
  private scratchSize = 0;

  constructor(readonly core: Core) {
    this.wasm = core.exports as unknown as CodecExports;
    this.cfg = core.alloc(C.ENC_BYTES + C.DEC_BYTES + C.R_WORDS * 4);
  }

  /** A codec on a fresh core (or on `core`). */
  static async create(core?: Core): Promise<Codec> {
    return new Codec(core ?? (await createCore()));
  }

  private ensure(size: number): number {
    if (size > this.scratchSize) {
      if (this.scratch) this.core.free(this.scratch);
      this.scratchSize = Math.max(size, 2 * this.scratchSize, 4096);
      this.scratch = this.core.alloc(this.scratchSize);
    }
    return this.scratch;
  }

  /**
   * Encapsulates each inner Ethernet frame (in place in WASM memory, one
   * batch call). IPv4 IDs start at `params.ipId` and advance per frame;
   * `opts.hashes` gives each frame's flow hash instead of computing it.
   * Throws InputError (before any WASM call) if a frame cannot be encapsulated.
   */
  encapMany(frames: readonly Uint8Array[], params: EncapParams | ResolvedEncap, opts: EncapBatchOptions = {}): Uint8Array[] {
    const r = 'modeNumber' in params ? params : resolveEncap(params);
    const hashes = checkHashes(opts, frames.length);
    frames.forEach((f, i) => {
      const bad = innerFrameProblem(f, r);
      if (bad) throw new InputError(CODEC_STATUS_NAMES[bad.status], `frame ${i}`, `an inner frame that can be encapsulated (${describeCodecStatus(bad.status, bad.value)})`);
    });
    const n = frames.length;
    const slots = frames.map((f) => HEADROOM + ((f.length + 15) & ~15));
    const tableBytes = n * C.FE_BYTES;
    const hashBytes = hashes ? (n * 4 + 15) & ~15 : 0;
    const base = this.ensure(tableBytes + hashBytes + slots.reduce((a, b) => a + b, 0));
    this.encapConfig(r);
    const u8 = this.core.u8;
    const dv = new DataView(u8.buffer);
    if (hashes) this.core.u32.set(hashes, (base + tableBytes) >> 2);
    let p = base + tableBytes + hashBytes;
    const ptrs: number[] = [];
    frames.forEach((f, i) => {
      const inner = p + HEADROOM;
      u8.set(f, inner);
      dv.setUint32(base + i * C.FE_BYTES + C.FE_PTR * 4, inner, true);
      dv.setInt32(base + i * C.FE_BYTES + C.FE_LEN * 4, f.length, true);
      ptrs.push(inner);
      p += slots[i];
    });
    const ok = this.core.guard(() => (hashes ? this.wasm.codecEncapBatchHashed(this.cfg, base, n, 0, base + tableBytes) : this.wasm.codecEncapBatch(this.cfg, base, n, 0)));
    const mem = this.core.u8;
    const out = ptrs.map((inner, i) => {
      const st = new DataView(mem.buffer).getInt32(base + i * C.FE_BYTES + C.FE_STATUS * 4, true);
      if (st !== C.ST_OK) throw new DecodeError(st, 0, frames[i].length);
      return mem.slice(inner - r.overhead, inner + frames[i].length);
    });
    /* v8 ignore next */
    if (ok !== n) throw new Error(`codec: ${n - ok} frames failed after validation`);
    return out;
  }

  /** Encapsulates one inner Ethernet frame; see {@link encapMany}. */
  encap(inner: Uint8Array, params: EncapParams | ResolvedEncap): Uint8Array {
    return this.encapMany([inner], params)[0];
  }

  /** Writes `r` into this codec's encapsulation config and prepares its template; returns the config address. */
  encapConfig(r: ResolvedEncap): number {
    writeEncapConfig(this.core, this.cfg, r);
    this.core.guard(() => this.wasm.codecEncapPrepare(this.cfg));
    return this.cfg;
  }

  /** Writes `d` into this codec's decapsulation config; returns its address. */
  decapConfig(d: ResolvedDecap): number {
    writeDecapConfig(this.core, this.cfg + C.ENC_BYTES, d);
    return this.cfg + C.ENC_BYTES;
  }

  /** Decodes each frame (one batch call), a frame or a typed error per frame. */
  decodeMany(frames: readonly Uint8Array[], opts: DecapOptions | ResolvedDecap = {}): DecodeResult[] {
    const d = 'modeNumber' in opts ? opts : resolveDecap(opts);
    const n = frames.length;
    const tableBytes = n * C.FE_BYTES;
    const recBytes = n * C.R_WORDS * 4;
    const dataBytes = frames.reduce((a, f) => a + ((f.length + 15) & ~15), 0);
    const base = this.ensure(tableBytes + recBytes + dataBytes);
    this.decapConfig(d);
    const u8 = this.core.u8;
    const dv = new DataView(u8.buffer);
    let p = base + tableBytes + recBytes;
    frames.forEach((f, i) => {
      u8.set(f, p);
      dv.setUint32(base + i * C.FE_BYTES + C.FE_PTR * 4, p, true);
      dv.setInt32(base + i * C.FE_BYTES + C.FE_LEN * 4, f.length, true);
      p += (f.length + 15) & ~15;
    });
    this.core.guard(() => this.wasm.codecDecapBatch(this.cfg + C.ENC_BYTES, base, n, base + tableBytes));
    const i32 = this.core.i32;
    return frames.map((f, i) => {
      const at = (base + tableBytes + i * C.R_WORDS * 4) >> 2;
      return frameFromRecord(f, i32.subarray(at, at + C.R_WORDS), d.mode);
    });
  }

  /** Decodes one frame: a frame or a typed error. */
  decode(frame: Uint8Array, opts: DecapOptions | ResolvedDecap = {}): DecodeResult {
    return this.decodeMany([frame], opts)[0];
  }

  /** Decodes one frame, throwing the DecodeError on failure. */
  decap(frame: Uint8Array, opts: DecapOptions | ResolvedDecap = {}): DecodedFrame {
    const r = this.decode(frame, opts);
    if (!r.ok) throw r.error;
    return r.frame;
  }

  /** The raw R_WORDS record of one frame (tests compare it with the reference). */
  decapRecord(frame: Uint8Array, opts: DecapOptions | ResolvedDecap = {}): Int32Array {
    const d = 'modeNumber' in opts ? opts : resolveDecap(opts);
    const p = this.ensure(C.R_WORDS * 4 + frame.length + 16);
    const data = p + C.R_WORDS * 4;
    writeDecapConfig(this.core, this.cfg + C.ENC_BYTES, d);
    this.core.u8.set(frame, data);
    this.core.guard(() => this.wasm.codecDecap(this.cfg + C.ENC_BYTES, data, frame.length, p));
    return this.core.i32.slice(p >> 2, (p >> 2) + C.R_WORDS);
  }

  /** The flow hash WASM computes for an inner Ethernet frame. */
  flowHash(frame: Uint8Array, seed = 0): number {
    const p = this.ensure(frame.length + 16);
    this.core.u8.set(frame, p);
    return this.core.guard(() => this.wasm.codecFlowHash(p, frame.length, seed >>> 0)) >>> 0;
  }

  /** Releases the WASM memory this codec holds. */
  dispose(): void {
    if (this.scratch) this.core.free(this.scratch);
    this.core.free(this.cfg);
    this.scratch = 0;
    this.scratchSize = 0;
  }
}
