import { beforeAll, describe, expect, it } from 'vitest';
import { Codec, FrameBatch, referenceEncap, resolveEncap } from '../src/codec/index.js';
import { innerFrame } from './support/frames.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});
const params = { local: '10.0.0.1', remote: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', ipId: 7 };

describe('FrameBatch: frames that stay in WASM memory', () => {
  it('encapsulates in place and decodes where the frames lie, same bytes as the reference', () => {
    const b = new FrameBatch(codec, 8);
    const frames = Array.from({ length: 6 }, (_, i) => innerFrame({ sport: 1000 + i, payload: i * 100 }));
    frames.forEach((f, i) => b.set(i, f));
    expect(b.count).toBe(6);
    expect(b.view(3)).toEqual(frames[3]);
    const r = resolveEncap(params);
    b.encap(r);
    frames.forEach((f, i) => expect(b.view(i)).toEqual(referenceEncap(f, r, 7 + i)));
    const res = b.decode({ vnis: [1] });
    res.forEach((x, i) => expect(x.ok && x.frame.inner.flow!.srcPort).toBe(1000 + i));
    expect(() => b.encap(r)).toThrow(/NoHeadroom/);
    b.clear();
    expect(b.count).toBe(0);
    b.dispose();
    b.dispose();
    expect(() => b.view(0)).toThrow(/BatchDisposed/);
  });
  it('validates slots, sizes and frames before touching anything', () => {
    const b = new FrameBatch(codec, 2, 100);
    expect(() => b.set(1, innerFrame())).toThrow(/filled in order/);
    expect(() => b.set(2, innerFrame())).toThrow(/InvalidSlot/);
    expect(() => b.set(0, new Uint8Array(101))).toThrow(/FrameTooLong/);
    b.set(0, new Uint8Array(10));
    expect(() => b.encap(params)).toThrow(/InnerTooShort.*slot 0/);
    expect(b.view(0)).toEqual(new Uint8Array(10));
    expect(b.decode()[0].ok).toBe(false);
    expect(() => new FrameBatch(codec, 0)).toThrow(/InvalidCapacity/);
    expect(() => new FrameBatch(codec, 1, 5)).toThrow(/InvalidMaxFrame/);
    b.dispose();
  });
});

describe("the caller's flow hashes (Linux: a hash already on the skb)", () => {
  it('FrameBatch.encap and encapMany take one hash per frame: the reference bytes for that hash', () => {
    const frames = Array.from({ length: 11 }, (_, i) => innerFrame({ sport: 2000 + i, payload: 20 + i * 30 }));
    const hashes = Uint32Array.from(frames, (_, i) => (0x9e3779b9 * (i + 1)) >>> 0);
    hashes[4] = 0;
    const r = resolveEncap(params);
    const b = new FrameBatch(codec, 16);
    frames.forEach((f, i) => b.set(i, f));
    b.encap(r, { hashes });
    const viaMany = codec.encapMany(frames, r, { hashes });
    frames.forEach((f, i) => {
      const want = referenceEncap(f, r, 7 + i, hashes[i]);
      expect(b.view(i), `slot ${i}`).toEqual(want);
      expect(viaMany[i], `frame ${i}`).toEqual(want);
    });
    // Without hashes the ports are the computed flow hashes' (the default), and they differ.
    const plain = codec.encapMany(frames, r);
    expect(plain.filter((x, i) => x[34] !== viaMany[i][34] || x[35] !== viaMany[i][35]).length).toBeGreaterThan(5);
    b.dispose();
  });
  it('refuses hashes that are not one Uint32Array entry per frame, before any WASM call', () => {
    const frames = [innerFrame(), innerFrame()];
    expect(() => codec.encapMany(frames, params, { hashes: new Uint32Array(3) })).toThrow(/InvalidHashes.*3 hashes.*one per frame \(2\)/);
    expect(() => codec.encapMany(frames, params, { hashes: [1, 2] as unknown as Uint32Array })).toThrow(/InvalidHashes/);
    const b = new FrameBatch(codec, 2);
    b.set(0, frames[0]);
    expect(() => b.encap(params, { hashes: new Uint32Array(2) })).toThrow(/InvalidHashes/);
    expect(b.view(0)).toEqual(frames[0]);
    b.dispose();
  });
});

describe('empty inputs', () => {
  it('encapMany and decodeMany of nothing return nothing', () => {
    expect(codec.encapMany([], params)).toEqual([]);
    expect(codec.decodeMany([])).toEqual([]);
  });
});
