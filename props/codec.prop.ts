import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Codec, DecodeError, referenceDecap, referenceEncap, resolveDecap, resolveEncap, CODEC_STATUS_NAMES, type EncapMode, type EncapParams } from '../src/codec/index.js';
import * as C from '../assembly/shared/codec.js';
import { innerFrame } from '../test/support/frames.js';
import { anyFrame, ipFrame, params } from './codec.arb.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

describe('codec properties', () => {
  it('decap(encap(x)) == x for VXLAN, any inner frame and parameters', () => {
    fc.assert(
      fc.property(anyFrame, params('vxlan'), (inner, p) => {
        const outer = codec.encap(inner, p);
        const d = resolveDecap({ ports: [p.dstPort!], vnis: [p.vni!], checkUdpChecksum: true });
        const f = codec.decap(outer, d);
        expect(codec.decapRecord(outer, d)).toEqual(referenceDecap(outer, d));
        expect(outer.slice(f.inner.offset, f.inner.offset + f.inner.length)).toEqual(inner);
        expect([f.vxlan!.vni, f.outer.src, f.outer.dst, f.outer.srcMac, f.outer.dstMac, f.outer.id]).toEqual([p.vni, p.local, p.remote, p.srcMac, p.dstMac, p.ipId]);
        const [lo, hi] = p.srcPortRange!;
        expect(f.udp!.srcPort >= lo && f.udp!.srcPort < hi).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('decap(encap(x)) == x for IPIP and Flannel udp (the inner IP packet)', () => {
    fc.assert(
      fc.property(ipFrame(false), fc.constantFrom<EncapMode>('ipip', 'flannel-udp'), (inner, mode) => {
        const p = resolveEncap({ mode, local: '192.168.0.1', remote: '192.168.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', ttl: 'inherit' });
        const outer = codec.encap(inner, p);
        const d = resolveDecap({ mode, checkUdpChecksum: true });
        const f = codec.decap(outer, d);
        expect(codec.decapRecord(outer, d)).toEqual(referenceDecap(outer, d));
        expect(outer.slice(f.inner.offset, f.inner.offset + f.inner.length)).toEqual(inner.slice(14));
        expect(f.outer.ttl).toBe(inner[22]);
      }),
    );
  });

  it('WASM encapsulation equals the TypeScript reference byte for byte', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<EncapMode>('vxlan', 'ipip', 'flannel-udp').chain((mode) => fc.tuple(mode === 'vxlan' ? anyFrame : ipFrame(false), params(mode))),
        ([inner, params]) => {
        const p = resolveEncap(params);
        expect(codec.encap(inner, p)).toEqual(referenceEncap(inner, p, p.ipId));
      }),
      { numRuns: 300 },
    );
  });

  it('a batch of arbitrary frames encapsulates like the reference, frame by frame, IDs in sequence', () => {
    fc.assert(
      fc.property(fc.array(anyFrame, { minLength: 1, maxLength: 12 }), params('vxlan'), (frames, pr) => {
        const r = resolveEncap(pr);
        const out = codec.encapMany(frames, r);
        out.forEach((o, i) => expect(o).toEqual(referenceEncap(frames[i], r, (r.ipId + i) & 0xffff)));
      }),
      { numRuns: 50 },
    );
  });

  // Why this test? Decap is fed by the wire: no byte string may trap the WASM
  // instance, and WASM and reference must agree on every verdict.
  it('arbitrary bytes never trap, give a frame or a typed error, and agree with the reference', () => {
    const valid = codec.encap(innerFrame({ payload: 40 }), { local: '10.0.0.1', remote: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' });
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })
      .chain((muts) => fc.nat(valid.length).map((cut) => {
        const b = valid.slice(0, Math.max(cut, valid.length - 30));
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        return b;
      }));
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated);
    const opts = fc.record({
      mode: fc.constantFrom<EncapMode>('vxlan', 'ipip', 'flannel-udp'),
      checkIpChecksum: fc.boolean(),
      checkUdpChecksum: fc.boolean(),
      reservedBits: fc.constantFrom('drop' as const, 'ignore' as const),
      vnis: fc.oneof(fc.constant('any' as const), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 })),
    });
    fc.assert(
      fc.property(bytes, opts, (b, o) => {
        const d = resolveDecap(o);
        const r = codec.decode(b, d);
        expect(codec.core.poisoned).toBe(false);
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(DecodeError);
          expect(CODEC_STATUS_NAMES).toContain(r.error.code);
        }
        const w = codec.decapRecord(b, d);
        const ref = referenceDecap(b, d);
        if (w[C.R_STATUS] === C.ST_OK) expect(w).toEqual(ref);
        else expect([...w.slice(0, 3)]).toEqual([...ref.slice(0, 3)]);
      }),
      { numRuns: 1000 },
    );
  });
});
