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

describe('empty inputs', () => {
  it('encapMany and decodeMany of nothing return nothing', () => {
    expect(codec.encapMany([], params)).toEqual([]);
    expect(codec.decodeMany([])).toEqual([]);
  });
});
