/**
 * Codec API edges that used to pass silently: the reference encapsulation
 * given parameters that were never resolved (it built frames with zero
 * addresses), and a FrameBatch slot too small for a frame (its error did not
 * say which frame, nor that the slot size is the limit).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Codec, FrameBatch, referenceEncap, resolveEncap, type EncapParams, type ResolvedEncap } from '../src/codec/index.js';
import { InputError } from '../src/core/errors.js';
import { innerFrame } from './support/frames.js';

const PARAMS: EncapParams = { local: '10.0.0.1', remote: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };

describe('referenceEncap', () => {
  it('resolves EncapParams instead of building a frame with zero addresses', () => {
    const inner = innerFrame();
    const out = referenceEncap(inner, PARAMS as unknown as ResolvedEncap, 5) as Uint8Array;
    expect([...out.subarray(26, 34)]).toEqual([10, 0, 0, 1, 10, 0, 0, 2]);
    expect([...out.subarray(0, 12)]).toEqual([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    expect(out).toEqual(referenceEncap(inner, resolveEncap(PARAMS), 5));
  });
  it('names what a partly resolved parameter object lacks', () => {
    const r = resolveEncap(PARAMS);
    const { srcIp: _s, dstMac: _d, ...partial } = r;
    expect(() => referenceEncap(innerFrame(), partial as ResolvedEncap, 0)).toThrow(InputError);
    expect(() => referenceEncap(innerFrame(), partial as ResolvedEncap, 0)).toThrow(/UnresolvedEncap: "srcIp, dstMac": .*resolveEncap/);
    expect(() => referenceEncap(innerFrame(), { ...r, vni: 'x' } as unknown as ResolvedEncap, 0)).toThrow(/UnresolvedEncap: "vni"/);
  });
  it('refuses an IPv4 ID that is not 0..65535', () => {
    const r = resolveEncap(PARAMS);
    for (const id of [undefined, -1, 65536, 1.5, NaN]) expect(() => referenceEncap(innerFrame(), r, id as number), String(id)).toThrow(/InvalidIpId/);
  });
});

describe('FrameBatch slot size', () => {
  let codec: Codec;
  beforeAll(async () => {
    codec = await Codec.create();
  });
  it('names the frame, its length and the slot size when a frame does not fit', () => {
    const b = new FrameBatch(codec, 4);
    b.set(0, innerFrame());
    const big = innerFrame({ payload: 1514 - 14 - 20 - 8 + 1 });
    expect(big.length).toBe(1515);
    expect(() => b.set(1, big)).toThrow(/FrameTooLong: "frame 1: 1515 bytes": at most 1514 bytes, the slot size of this FrameBatch .*maxFrame/);
    expect(b.count).toBe(1);
    b.dispose();
    const jumbo = new FrameBatch(codec, 1, 9000);
    jumbo.set(0, innerFrame({ payload: 8000 }));
    expect(jumbo.view(0).length).toBe(8042);
    jumbo.dispose();
  });
});
