import { beforeAll, describe, expect, it } from 'vitest';
import { Codec, referenceEncap, resolveEncap } from '../src/codec/index.js';
import { writeEncapConfig } from '../src/codec/wasm.js';
import * as C from '../assembly/shared/codec.js';
import { innerFrame } from './support/frames.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

// codecEncapBatch(copy = 1) has its own payload copy (aligned v128 stores
// for 32..4096 bytes) and the VXLAN fast path reads the flow words at fixed
// offsets: both must give exactly the reference bytes for every length,
// every destination alignment and every kind of inner frame.
describe('codecEncapBatch with a copy (the benchmark path)', () => {
  it('writes the reference frame for all lengths, alignments and inner frame kinds', () => {
    const core = codec.core;
    const r = resolveEncap({ local: '10.0.0.1', remote: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', udpChecksum: false });
    const frames: Uint8Array[] = [];
    const lens = [0, 1, 13, 14, 20, 33, 37, 38, 39, 47, 48, 63, 64, 65, 79, 80, 81, 95, 255, 256, 257, 300, 511, 512, 1400, 1514, 4095, 4096, 4097, 9000];
    lens.forEach((len, k) => {
      const kinds = [
        innerFrame({ payload: 1400, sport: 1000 + k, dport: 53, src: 0x0a000001 + k, dst: 0x0a000002 }),
        innerFrame({ payload: 1400, proto: 6, sport: 80, dport: 80, src: 0x0a000009, dst: 0x0a000009, tos: 3, ttl: 9, df: true }),
        innerFrame({ payload: 1400, proto: 1, vlan: 7 }),
      ];
      for (const f of kinds) {
        const b = new Uint8Array(len);
        b.set(f.subarray(0, Math.min(len, f.length)));
        for (let i = f.length; i < len; i++) b[i] = (i * 7) & 0xff;
        frames.push(b);
      }
    });
    // A fragment (ports not hashed) and an IPv4 header with options (general path).
    const frag = innerFrame({ payload: 100 });
    frag[20] |= 0x20;
    frames.push(frag);
    const opts = innerFrame({ payload: 100 });
    opts[14] = 0x46;
    frames.push(opts);
    const cfg = core.alloc(C.ENC_BYTES);
    const table = core.alloc(frames.length * C.FE_BYTES);
    const srcs = frames.map((f) => core.alloc(f.length + 16) + (f.length % 7));
    const dsts = frames.map((f, i) => core.alloc(f.length + 80) + (i % 16));
    writeEncapConfig(core, cfg, r, 100);
    expect(codec.wasm.codecEncapPrepare(cfg)).toBe(C.ST_OK);
    const u8 = core.u8;
    const dv = new DataView(u8.buffer);
    frames.forEach((f, i) => {
      u8.set(f, srcs[i]);
      dv.setUint32(table + i * C.FE_BYTES, srcs[i], true);
      dv.setInt32(table + i * C.FE_BYTES + 4, f.length, true);
      dv.setUint32(table + i * C.FE_BYTES + 8, dsts[i], true);
    });
    codec.wasm.codecEncapBatch(cfg, table, frames.length, 1);
    let id = 100;
    frames.forEach((f, i) => {
      const st = core.i32[(table + i * C.FE_BYTES + 12) >> 2];
      const want = referenceEncap(f, r, id);
      if (want instanceof Uint8Array) {
        expect(st, `frame ${i} (${f.length} B)`).toBe(C.ST_OK);
        expect(Buffer.from(core.u8.subarray(dsts[i], dsts[i] + want.length)).equals(Buffer.from(want)), `frame ${i} (${f.length} B)`).toBe(true);
        id = (id + 1) & 0xffff;
      } else {
        expect(st, `frame ${i} (${f.length} B)`).toBe(want.status);
      }
    });
  });
});
