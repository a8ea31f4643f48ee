import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Codec, resolveEncap, writeEncapConfig, type EncapMode } from '../src/codec/index.js';
import * as C from '../assembly/shared/codec.js';
import { ipFrame, params } from './codec.arb.js';

let codec: Codec;
let region: number;
let table: number;
let cfg: number;
const REGION = 16384;
const MAX_FRAMES = 16;

beforeAll(async () => {
  codec = await Codec.create();
  region = codec.core.alloc(REGION);
  table = codec.core.alloc(MAX_FRAMES * C.FE_BYTES);
  cfg = codec.core.alloc(C.ENC_BYTES);
});

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
          const core = codec.core;
          const r = resolveEncap(p);
          const lens = frames.map((f) => f.length);
          const { src, dst } = place(lens, l);
          if (src.some((s, i) => s + lens[i] > REGION) || dst.some((d, i) => d + lens[i] + 50 > REGION)) return; // packed past the end
          const image = new Uint8Array(REGION);
          frames.forEach((f, i) => image.set(f, src[i]));
          const entries = new Uint8Array(frames.length * C.FE_BYTES);
          const dv = new DataView(entries.buffer);
          frames.forEach((f, i) => {
            dv.setUint32(i * C.FE_BYTES + C.FE_PTR * 4, region + src[i], true);
            dv.setInt32(i * C.FE_BYTES + C.FE_LEN * 4, f.length, true);
            dv.setUint32(i * C.FE_BYTES + C.FE_DST * 4, region + dst[i], true);
            dv.setInt32(i * C.FE_BYTES + C.FE_STATUS * 4, -1, true);
          });
          const run = (perEntry: boolean) => {
            core.u8.set(image, region);
            core.u8.set(entries, table);
            writeEncapConfig(core, cfg, r);
            expect(codec.wasm.codecEncapPrepare(cfg)).toBe(C.ST_OK);
            let ok = 0;
            if (perEntry) for (let i = 0; i < frames.length; i++) ok += codec.wasm.codecEncapBatch(cfg, table + i * C.FE_BYTES, 1, copy ? 1 : 0);
            else ok = codec.wasm.codecEncapBatch(cfg, table, frames.length, copy ? 1 : 0);
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
  // each frame and 128 bytes of table at once), and the count returned is
  // the number of entries marked OK.
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
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 24 }), params('vxlan', true), template, fc.boolean(), (entries, p, f, copy) => {
        const dv = new DataView(core.u8.buffer);
        entries.forEach((x, i) => {
          dv.setUint32(t + i * C.FE_BYTES + C.FE_PTR * 4, x.ptr >>> 0, true);
          dv.setInt32(t + i * C.FE_BYTES + C.FE_LEN * 4, x.len | 0, true);
          dv.setUint32(t + i * C.FE_BYTES + C.FE_DST * 4, x.dst >>> 0, true);
          if (x.ptr + f.length <= memEnd()) core.u8.set(f, x.ptr);
        });
        writeEncapConfig(core, cf, resolveEncap(p));
        c.wasm.codecEncapPrepare(cf);
        const ok = core.guard(() => c.wasm.codecEncapBatch(cf, t, entries.length, copy ? 1 : 0));
        expect(core.poisoned).toBe(false);
        const st = new DataView(core.u8.buffer);
        let marked = 0;
        for (let i = 0; i < entries.length; i++) if (st.getInt32(t + i * C.FE_BYTES + C.FE_STATUS * 4, true) === C.ST_OK) marked++;
        expect(ok).toBe(marked);
      }),
      { numRuns: 300 },
    );
  });
});
