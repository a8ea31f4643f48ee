import { beforeAll, describe, expect, it } from 'vitest';
import { Codec, referenceEncap, resolveEncap, writeEncapConfig, type EncapParams, type ResolvedEncap } from '../src/codec/index.js';
import * as C from '../assembly/shared/codec.js';
import { fixIpChecksum, innerFrame } from './support/frames.js';
import { flowHashIPv4, jhash3 } from '../src/codec/flowhash.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

/**
 * Copies `frames` to `ptrs`, fills their entries of the table at `table`
 * (FE_DST from `dsts`, when given), and writes and prepares the config.
 */
function lay(c: Codec, cfg: number, table: number, frames: Uint8Array[], ptrs: number[], r: ResolvedEncap, dsts?: number[]): void {
  const dv = new DataView(c.core.u8.buffer);
  frames.forEach((f, i) => {
    c.core.u8.set(f, ptrs[i]);
    dv.setUint32(table + i * C.FE_BYTES + C.FE_PTR * 4, ptrs[i], true);
    dv.setInt32(table + i * C.FE_BYTES + C.FE_LEN * 4, f.length, true);
    if (dsts) dv.setUint32(table + i * C.FE_BYTES + C.FE_DST * 4, dsts[i], true);
  });
  writeEncapConfig(c.core, cfg, r);
  expect(c.wasm.codecEncapPrepare(cfg)).toBe(C.ST_OK);
}

/** Sets MF and/or a fragment offset on the IPv4 header at 14. */
function fragment(f: Uint8Array, bits: number): Uint8Array {
  f[20] |= bits >> 8;
  f[21] |= bits & 0xff;
  return fixIpChecksum(f);
}

/**
 * Frames that all take the eight-frame VXLAN path (untagged IPv4, IHL 5,
 * 38..65499 bytes), chosen to reach every branch of its lane arithmetic:
 * the address/port order of the flow hash (equal addresses, equal ports),
 * fragments (ports not hashed), protocols without ports, every ECN value,
 * DF set and clear, TTLs, and lengths from the shortest to MTU-sized.
 * Sixteen frames: two groups of eight, no frame left to the one-by-one tail.
 */
function fastFrames(): Uint8Array[] {
  const f: Uint8Array[] = [
    innerFrame({ src: 0x0a000001, dst: 0x0a000002, sport: 1000, dport: 2000 }),
    innerFrame({ src: 0x0a000002, dst: 0x0a000001, sport: 2000, dport: 1000 }),
    // With ZERO_HASH_SEED its jhash_3words is 0, which flowHashWords maps to
    // 1 (as Linux's __flow_hash_from_keys does) and the eight-frame path
    // skips (0 and 1 give the same port): found by searching all 2^32 seeds.
    innerFrame({ sport: 40002 }),
    innerFrame({ src: 0x0a000009, dst: 0x0a000009, sport: 80, dport: 8080, proto: 6 }),
    innerFrame({ src: 0x0a000009, dst: 0x0a000009, sport: 8080, dport: 80, proto: 6 }),
    innerFrame({ src: 0xffffffff, dst: 0x00000001, sport: 0xffff, dport: 0, tos: 3 }),
    innerFrame({ src: 0x80000000, dst: 0x7fffffff, proto: 1, tos: 1, ttl: 1, df: false }),
    innerFrame({ proto: 47, tos: 2, ttl: 255 }),
    innerFrame({ proto: 17, tos: 0xfe, payload: 1400 - 42 }),
    fragment(innerFrame({ proto: 17, sport: 5, dport: 6 }), 0x2000),
    fragment(innerFrame({ proto: 6, sport: 5, dport: 6 }), 0x0001),
    fragment(innerFrame({ proto: 17, df: false }), 0x2100),
    innerFrame({ payload: 512 - 42, tos: 0xc3 }),
    innerFrame({ payload: 64 - 42 }),
    innerFrame({ payload: 0 }).subarray(0, 38),
    innerFrame({ payload: 300, ttl: 7 }),
  ];
  return f.map((x) => x.slice());
}

const ZERO_HASH_SEED = 1534930285;

const base: EncapParams = { local: '192.168.50.1', remote: '192.168.50.2', srcMac: '02:50:00:00:00:01', dstMac: '02:50:00:00:00:02' };
const variants: [string, EncapParams][] = [
  ['Linux defaults', base],
  ['IANA port, VNI 4096, narrow source port range, seed', { ...base, dstPort: 4789, vni: 4096, srcPortRange: [40000, 40003], hashSeed: 0xdeadbeef }],
  ['fixed source port, no ECN, TOS 0x28', { ...base, srcPort: 4242, ecn: false, tos: 0x28 }],
  ['DF set, TTL 9, ECN with TOS 0xb8', { ...base, df: 'set', ttl: 9, tos: 0xb8 }],
  ['DF inherited, TTL inherited, IDs wrapping', { ...base, df: 'inherit', ttl: 'inherit', ipId: 0xfffb }],
  ['UDP checksum on', { ...base, udpChecksum: true, ipId: 7 }],
  ['no UDP checksum, one-port range', { ...base, udpChecksum: false, srcPortRange: [1, 2] }],
  ['a flow whose hash is 0', { ...base, hashSeed: ZERO_HASH_SEED }],
];

describe('codecEncapBatch: the eight-frame VXLAN path', () => {
  it('has a frame whose jhash_3words is 0 under ZERO_HASH_SEED (the 0 -> 1 case)', () => {
    expect(fastFrames().length).toBe(16);
    const f = innerFrame({ sport: 40002 });
    const dv = new DataView(f.buffer);
    // No swap for this flow (destination word > source word): jhash_3words(dst, src, ports).
    expect(jhash3(dv.getUint32(30, true), dv.getUint32(26, true), dv.getUint32(34, true), ZERO_HASH_SEED)).toBe(0);
    expect(flowHashIPv4(f, 14, f.length - 14, ZERO_HASH_SEED)).toBe(1);
  });

  for (const [name, p] of variants) {
    for (const copy of [false, true]) {
      it(`${name}, ${copy ? 'with a copy' : 'in place'}: every frame as the reference writes it, IDs in sequence`, () => {
        const core = codec.core;
        const r = resolveEncap(p);
        const frames = fastFrames();
        const n = frames.length;
        const cfg = core.alloc(C.ENC_BYTES);
        const table = core.alloc(n * C.FE_BYTES);
        // One after another with room for the headers, as a NIC ring lays them out.
        const srcs = frames.map((f) => core.alloc(f.length + 64) + 64);
        const dsts = frames.map((f) => core.alloc(f.length + 64));
        lay(codec, cfg, table, frames, srcs, r, dsts);
        expect(codec.wasm.codecEncapBatch(cfg, table, n, copy ? 1 : 0)).toBe(n);
        const u8 = core.u8;
        frames.forEach((f, i) => {
          const want = referenceEncap(f, r, (r.ipId + i) & 0xffff);
          if (!(want instanceof Uint8Array)) throw new Error(`frame ${i}: reference refused it`);
          const at = copy ? dsts[i] : srcs[i] - r.overhead;
          expect(u8[(table + i * C.FE_BYTES + C.FE_STATUS * 4)], `frame ${i} status`).toBe(C.ST_OK);
          expect(Buffer.from(u8.subarray(at, at + want.length)).toString('hex'), `frame ${i} (${f.length} B)`).toBe(Buffer.from(want).toString('hex'));
        });
        expect(new DataView(u8.buffer).getUint32(cfg + C.ENC_ID, true)).toBe((r.ipId + n) & 0xffff);
      });
    }
  }
});

describe('codecEncapBatch: entries the batch itself overwrites', () => {
  // Why this test? The eight-frame path reads eight table entries before it
  // writes any frame. If a frame's outer header lands on later entries of
  // its own table, frame by frame those entries are read after the write;
  // the batch must notice and go frame by frame too.
  it('a header written over the next entries is what those entries hold when read', () => {
    const core = codec.core;
    const r = resolveEncap({ ...base, srcMac: 'ff:ff:ff:ff:ff:ff', dstMac: 'ff:ff:ff:ff:ff:ff' });
    const frames = fastFrames().slice(0, 8);
    const cfg = core.alloc(C.ENC_BYTES);
    const area = core.alloc(8 * C.FE_BYTES + 64 + 16 * 256);
    // Frame 0's headroom (50 bytes before it) covers entries 1..3 of the table just before it.
    const table = area;
    const p0 = table + 64;
    const ptrs = frames.map((_, i) => (i === 0 ? p0 : p0 + 256 * i + 64));
    const run = (perEntry: boolean) => {
      core.u8.fill(0, area, area + 8 * C.FE_BYTES + 64 + 16 * 256);
      lay(codec, cfg, table, frames, ptrs, r);
      let ok = 0;
      if (perEntry) for (let i = 0; i < 8; i++) ok += codec.wasm.codecEncapBatch(cfg, table + i * C.FE_BYTES, 1, 0);
      else ok = codec.wasm.codecEncapBatch(cfg, table, 8, 0);
      return { ok, bytes: Buffer.from(core.u8.slice(area, area + 8 * C.FE_BYTES + 64 + 16 * 256)).toString('hex') };
    };
    const single = run(true);
    const batch = run(false);
    expect(single.ok).toBeLessThan(8); // the overwritten entries no longer describe frames
    expect(batch).toEqual(single);
  });
});

describe('codecEncapBatch at the end of memory', () => {
  // Why this test? The eight-frame path reads bytes 12..41 of every frame;
  // a 38-byte frame that ends at the last byte of memory is valid, and
  // reading 42 bytes of it would trap. The group must go frame by frame.
  it('encapsulates a 38-byte frame that ends at the last byte of memory', async () => {
    const { createCore } = await import('../src/core/core.js');
    const core = await createCore();
    const c = new Codec(core);
    const r = resolveEncap(base);
    const frames = fastFrames().slice(0, 8);
    frames[7] = innerFrame({ payload: 0 }).subarray(0, 38).slice();
    const cfg = core.alloc(C.ENC_BYTES);
    const table = core.alloc(8 * C.FE_BYTES);
    const ptrs = frames.map((f) => core.alloc(f.length + 64) + 64);
    ptrs[7] = core.u8.length - 38;
    lay(c, cfg, table, frames, ptrs, r);
    expect(core.guard(() => c.wasm.codecEncapBatch(cfg, table, 8, 0))).toBe(8);
    frames.forEach((f, i) => {
      const want = referenceEncap(f, r, (r.ipId + i) & 0xffff) as Uint8Array;
      expect(Buffer.from(core.u8.subarray(ptrs[i] - 50, ptrs[i] + f.length)).equals(Buffer.from(want)), `frame ${i}`).toBe(true);
    });
  });
});

describe('codecEncapBatch with a copy: payloads either side of 64 bytes, in every lane', () => {
  // Why this test? The eight-frame path copies payloads of up to 64 bytes
  // among its lane work and longer ones after both groups (copyLong8). A
  // frame of 64 or 65 bytes in any of the eight lanes must be copied whole
  // by one of the two, exactly once.
  it('copies 63-, 64- and 65-byte frames in every lane as the reference does', () => {
    const core = codec.core;
    const r = resolveEncap(base);
    // Three groups of eight: a long frame in the first four lanes only, in
    // the last four only, and 63/65 mixed; a 64-byte frame in every lane.
    const lens = [64, 65, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 65, 64, 64, 65, 63, 65, 63, 63, 65, 63, 65];
    const frames = lens.map((n, i) => innerFrame({ sport: 1000 + i, payload: n - 42 }));
    const cfg = core.alloc(C.ENC_BYTES);
    const table = core.alloc(frames.length * C.FE_BYTES);
    const srcs = frames.map((f) => core.alloc(f.length + 64) + 64);
    const dsts = frames.map((f) => core.alloc(f.length + 64));
    lay(codec, cfg, table, frames, srcs, r, dsts);
    dsts.forEach((d, i) => core.u8.fill(0xa5, d, d + frames[i].length + 50)); // a copy left out shows
    expect(codec.wasm.codecEncapBatch(cfg, table, frames.length, 1)).toBe(frames.length);
    frames.forEach((f, i) => {
      const want = referenceEncap(f, r, (r.ipId + i) & 0xffff) as Uint8Array;
      expect(Buffer.from(core.u8.subarray(dsts[i], dsts[i] + want.length)).toString('hex'), `frame ${i} (${f.length} B, lane ${i % 8})`).toBe(Buffer.from(want).toString('hex'));
    });
  });
});
