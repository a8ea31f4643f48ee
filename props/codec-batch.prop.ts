import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Codec, referenceEncap, resolveEncap, type EncapMode } from '../src/codec/index.js';
import { writeEncapConfig } from '../src/codec/wasm.js';
import * as C from '../assembly/shared/codec.js';
import { ipFrame, params } from './codec.arb.js';

let codec: Codec;
let region: number;
let table: number;
let cfg: number;
let column: number;
const REGION = 16384;
const MAX_FRAMES = 16;

beforeAll(async () => {
  codec = await Codec.create();
  region = codec.core.alloc(REGION);
  table = codec.core.alloc(MAX_FRAMES * C.FE_BYTES);
  cfg = codec.core.alloc(C.ENC_BYTES);
  column = codec.core.alloc(MAX_FRAMES * 4);
});

/** Parameters for the hashed batch: mostly a hashed source port (a fixed one ignores the hashes). */
const hashedParams = (m: EncapMode) => fc.oneof({ weight: 5, arbitrary: params(m) }, { weight: 1, arbitrary: params(m, true) });

/** A caller's flow hash: mostly any u32, sometimes 0 (udp_flow_src_port's `!hash` branch). */
const skbHash = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) }, { weight: 1, arbitrary: fc.constant(0) });

/** Mostly frames the eight-frame VXLAN path takes (some fragments), some it must hand back (tagged, short, not IPv4). */
const frame = fc.oneof(
  { weight: 12, arbitrary: ipFrame(false, 200, true) },
  { weight: 1, arbitrary: ipFrame(true, 200) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }) },
);

/**
 * Where the frames and their outputs lie in the region: one after another
 * with `gap` bytes between (in place, 50 and more leave the headroom free),
 * optionally in reverse order, or anywhere (overlapping one another).
 */
const layout = fc.record({
  kind: fc.constantFrom('packed', 'reversed', 'anywhere'),
  gap: fc.integer({ min: 30, max: 90 }),
  seeds: fc.array(fc.nat(), { minLength: 2 * MAX_FRAMES, maxLength: 2 * MAX_FRAMES }),
});

function place(lens: number[], l: { kind: string; gap: number; seeds: number[] }): { src: number[]; dst: number[] } {
  const half = REGION / 2;
  if (l.kind === 'anywhere') {
    return {
      src: lens.map((n, i) => l.seeds[i] % (REGION - n + 1)),
      dst: lens.map((n, i) => l.seeds[MAX_FRAMES + i] % (REGION - n - 50 + 1)),
    };
  }
  const src: number[] = [];
  const dst: number[] = [];
  let s = l.gap;
  let d = half;
  for (const n of lens) {
    src.push(s);
    dst.push(d);
    s += n + l.gap;
    d += n + 50 + l.gap - 30;
  }
  if (l.kind === 'reversed') {
    src.reverse();
    dst.reverse();
  }
  return { src, dst };
}

/** The frame table for frames of `lens` bytes at region offsets `src`, outputs at `dst`, statuses unset. */
function frameTable(lens: number[], src: number[], dst: number[]): Uint8Array {
  const entries = new Uint8Array(lens.length * C.FE_BYTES);
  const dv = new DataView(entries.buffer);
  lens.forEach((n, i) => {
    dv.setUint32(i * C.FE_BYTES + C.FE_PTR * 4, region + src[i], true);
    dv.setInt32(i * C.FE_BYTES + C.FE_LEN * 4, n, true);
    dv.setUint32(i * C.FE_BYTES + C.FE_DST * 4, region + dst[i], true);
    dv.setInt32(i * C.FE_BYTES + C.FE_STATUS * 4, -1, true);
  });
  return entries;
}

/**
 * Encapsulates the table's entries as one batch and as one call per entry
 * (`encap(first, count)`), each from the same region image and table
 * (`prepare` sets anything else first), and expects the same memory,
 * statuses, count and next IPv4 ID.
 */
function expectBatchAsSingles(image: Uint8Array, entries: Uint8Array, r: ReturnType<typeof resolveEncap>, prepare: () => void, encap: (first: number, count: number) => number): void {
  const core = codec.core;
  const n = entries.length / C.FE_BYTES;
  const run = (perEntry: boolean) => {
    core.u8.set(image, region);
    core.u8.set(entries, table);
    prepare();
    writeEncapConfig(core, cfg, r);
    expect(codec.wasm.codecEncapPrepare(cfg)).toBe(C.ST_OK);
    let ok = 0;
    if (perEntry) for (let i = 0; i < n; i++) ok += encap(i, 1);
    else ok = encap(0, n);
    const u8 = core.u8;
    return {
      ok,
      id: new DataView(u8.buffer).getUint32(cfg + C.ENC_ID, true),
      memory: Buffer.from(u8.slice(region, region + REGION)).toString('hex'),
      statuses: Array.from(new Int32Array(u8.slice(table, table + entries.length).buffer)).filter((_, k) => k % 4 === C.FE_STATUS),
    };
  };
  const batch = run(false);
  const single = run(true);
  expect(batch.statuses).toEqual(single.statuses);
  expect(batch.ok).toBe(single.ok);
  expect(batch.id).toBe(single.id);
  expect(batch.memory === single.memory, 'memory differs').toBe(true);
}

describe('codecEncapBatch properties', () => {
  // Why this test? The batch encapsulates eight VXLAN frames at a time
  // (assembly/codec/vxlan-batch.ts) where all eight qualify, and frame by frame
  // otherwise. Whatever the frames, parameters and layout (frames and outputs
  // overlapping included), a batch must leave memory, statuses, its count and
  // the next IPv4 ID exactly as the same entries do, one call each.
  it('a batch writes exactly what one call per entry writes, in place and with a copy', () => {
    const modes = fc.constantFrom<EncapMode>('vxlan', 'vxlan', 'vxlan', 'ipip', 'flannel-udp');
    fc.assert(
      fc.property(
        modes.chain((m) => fc.tuple(params(m, true), fc.array(frame, { maxLength: MAX_FRAMES }), layout, fc.boolean())),
        ([p, frames, l, copy]) => {
          const r = resolveEncap(p);
          const lens = frames.map((f) => f.length);
          const { src, dst } = place(lens, l);
          if (src.some((s, i) => s + lens[i] > REGION) || dst.some((d, i) => d + lens[i] + 50 > REGION)) return; // packed past the end
          const image = new Uint8Array(REGION);
          frames.forEach((f, i) => image.set(f, src[i]));
          const entries = frameTable(lens, src, dst);
          expectBatchAsSingles(image, entries, r, () => {}, (at, n) => codec.wasm.codecEncapBatch(cfg, table + at * C.FE_BYTES, n, copy ? 1 : 0));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("codecEncapBatchHashed properties (the caller's flow hashes)", () => {
  // Why this test? With the caller's hashes the eight-frame path reads
  // eight hashes before writing any frame, and hands a group with a hash of
  // 0 to the frame-by-frame path. Wherever the hashes lie (in their own
  // column, or inside the frames' bytes, where earlier frames overwrite
  // them), a batch must leave memory, statuses, its count and the next ID
  // exactly as one call per entry does.
  it('a batch writes exactly what one call per entry writes, in place and with a copy', () => {
    const modes = fc.constantFrom<EncapMode>('vxlan', 'vxlan', 'vxlan', 'ipip', 'flannel-udp');
    // Their own column, anywhere in the region, or just in front of (or over) a frame's source or destination.
    const where = fc.record({ kind: fc.constantFrom('column', 'anywhere', 'src', 'src', 'dst', 'dst'), k: fc.nat({ max: MAX_FRAMES - 1 }), d: fc.integer({ min: -64, max: 16 }), any: fc.nat({ max: REGION - 4 * MAX_FRAMES }) });
    fc.assert(
      fc.property(
        modes.chain((m) => fc.tuple(hashedParams(m), fc.array(frame, { maxLength: MAX_FRAMES, size: 'max' }), layout, fc.boolean(), fc.array(skbHash, { minLength: MAX_FRAMES, maxLength: MAX_FRAMES }), where)),
        ([p, frames, l, copy, hashes, w]) => {
          const core = codec.core;
          const r = resolveEncap(p);
          const lens = frames.map((f) => f.length);
          const { src, dst } = place(lens, l);
          if (src.some((s, i) => s + lens[i] > REGION) || dst.some((d, i) => d + lens[i] + 50 > REGION)) return;
          const image = new Uint8Array(REGION);
          frames.forEach((f, i) => image.set(f, src[i]));
          // The hashes in their own column, or at `at` in the region, over whatever frames lie there.
          const near = w.kind === 'src' ? src[w.k % Math.max(1, src.length)] : w.kind === 'dst' ? dst[w.k % Math.max(1, dst.length)] : undefined;
          const at = w.kind === 'column' ? -1 : Math.min(Math.max(0, (near ?? w.any) + w.d), REGION - 4 * MAX_FRAMES) & ~3;
          const hp = at < 0 ? column : region + at;
          if (at >= 0) new Uint32Array(image.buffer, at, MAX_FRAMES).set(hashes);
          const entries = frameTable(lens, src, dst);
          const prepare = () => void (at < 0 && core.u32.set(hashes, column >> 2));
          expectBatchAsSingles(image, entries, r, prepare, (i, n) => codec.wasm.codecEncapBatchHashed(cfg, table + i * C.FE_BYTES, n, copy ? 1 : 0, hp + 4 * i));
        },
      ),
      { numRuns: 300 },
    );
  });

  // Why this test? The slow TypeScript reference takes the same hash
  // (referenceEncap's skbHash): for frames laid out as a NIC ring, mostly
  // ones the eight-frame path takes (so whole groups go through the v128
  // lanes) and some it hands back (802.1Q-tagged), with hashes of 0 among
  // them, WASM must
  // write the reference's bytes for every frame.
  it("WASM equals the reference with the caller's hashes, in place and with a copy", () => {
    const modes = fc.constantFrom<EncapMode>('vxlan', 'vxlan', 'vxlan', 'vxlan', 'ipip', 'flannel-udp');
    const core = codec.core;
    fc.assert(
      fc.property(
        modes.chain((m) => fc.tuple(hashedParams(m), fc.array(fc.oneof({ weight: 20, arbitrary: ipFrame(false, 200, true) }, { weight: 1, arbitrary: ipFrame(m === 'vxlan', 200) }), { minLength: 1, maxLength: MAX_FRAMES, size: 'max' }), fc.boolean(), fc.array(fc.oneof({ weight: 40, arbitrary: fc.integer({ min: 1, max: 0xffffffff }) }, { weight: 1, arbitrary: fc.constant(0) }), { minLength: MAX_FRAMES, maxLength: MAX_FRAMES }))),
        ([p, frames, copy, hashes]) => {
          const r = resolveEncap(p);
          const slot = 64 + 256;
          const dv = new DataView(core.u8.buffer);
          frames.forEach((f, i) => {
            const s = region + slot * i + 64;
            core.u8.set(f, s);
            dv.setUint32(table + i * C.FE_BYTES + C.FE_PTR * 4, s, true);
            dv.setInt32(table + i * C.FE_BYTES + C.FE_LEN * 4, f.length, true);
            dv.setUint32(table + i * C.FE_BYTES + C.FE_DST * 4, region + REGION / 2 + slot * i, true);
          });
          core.u32.set(hashes.slice(0, frames.length), column >> 2);
          writeEncapConfig(core, cfg, r);
          expect(codec.wasm.codecEncapPrepare(cfg)).toBe(C.ST_OK);
          expect(codec.wasm.codecEncapBatchHashed(cfg, table, frames.length, copy ? 1 : 0, column)).toBe(frames.length);
          frames.forEach((f, i) => {
            const want = referenceEncap(f, r, (r.ipId + i) & 0xffff, hashes[i]) as Uint8Array;
            const at = copy ? region + REGION / 2 + slot * i : region + slot * i + 64 - r.overhead;
            expect(Buffer.from(core.u8.subarray(at, at + want.length)).toString('hex'), `frame ${i}`).toBe(Buffer.from(want).toString('hex'));
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('codecEncapBatch on wild tables', () => {
  // Why this test? The table comes from the caller: pointers, lengths and
  // destinations may be anything, near the ends of memory included. No
  // entry may trap the instance (the eight-frame path reads 42 bytes into
  // each frame and 128 bytes of table at once, and 32 bytes of the caller's
  // hashes), and the count returned is the number of entries marked OK; a
  // hash column that does not fit in memory is refused whole (-1).
  it('never traps, whatever the entries', async () => {
    const { createCore } = await import('../src/core/core.js');
    const core = await createCore(); // its own instance: wild writes land anywhere in it
    const c = new Codec(core);
    const t = core.alloc(24 * C.FE_BYTES);
    const cf = core.alloc(C.ENC_BYTES);
    const template = ipFrame(false, 64);
    const memEnd = () => core.u8.length;
    const addr = fc.oneof(
      fc.nat({ max: 0xffffffff }),
      fc.integer({ min: -200, max: 200 }).map((d) => Math.max(0, memEnd() + d)),
      fc.nat({ max: 200 }),
    );
    const entry = fc.record({ ptr: addr, len: fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.nat({ max: 0x7fffffff })), dst: addr });
    // The caller's hash column may be anywhere too (or absent: codecEncapBatch).
    const column = fc.option(addr, { nil: undefined });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 24 }), params('vxlan', true), template, fc.boolean(), column, (entries, p, f, copy, hp) => {
        const dv = new DataView(core.u8.buffer);
        entries.forEach((x, i) => {
          dv.setUint32(t + i * C.FE_BYTES + C.FE_PTR * 4, x.ptr >>> 0, true);
          dv.setInt32(t + i * C.FE_BYTES + C.FE_LEN * 4, x.len | 0, true);
          dv.setUint32(t + i * C.FE_BYTES + C.FE_DST * 4, x.dst >>> 0, true);
          if (x.ptr + f.length <= memEnd()) core.u8.set(f, x.ptr);
        });
        writeEncapConfig(core, cf, resolveEncap(p));
        c.wasm.codecEncapPrepare(cf);
        for (let i = 0; i < entries.length; i++) dv.setInt32(t + i * C.FE_BYTES + C.FE_STATUS * 4, -1, true);
        const ok = core.guard(() =>
          hp === undefined ? c.wasm.codecEncapBatch(cf, t, entries.length, copy ? 1 : 0) : c.wasm.codecEncapBatchHashed(cf, t, entries.length, copy ? 1 : 0, hp >>> 0),
        );
        expect(core.poisoned).toBe(false);
        if (hp !== undefined && hp + 4 * entries.length > memEnd()) {
          expect(ok).toBe(-1); // refused before any entry is touched
          for (let i = 0; i < entries.length; i++) expect(new DataView(core.u8.buffer).getInt32(t + i * C.FE_BYTES + C.FE_STATUS * 4, true)).toBe(-1);
          return;
        }
        const st = new DataView(core.u8.buffer);
        let marked = 0;
        for (let i = 0; i < entries.length; i++) if (st.getInt32(t + i * C.FE_BYTES + C.FE_STATUS * 4, true) === C.ST_OK) marked++;
        expect(ok).toBe(marked);
      }),
      { numRuns: 300 },
    );
  });
});
