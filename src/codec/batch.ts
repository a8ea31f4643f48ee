/**
 * Frames that live in WASM memory: N slots with headroom, encapsulated in
 * place and decapsulated without copying in or out. For callers that
 * produce frames in bulk (the kernel model's simulated wires, benchmarks):
 * write each frame into its slot (`set`, or fill `view(i)` directly), then
 * one WASM call per batch.
 */
import * as C from '../../assembly/shared/codec.js';
import { InputError } from '../core/errors.js';
import type { Codec } from './wasm.js';
import { resolveEncap, resolveDecap, innerFrameProblem, type EncapParams, type ResolvedEncap, type DecapOptions, type ResolvedDecap } from './params.js';
import { frameFromRecord, type DecodeResult } from './frame.js';
import { CODEC_STATUS_NAMES, describeCodecStatus } from './status.js';

/** Headroom in front of every slot: room for the largest overhead (50), 16-byte aligned. */
const HEADROOM = 64;

/**
 * A fixed set of frame slots in one codec's WASM memory. Each slot holds one
 * frame of at most `maxFrame` bytes before encapsulation: 1514 by default
 * (an Ethernet frame without FCS at a 1500-byte MTU). Larger frames (jumbo
 * frames, GRO-merged captures) need a batch made with a larger `maxFrame`,
 * up to 65535; `set` refuses a frame longer than the slot (FrameTooLong,
 * naming the frame, its length and the slot size).
 */
export class FrameBatch {
  /** Most bytes a frame may have in a slot (before encapsulation); the constructor's `maxFrame`. */
  readonly maxFrame: number;
  private readonly slot: number;
  private readonly base: number;
  private readonly table: number;
  private readonly records: number;
  private readonly lens: number[] = [];
  private readonly offs: number[] = [];
  private disposed = false;

  /** `capacity` slots of up to `maxFrame` bytes each (default 1514, an Ethernet frame without FCS; at most 65535). */
  constructor(readonly codec: Codec, readonly capacity: number, maxFrame = 1514) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) throw new InputError('InvalidCapacity', String(capacity), 'an integer 1..1048576');
    if (!Number.isInteger(maxFrame) || maxFrame < 14 || maxFrame > 65535) throw new InputError('InvalidMaxFrame', String(maxFrame), 'an integer 14..65535');
    this.maxFrame = maxFrame;
    this.slot = HEADROOM + ((maxFrame + 15) & ~15);
    this.base = codec.core.alloc(capacity * this.slot);
    this.table = codec.core.alloc(capacity * C.FE_BYTES);
    this.records = codec.core.alloc(capacity * C.R_WORDS * 4);
  }

  /** Number of frames set so far (slots 0..count-1 are processed). */
  get count(): number {
    return this.lens.length;
  }

  private check(i: number): void {
    if (this.disposed) throw new InputError('BatchDisposed', 'FrameBatch', 'a batch that has not been disposed');
    if (!Number.isInteger(i) || i < 0 || i >= this.capacity) throw new InputError('InvalidSlot', String(i), `a slot 0..${this.capacity - 1}`);
  }

  /** Copies `frame` into slot `i` (i <= count) and makes it the current frame there; at most {@link maxFrame} bytes. */
  set(i: number, frame: Uint8Array): void {
    this.check(i);
    if (i > this.lens.length) throw new InputError('InvalidSlot', String(i), `slots filled in order, next is ${this.lens.length}`);
    if (frame.length > this.maxFrame) {
      throw new InputError('FrameTooLong', `frame ${i}: ${frame.length} bytes`, `at most ${this.maxFrame} bytes, the slot size of this FrameBatch (new FrameBatch(codec, capacity, maxFrame) takes a maxFrame up to 65535)`);
    }
    this.codec.core.u8.set(frame, this.base + i * this.slot + HEADROOM);
    this.lens[i] = frame.length;
    this.offs[i] = HEADROOM;
  }

  /** The current bytes of slot `i` as a view into WASM memory (valid until memory grows). */
  view(i: number): Uint8Array {
    this.check(i);
    const at = this.base + i * this.slot + this.offs[i];
    return this.codec.core.u8.subarray(at, at + this.lens[i]);
  }

  private fillTable(): void {
    const dv = new DataView(this.codec.core.u8.buffer);
    for (let i = 0; i < this.lens.length; i++) {
      dv.setUint32(this.table + i * C.FE_BYTES, this.base + i * this.slot + this.offs[i], true);
      dv.setInt32(this.table + i * C.FE_BYTES + 4, this.lens[i], true);
    }
  }

  /**
   * Encapsulates every frame in place (one WASM call): afterwards `view(i)`
   * is the outer frame. Frames are validated first; nothing changes if one
   * cannot be encapsulated (InputError naming the slot).
   */
  encap(params: EncapParams | ResolvedEncap): void {
    const r = 'modeNumber' in params ? params : resolveEncap(params);
    for (let i = 0; i < this.lens.length; i++) {
      if (this.offs[i] < r.overhead) throw new InputError('NoHeadroom', `slot ${i}`, 'a frame that has not been encapsulated already');
      const bad = innerFrameProblem(this.view(i), r);
      if (bad) throw new InputError(CODEC_STATUS_NAMES[bad.status], `slot ${i}`, describeCodecStatus(bad.status, bad.value));
    }
    this.fillTable();
    const cfg = this.codec.encapConfig(r);
    this.codec.core.guard(() => this.codec.wasm.codecEncapBatch(cfg, this.table, this.lens.length, 0));
    for (let i = 0; i < this.lens.length; i++) {
      this.offs[i] -= r.overhead;
      this.lens[i] += r.overhead;
    }
  }

  /** Decodes every frame where it lies (one WASM call): a frame or a typed error each. */
  decode(opts: DecapOptions | ResolvedDecap = {}): DecodeResult[] {
    const d = 'modeNumber' in opts ? opts : resolveDecap(opts);
    this.fillTable();
    const cfg = this.codec.decapConfig(d);
    const n = this.lens.length;
    this.codec.core.guard(() => this.codec.wasm.codecDecapBatch(cfg, this.table, n, this.records));
    const i32 = this.codec.core.i32;
    return this.lens.map((_, i) => {
      const at = (this.records >> 2) + i * C.R_WORDS;
      return frameFromRecord(this.view(i), i32.subarray(at, at + C.R_WORDS), d.mode);
    });
  }

  /** Forgets all frames (slots are reused). */
  clear(): void {
    this.lens.length = 0;
    this.offs.length = 0;
  }

  /** Frees the slots. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.codec.core.free(this.base);
    this.codec.core.free(this.table);
    this.codec.core.free(this.records);
  }
}
