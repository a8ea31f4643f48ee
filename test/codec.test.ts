import { beforeAll, describe, expect, it } from 'vitest';
import {
  Codec, DecodeError, referenceDecap, referenceEncap, resolveDecap, resolveEncap, flowHashEth, srcPortFromHash,
  CODEC_STATUS_NAMES, type EncapParams,
} from '../src/codec/index.js';
import { InputError } from '../src/core/errors.js';
import * as C from '../assembly/shared/codec.js';
import { hexFixture } from './support/hex.js';
import { innerFrame, fixIpChecksum } from './support/frames.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

const gopacket = hexFixture('gopacket-vxlan.hex');
const base: EncapParams = { local: '10.0.0.1', remote: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' };

describe('public vector: gopacket layers/vxlan_test.go testPacketVXLAN', () => {
  it('decodes every field', () => {
    const f = codec.decap(gopacket, { ports: [4789] });
    expect(f.outer).toEqual({
      dstMac: '00:16:3e:08:71:cf', srcMac: '36:dc:85:1e:b3:40', src: '192.168.203.1', dst: '192.168.202.1',
      tos: 0, ttl: 64, id: 0xd2c0, df: true, totalLength: 134, protocol: 17, checksum: 0x5152,
    });
    expect(f.udp).toEqual({ srcPort: 0xb05d, dstPort: 4789, length: 114, checksum: 0 });
    expect(f.vxlan).toEqual({ flags: 0x08, vni: 255, reserved: 0 });
    expect(f.inner).toEqual({
      offset: 50, length: 98, ethertype: 0x0800, dstMac: '00:30:88:01:00:02', srcMac: '00:16:3e:37:f6:04',
      flow: { src: '192.168.203.3', dst: '192.168.203.5', protocol: 1, srcPort: 0, dstPort: 0, ttl: 64, icmp: { type: 8, code: 0 }, echo: { id: 1292, seq: 1 } },
    });
  });
  it('re-encodes to the same 148 bytes (WASM and reference)', () => {
    const r = resolveEncap({ local: '192.168.203.1', remote: '192.168.202.1', srcMac: '36:dc:85:1e:b3:40', dstMac: '00:16:3e:08:71:cf', vni: 255, dstPort: 4789, srcPort: 0xb05d, ipId: 0xd2c0, df: 'set', udpChecksum: false });
    expect(codec.encap(gopacket.slice(50), r)).toEqual(gopacket);
    expect(referenceEncap(gopacket.slice(50), r, 0xd2c0)).toEqual(gopacket);
  });
  it('WASM record equals the reference record', () => {
    const d = resolveDecap({ ports: [4789] });
    expect(codec.decapRecord(gopacket, d)).toEqual(referenceDecap(gopacket, d));
  });
});

describe('public vector: libtins tests/src/vxlan_test.cpp expected_packet', () => {
  const v = hexFixture('libtins-vxlan.hex');
  it('our VXLAN header and inner frame match its bytes, and decode to VNI 0xffffff', () => {
    const outer = codec.encap(v.slice(8), { ...base, vni: 0xffffff });
    expect(outer.slice(42)).toEqual(v);
    const f = codec.decap(outer);
    expect(f.vxlan).toEqual({ flags: 8, vni: 0xffffff, reserved: 0 });
    expect(f.inner.dstMac).toBe('aa:bb:cc:dd:ee:ff');
    expect(f.inner.srcMac).toBe('8a:8b:8c:8d:8e:8f');
    expect(f.inner.ethertype).toBe(0);
    expect(f.inner.flow).toBeUndefined();
  });
});

/** Decodes with WASM and the reference; both must fail the same way. */
function expectError(b: Uint8Array, name: string, offset: number, value: number, opts = {}) {
  const d = resolveDecap(opts);
  const r = codec.decode(b, d);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error).toBeInstanceOf(DecodeError);
  expect([r.error.code, r.error.offset, r.error.value]).toEqual([name, offset, value]);
  const ref = referenceDecap(b, d);
  expect([CODEC_STATUS_NAMES[ref[0]], ref[1], ref[2]]).toEqual([name, offset, value]);
  return r.error;
}

const mut = (f: (b: Uint8Array, dv: DataView) => void, src = gopacket) => {
  const b = src.slice();
  f(b, new DataView(b.buffer));
  return b;
};

describe('decapsulation errors name the layer, offset and value', () => {
  const p = { ports: [4789] };
  it('Ethernet', () => {
    expectError(gopacket.slice(0, 10), 'TruncatedEthernet', 0, 10, p);
    expectError(mut((b, dv) => dv.setUint16(12, 0x8100)).slice(0, 16), 'TruncatedEthernet', 14, 16, p);
    expectError(mut((b, dv) => dv.setUint16(12, 0x86dd)), 'NotIPv4', 12, 0x86dd, p);
  });
  it('IPv4', () => {
    const e = expectError(mut((b) => (b[14] = 0x44)), 'IPv4Ihl', 14, 4, p);
    expect(e!.message).toBe('IPv4Ihl: IPv4 IHL 4 < 5 at offset 14');
    expectError(gopacket.slice(0, 30), 'TruncatedIPv4', 14, 16, p);
    expectError(mut((b) => (b[14] = 0x4f)).slice(0, 60), 'TruncatedIPv4', 14, 46, p);
    expectError(mut((b) => (b[14] = 0x65)), 'IPv4Version', 14, 6, p);
    expectError(mut((b, dv) => dv.setUint16(16, 0x200)), 'IPv4TotalLength', 16, 0x200, p);
    expectError(mut((b, dv) => dv.setUint16(16, 12)), 'IPv4TotalLengthShort', 16, 12, p);
    expectError(mut((b, dv) => dv.setUint16(20, 0x2000)), 'IPv4Fragment', 20, 0x2000, p);
    expectError(mut((b, dv) => dv.setUint16(20, 0x4001)), 'IPv4Fragment', 20, 0x4001, p);
    expectError(mut((b) => (b[24] ^= 0xff)), 'IPv4Checksum', 24, 0xae52, p);
    expect(codec.decode(mut((b) => (b[24] ^= 0xff)), { ...p, checkIpChecksum: false }).ok).toBe(true);
    expectError(fixIpChecksum(mut((b) => (b[23] = 6))), 'NotUdp', 23, 6, p);
  });
  it('UDP', () => {
    expectError(fixIpChecksum(mut((b, dv) => dv.setUint16(16, 24))), 'TruncatedUdp', 34, 4, p);
    expectError(gopacket, 'UdpDstPort', 36, 4789);
    expectError(mut((b, dv) => dv.setUint16(38, 0x70)), 'UdpLength', 38, 0x70, p);
    const csum = codec.encap(gopacket.slice(50), { ...base, udpChecksum: true });
    expect(codec.decode(csum, { checkUdpChecksum: true }).ok).toBe(true);
    const bad = mut((b) => (b[100] ^= 1), csum);
    expectError(bad, 'UdpChecksum', 40, new DataView(csum.buffer).getUint16(40), { checkUdpChecksum: true });
    expect(codec.decode(bad).ok).toBe(true);
  });
  it('VXLAN', () => {
    expectError(fixIpChecksum(mut((b, dv) => { dv.setUint16(16, 20 + 12); dv.setUint16(38, 12); })), 'TruncatedVxlan', 42, 4, p);
    expectError(mut((b) => (b[42] = 0)), 'VxlanIFlag', 42, 0, p);
    expectError(gopacket, 'VxlanVni', 46, 255, { ...p, vnis: [1, 2] });
    expect(codec.decode(gopacket, { ...p, vnis: [1, 255] }).ok).toBe(true);
    expectError(mut((b) => (b[42] = 0x88)), 'VxlanReserved', 42, 0x88000000 | 0, p);
    expectError(mut((b) => (b[44] = 1)), 'VxlanReserved', 42, 0x08000100, p);
    expectError(mut((b) => (b[49] = 7)), 'VxlanReserved', 49, 7, p);
    const ign = codec.decap(mut((b) => { b[42] = 0x88; b[49] = 7; }), { ...p, reservedBits: 'ignore' });
    expect(ign.vxlan).toEqual({ flags: 0x88, vni: 255, reserved: 7 });
  });
  it('inner frame', () => {
    expectError(fixIpChecksum(mut((b, dv) => { dv.setUint16(16, 20 + 16 + 10); dv.setUint16(38, 26); })), 'InnerTooShort', 50, 10, p);
    expectError(gopacket, 'NotIpip', 23, 17, { mode: 'ipip' });
  });
  it('accepts an 802.1Q-tagged underlay and reports the tag', () => {
    const tagged = new Uint8Array(gopacket.length + 4);
    tagged.set(gopacket.subarray(0, 12));
    tagged.set([0x81, 0x00, 0x20, 0x07], 12);
    tagged.set(gopacket.subarray(12), 16);
    const f = codec.decap(tagged, p);
    expect(f.outer.vlan).toBe(0x2007);
    expect(f.inner.offset).toBe(54);
    expect(codec.decapRecord(tagged, resolveDecap(p))).toEqual(referenceDecap(tagged, resolveDecap(p)));
  });
});

describe('the fixed-offset VXLAN decap path hands every edge to the full checks', () => {
  // Why this test? decap-vxlan.ts accepts the common frame with a few
  // compares; each edge below differs from an accepted frame in one field
  // only (IPv4 checksum kept valid), so only that compare can reject it.
  const p = resolveDecap({ ports: [4789] });
  const same = (b: Uint8Array) => {
    const w = codec.decapRecord(b, p);
    const ref = referenceDecap(b, p);
    if (ref[C.R_STATUS] === C.ST_OK) expect(w).toEqual(ref);
    else expect([...w.slice(0, 3)]).toEqual([...ref.slice(0, 3)]);
    const batch = codec.decodeMany([b], p)[0];
    expect(batch.ok ? C.ST_OK : batch.error.status).toBe(ref[C.R_STATUS]);
    return CODEC_STATUS_NAMES[ref[C.R_STATUS]];
  };
  it('accepts the frame, with Ethernet padding after the IPv4 packet too', () => {
    expect(same(gopacket)).toBe('Ok');
    const padded = new Uint8Array(gopacket.length + 10);
    padded.set(gopacket);
    expect(same(padded)).toBe('Ok');
  });
  it('fragments, lengths and the shortest inner frame', () => {
    expect(same(fixIpChecksum(mut((b) => (b[20] |= 0x20))))).toBe('IPv4Fragment');
    expect(same(fixIpChecksum(mut((b, dv) => dv.setUint16(20, 0x4001))))).toBe('IPv4Fragment');
    // One byte beyond the frame, the UDP length agreeing: only the total-length compare can tell.
    expect(same(fixIpChecksum(mut((b, dv) => { dv.setUint16(16, gopacket.length - 14 + 1); dv.setUint16(38, gopacket.length - 34 + 1); })))).toBe('IPv4TotalLength');
    const inner = (n: number) => fixIpChecksum(mut((b, dv) => { dv.setUint16(16, 36 + n); dv.setUint16(38, 16 + n); }));
    expect(same(inner(13))).toBe('InnerTooShort');
    expect(same(inner(14))).toBe('Ok');
    expect(same(fixIpChecksum(mut((b) => (b[23] = 6))))).toBe('NotUdp');
    expect(same(mut((b, dv) => dv.setUint16(38, 0x71)))).toBe('UdpLength');
  });
  it('VXLAN flags, reserved bytes and ports', () => {
    for (const [at, v] of [[42, 0x0c], [43, 1], [44, 1], [45, 1], [49, 1], [42, 0]] as const) expect(same(mut((b) => (b[at] = v)))).not.toBe('Ok');
    expect(same(mut((b, dv) => dv.setUint16(36, 4790)))).toBe('UdpDstPort');
    expect(codec.decodeMany([gopacket], { ports: [4789], vnis: [255] })[0].ok).toBe(true);
    expect(codec.decodeMany([gopacket], { ports: [4789], vnis: [254] })[0].ok).toBe(false);
  });
});

describe('encapsulation', () => {
  it('VXLAN defaults: port 8472, DF unset, TTL 64, UDP checksum on, source port from the flow hash in range', () => {
    const inner = innerFrame({ ttl: 9, tos: 0x03 });
    const f = codec.decap(codec.encap(inner, base));
    expect(f.udp!.dstPort).toBe(8472);
    expect(f.udp!.checksum).not.toBe(0);
    expect(codec.decap(codec.encap(inner, { ...base, udpChecksum: false })).udp!.checksum).toBe(0);
    expect(f.outer.df).toBe(false);
    expect(f.outer.ttl).toBe(64);
    expect(f.outer.tos).toBe(2); // CE inner -> ECT(0) outer (RFC 6040)
    const port = srcPortFromHash(flowHashEth(inner, 0), 32768, 60999);
    expect(f.udp!.srcPort).toBe(port);
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(port).toBeLessThan(60999);
  });
  it('IPIP defaults inherit TTL and DF; flannel-udp uses 8285 both ways with a checksum', () => {
    const inner = innerFrame({ ttl: 33, df: true });
    const ip = codec.decap(codec.encap(inner, { ...base, mode: 'ipip' }), { mode: 'ipip' });
    expect([ip.outer.ttl, ip.outer.df, ip.outer.protocol, ip.outer.totalLength]).toEqual([33, true, 4, inner.length - 14 + 20]);
    const u = codec.decap(codec.encap(inner, { ...base, mode: 'flannel-udp' }), { mode: 'flannel-udp', checkUdpChecksum: true });
    expect(u.udp!.srcPort).toBe(8285);
    expect(u.udp!.dstPort).toBe(8285);
    expect(u.udp!.checksum).not.toBe(0);
    expect(u.inner.flow!.dstPort).toBe(53);
    expectError(codec.encap(innerFrame({ payload: 0 }), { ...base, mode: 'flannel-udp' }).slice(0, 42 + 8), 'IPv4TotalLength', 16, 56, { mode: 'flannel-udp' });
  });
  it('advances the IPv4 ID per frame in a batch, and matches the reference byte for byte', () => {
    const frames = [innerFrame({ sport: 1 }), innerFrame({ proto: 6, sport: 2 }), innerFrame({ proto: 1, vlan: 5 }), innerFrame({ payload: 1 })];
    const r = resolveEncap({ ...base, ipId: 0xfffe, udpChecksum: true, hashSeed: 77, srcPortRange: [10000, 10100] });
    const out = codec.encapMany(frames, r);
    out.forEach((o, i) => {
      expect(o).toEqual(referenceEncap(frames[i], r, (0xfffe + i) & 0xffff));
      expect(codec.decap(o).udp!.srcPort).toBeLessThan(10100);
    });
    expect(out.map((o) => codec.decap(o).outer.id)).toEqual([0xfffe, 0xffff, 0, 1]);
  });
  it('the flow hash is symmetric and equal in WASM and TypeScript', () => {
    const a = innerFrame({ src: 0x0a000001, dst: 0x0a000002, sport: 1000, dport: 2000 });
    const b = innerFrame({ src: 0x0a000002, dst: 0x0a000001, sport: 2000, dport: 1000 });
    expect(flowHashEth(a, 5)).toBe(flowHashEth(b, 5));
    expect(codec.flowHash(a, 5)).toBe(flowHashEth(a, 5));
    const arp = innerFrame();
    arp[12] = 0x08; arp[13] = 0x06;
    expect(codec.flowHash(arp, 9)).toBe(flowHashEth(arp, 9));
    expect(codec.flowHash(arp.slice(0, 8), 9)).toBe(1);
  });
  it('maps hashes into [min, max) like udp_flow_src_port', () => {
    expect(srcPortFromHash(0, 100, 200)).toBe(100);
    expect(srcPortFromHash(0x0000ffff, 100, 200)).toBe(199); // hash ^ hash << 16 = 0xffffffff
    expect(srcPortFromHash(0xffffffff, 100, 200)).toBe(100); // the high half cancels out
    expect(srcPortFromHash(0x12345678, 0, 0)).toBeGreaterThanOrEqual(32768);
    expect(codec.wasm.codecSrcPort(0x12345678, 5, 5)).toBe(srcPortFromHash(0x12345678, 5, 5));
  });
  it('rejects bad inner frames and parameters before calling WASM', () => {
    expect(() => codec.encap(new Uint8Array(10), base)).toThrow(InputError);
    const arp = innerFrame();
    arp[13] = 0x06;
    expect(() => codec.encap(arp, { ...base, mode: 'ipip' })).toThrow(/InnerNotIPv4/);
    expect(() => codec.encap(innerFrame().slice(0, 20), { ...base, mode: 'ipip' })).toThrow(/InnerTooShort/);
    expect(() => codec.encap(new Uint8Array(65500), base)).toThrow(/TooBig/);
    const bad: [Partial<EncapParams>, RegExp][] = [
      [{ vni: 1 << 24 }, /InvalidVni/], [{ dstPort: 0 }, /InvalidPort/], [{ srcPortRange: [200, 100] }, /InvalidPortRange/],
      [{ ttl: 0 }, /InvalidTtl/], [{ df: 'maybe' as 'set' }, /InvalidDf/], [{ mode: 'gre' as 'ipip' }, /InvalidMode/],
      [{ local: '10.0.0.256' }, /10.0.0.256/], [{ srcMac: 'zz' }, /zz/], [{ tos: 256 }, /InvalidTos/], [{ ipId: -1 }, /InvalidIpId/],
      [{ srcPort: 70000 }, /InvalidPort/], [{ srcPortRange: [1] as unknown as [number, number] }, /InvalidPortRange/], [{ hashSeed: 1.5 }, /InvalidSeed/],
    ];
    for (const [p, re] of bad) expect(() => resolveEncap({ ...base, ...p })).toThrow(re);
    expect(() => resolveDecap({ ports: [] })).toThrow(/InvalidPort/);
    expect(() => resolveDecap({ vnis: Array(17).fill(1) })).toThrow(/TooManyVnis/);
    expect(() => resolveDecap({ reservedBits: 'keep' as 'drop' })).toThrow(/InvalidReservedPolicy/);
    expect(() => resolveDecap({ mode: 'x' as 'ipip' })).toThrow(/InvalidMode/);
  });
  it('keeps working when memory grows during a large batch', () => {
    const before = codec.core.memoryBytes;
    const frames = Array.from({ length: 300 }, (_, i) => innerFrame({ payload: 1400, sport: i }));
    const out = codec.encapMany(frames, base);
    expect(codec.core.memoryBytes).toBeGreaterThan(before);
    const back = codec.decodeMany(out);
    back.forEach((r, i) => expect(r.ok && r.frame.inner.flow!.srcPort).toBe(i));
  });
  it('WASM entry points refuse out-of-range pointers instead of trapping', () => {
    const w = codec.wasm;
    const mem = codec.core.memoryBytes;
    expect(w.codecDecap(0, mem - 4, 100, 0)).toBe(C.ST_OUT_OF_BOUNDS);
    expect(w.codecEncap(0, 1 << 20, -1)).toBe(C.ST_BAD_MODE);
    expect(w.codecDecapBatch(0, mem, 1, 0)).toBe(-1);
    expect(w.codecEncapBatch(0, mem, 1, 0)).toBe(-1);
    expect(w.codecCopyBatch(mem, 1, 50)).toBe(-1);
    expect(w.codecChecksum(mem, 2)).toBe(-1);
    expect(w.codecFlowHash(mem, 2, 0)).toBe(0);
    expect(codec.core.poisoned).toBe(false);
  });
});

describe('WASM and reference agree on every mode (fixed cases)', () => {
  const modes = ['vxlan', 'ipip', 'flannel-udp'] as const;
  it('OK frames: same record', () => {
    const arp = innerFrame();
    arp[13] = 0x06;
    const inners = [innerFrame({ proto: 1, sport: 0x0303 }), innerFrame({ proto: 6, vlan: 9 }), arp, innerFrame({ proto: 47, df: false })];
    for (const mode of modes) {
      for (const inner of inners) {
        if (mode !== 'vxlan' && (inner === arp || inner[12] === 0x81)) continue;
        const outer = codec.encap(inner, { ...base, mode });
        const d = resolveDecap({ mode, checkUdpChecksum: true });
        expect(codec.decapRecord(outer, d)).toEqual(referenceDecap(outer, d));
      }
    }
  });
  it('inner packets too short for IPIP and Flannel udp', () => {
    for (const mode of ['ipip', 'flannel-udp'] as const) {
      const outer = codec.encap(innerFrame({ payload: 0 }), { ...base, mode });
      const hl = mode === 'ipip' ? 34 : 42;
      const cut = fixIpChecksum(mut((b, dv) => {
        dv.setUint16(16, hl - 14 + 10);
        if (mode === 'flannel-udp') dv.setUint16(38, 18);
      }, outer));
      expectError(cut, 'InnerTooShort', hl, 10, { mode });
    }
  });
  it('every status has a name and a description; dispose frees the codec memory', async () => {
    for (let s = 1; s < C.ST_COUNT; s++) {
      expect(CODEC_STATUS_NAMES[s]).toMatch(/^[A-Z]/);
      expect(new DecodeError(s, 3, 7).message).toMatch(/at offset 3$/);
    }
    expect(new DecodeError(99, 0, 1).code).toBe('Status99');
    const c2 = await Codec.create(codec.core);
    c2.decode(gopacket);
    c2.dispose();
  });
});
