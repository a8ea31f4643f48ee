import { beforeAll, describe, expect, it } from 'vitest';
import { Codec, referenceEncap, resolveEncap, type EncapParams, type ResolvedEncap } from '../src/codec/index.js';
import { writeEncapConfig } from '../src/codec/wasm.js';
import * as C from '../assembly/shared/codec.js';
import { fixIpChecksum, innerFrame } from './support/frames.js';
import { ethAddrHash, flowHashIPv4, jhash3, srcPortFromHash } from '../src/codec/flowhash.js';

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

/**
 * Lays out `frames` as a NIC ring does, with a hash column of `hashes`,
 * runs codecEncapBatchHashed and checks every frame against the reference
 * given the same hash.
 */
function hashedAgainstReference(p: EncapParams, frames: Uint8Array[], hashes: number[], copy: boolean): void {
  const core = codec.core;
  const r = resolveEncap(p);
  const n = frames.length;
  const cfg = core.alloc(C.ENC_BYTES);
  const table = core.alloc(n * C.FE_BYTES);
  const column = core.alloc(n * 4);
  const srcs = frames.map((f) => core.alloc(f.length + 64) + 64);
  const dsts = frames.map((f) => core.alloc(f.length + 64));
  lay(codec, cfg, table, frames, srcs, r, dsts);
  core.u32.set(hashes, column >> 2);
  expect(codec.wasm.codecEncapBatchHashed(cfg, table, n, copy ? 1 : 0, column)).toBe(n);
  const u8 = core.u8;
  frames.forEach((f, i) => {
    const want = referenceEncap(f, r, (r.ipId + i) & 0xffff, hashes[i]);
    if (!(want instanceof Uint8Array)) throw new Error(`frame ${i}: reference refused it`);
    const at = copy ? dsts[i] : srcs[i] - r.overhead;
    expect(Buffer.from(u8.subarray(at, at + want.length)).toString('hex'), `frame ${i} (${f.length} B, hash ${hashes[i]})`).toBe(Buffer.from(want).toString('hex'));
  });
}

describe("codecEncapBatchHashed: the caller's flow hashes (skb_get_hash with a hash on the skb)", () => {
  // Hashes that reach the port mapping's edges: 0xffffffff, 1, a high half
  // of zero, one whose h ^ h << 16 is 0 in the high half.
  const HASHES = [0xffffffff, 1, 0x0000ffff, 0x12345678, 0xffff0000, 0x80000000, 0xdeadbeef, 0x0001_0001, 7, 0xfffe, 0x9e3779b9, 42, 0x7fffffff, 3, 0xabcdef01, 0x10000];
  for (const [name, p] of variants) {
    for (const copy of [false, true]) {
      it(`${name}, ${copy ? 'with a copy' : 'in place'}: the port comes from the caller's hash, mapped as udp_flow_src_port does`, () => {
        hashedAgainstReference(p, fastFrames(), HASHES, copy);
      });
    }
  }

  it("the ports are the caller's hashes mapped into the range, not the frames' flow hashes", () => {
    const core = codec.core;
    const r = resolveEncap({ ...base, srcPortRange: [10000, 20000] });
    const frames = fastFrames();
    const out = codec.encapMany(frames, r, { hashes: Uint32Array.from(HASHES) });
    const plain = codec.encapMany(frames, r);
    const port = (b: Uint8Array) => (b[34] << 8) | b[35];
    out.forEach((b, i) => expect(port(b), `frame ${i}`).toBe(srcPortFromHash(HASHES[i], 10000, 20000)));
    expect(out.filter((b, i) => port(b) !== port(plain[i])).length).toBeGreaterThan(8);
    expect(core.poisoned).toBe(false);
  });

  it('a hash of 0 in a group takes the frame-by-frame path and the Ethernet-address hash (use_eth)', () => {
    const h = [...HASHES];
    h[3] = 0;
    h[12] = 0;
    for (const copy of [false, true]) hashedAgainstReference(base, fastFrames(), h, copy);
    const f = fastFrames()[0];
    const r = resolveEncap(base);
    const zero = referenceEncap(f, r, 0, 0) as Uint8Array;
    expect((zero[34] << 8) | zero[35]).toBe(srcPortFromHash(ethAddrHash(f, r.hashSeed), r.portMin, r.portMax));
  });

  it('groups the eight-frame path hands back (tagged, short, non-IPv4 frames) use the hashes too, as do the frames after the last group', () => {
    const frames = fastFrames();
    frames[2] = innerFrame({ vlan: 100, sport: 7 });
    frames[9] = new Uint8Array(30).fill(0x33);
    const all = [...frames, innerFrame({ sport: 1 }), innerFrame({ sport: 2 }), innerFrame({ proto: 6 })];
    for (const copy of [false, true]) hashedAgainstReference(base, all, [...HASHES, 5, 0, 0xffffffff], copy);
  });

  it('a fixed source port ignores the hashes; IPIP has no port', () => {
    hashedAgainstReference({ ...base, srcPort: 4242 }, fastFrames(), HASHES, true);
    const f = fastFrames();
    const a = codec.encapMany(f, { ...base, srcPort: 4242 }, { hashes: Uint32Array.from(HASHES) });
    const b = codec.encapMany(f, { ...base, srcPort: 4242 });
    expect(a).toEqual(b);
    const ipip = { ...base, mode: 'ipip' as const };
    expect(codec.encapMany(f, ipip, { hashes: Uint32Array.from(HASHES) })).toEqual(codec.encapMany(f, ipip));
  });

  // Why this test? The eight-frame path reads the eight hashes before it
  // writes any frame. When a frame's headers land on the hashes of later
  // frames of its group, frame by frame those frames read the bytes just
  // written; the group must go frame by frame to give the same result.
  it('a header written over the hash column is what the later frames read', () => {
    const core = codec.core;
    const r = resolveEncap(base);
    const frames = fastFrames().slice(0, 8);
    const cfg = core.alloc(C.ENC_BYTES);
    const table = core.alloc(8 * C.FE_BYTES);
    const area = core.alloc(64 + 8 * 256);
    const column = area + 8; // inside frame 0's 50 bytes of headroom
    const ptrs = frames.map((_, i) => area + 64 + 256 * i);
    const run = (perEntry: boolean) => {
      core.u8.fill(0, area, area + 64 + 8 * 256);
      lay(codec, cfg, table, frames, ptrs, r);
      core.u32.set(HASHES.slice(0, 8), column >> 2);
      let ok = 0;
      if (perEntry) for (let i = 0; i < 8; i++) ok += codec.wasm.codecEncapBatchHashed(cfg, table + i * C.FE_BYTES, 1, 0, column + 4 * i);
      else ok = codec.wasm.codecEncapBatchHashed(cfg, table, 8, 0, column);
      return { ok, bytes: Buffer.from(core.u8.slice(area, area + 64 + 8 * 256)).toString('hex') };
    };
    const single = run(true);
    const batch = run(false);
    expect(single.ok).toBe(8);
    expect(batch).toEqual(single);
    // ... and the header did change what frame 1 read: not the port its own hash gives.
    const out1 = core.u8.subarray(ptrs[1] - 50, ptrs[1]);
    expect((out1[34] << 8) | out1[35]).not.toBe(srcPortFromHash(HASHES[1], r.portMin, r.portMax));
  });

  it('a hash column outside memory is refused (-1) before anything is written', () => {
    const core = codec.core;
    const cfg = core.alloc(C.ENC_BYTES);
    const table = core.alloc(C.FE_BYTES);
    expect(codec.wasm.codecEncapBatchHashed(cfg, table, 1, 0, core.u8.length - 3)).toBe(-1);
    expect(codec.wasm.codecEncapBatchHashed(cfg, table, 0, 0, core.u8.length)).toBe(0);
  });
});
