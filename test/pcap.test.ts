import { describe, expect, it } from 'vitest';
import { readCapture, writePcap, readClassicPcap, readPcapng, isPcapng, isClassicPcap, CaptureStream } from '../src/pcap/index.js';
import { InputError } from '../src/core/errors.js';

const pkts = [
  { data: Uint8Array.from([1, 2, 3, 4, 5]), tsSec: 1700000000, tsNsec: 123456789 },
  { data: new Uint8Array(0), tsSec: 1, tsNsec: 999999999, origLen: 60 },
  { data: Uint8Array.from({ length: 1514 }, (_, i) => i & 0xff), tsSec: 0, tsNsec: 1000 },
];

describe('classic pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`round-trips ${bigEndian ? 'big' : 'little'}-endian ${nanos ? 'nanosecond' : 'microsecond'} files`, () => {
        const file = writePcap(pkts, { bigEndian, nanos });
        const c = readCapture(file);
        expect([c.format, c.linkType, c.nanos, c.bigEndian, c.snaplen]).toEqual(['pcap', 1, nanos, bigEndian, 262144]);
        expect(c.packets.map((p) => p.data)).toEqual(pkts.map((p) => p.data));
        expect(c.packets.map((p) => p.tsNsec)).toEqual(nanos ? [123456789, 999999999, 1000] : [123456000, 999999000, 1000]);
        expect(c.packets.map((p) => p.origLen)).toEqual([5, 60, 1514]);
        expect(c.packets[0].tsSec).toBe(1700000000);
      });
    }
  }
  it('writes the libpcap header tcpdump writes', () => {
    const f = writePcap([Uint8Array.of(0xaa)], { linkType: 101, snaplen: 65535 });
    expect([...f.slice(0, 24)]).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0]);
    expect(readClassicPcap(f).linkType).toBe(101);
  });
  it('names the offset of a truncated or bad file', () => {
    const f = writePcap(pkts);
    expect(() => readCapture(f.slice(0, 30), 'x.pcap')).toThrow(/PcapTruncated: "x.pcap" at offset 24/);
    expect(() => readCapture(f.slice(0, 24 + 16 + 2))).toThrow(/offset 32/);
    expect(() => readCapture(f.slice(0, 10))).toThrow(/PcapTruncated/);
    expect(() => readCapture(Uint8Array.of(1, 2, 3, 4, 5))).toThrow(/PcapBadMagic.*starts with 01020304/);
    expect(() => readCapture(new Uint8Array(0))).toThrow(/nothing/);
    expect(() => readClassicPcap(new Uint8Array(24))).toThrow(InputError);
    expect(() => writePcap([{ data: new Uint8Array(1), tsNsec: 1e9 }])).toThrow(/PcapTimestamp/);
    expect(isClassicPcap(Uint8Array.of(0xa1))).toBe(false);
  });
});

/** Builds pcapng blocks by hand (little- or big-endian). */
function block(type: number, body: number[], le: boolean): number[] {
  const pad = body.concat(Array((4 - (body.length % 4)) % 4).fill(0));
  const len = 12 + pad.length;
  const u32 = (v: number) => {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    return le ? b : b.reverse();
  };
  return [...u32(type), ...u32(len), ...pad, ...u32(len)];
}
function u32b(v: number, le: boolean) {
  const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  return le ? b : b.reverse();
}
function u16b(v: number, le: boolean) {
  const b = [v & 0xff, v >>> 8];
  return le ? b : b.reverse();
}

function pcapng(le: boolean, tsresol?: number): Uint8Array {
  const shb = block(0x0a0d0d0a, [...u32b(0x1a2b3c4d, le), ...u16b(1, le), ...u16b(0, le), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], le);
  const opts = tsresol === undefined ? [] : [...u16b(9, le), ...u16b(1, le), tsresol, 0, 0, 0, ...u16b(0, le), ...u16b(0, le)];
  const idb = block(1, [...u16b(1, le), 0, 0, ...u32b(65535, le), ...opts], le);
  const ts = 1_700_000_000_123_456_789n / (tsresol === 9 ? 1n : 1000n);
  const epb = block(6, [...u32b(0, le), ...u32b(Number(ts >> 32n), le), ...u32b(Number(ts & 0xffffffffn), le), ...u32b(3, le), ...u32b(70, le), 9, 8, 7], le);
  const spb = block(3, [...u32b(4, le), 1, 2, 3, 4], le);
  const nrb = block(4, [0, 0, 0, 0], le);
  return Uint8Array.from([...shb, ...idb, ...nrb, ...epb, ...spb]);
}

describe('pcapng', () => {
  it('reads SHB/IDB/EPB/SPB little-endian with the default microsecond resolution', () => {
    const c = readCapture(pcapng(true));
    expect([c.format, c.linkType, c.bigEndian, c.snaplen]).toEqual(['pcapng', 1, false, 65535]);
    expect(c.packets.map((p) => [...p.data])).toEqual([[9, 8, 7], [1, 2, 3, 4]]);
    expect([c.packets[0].tsSec, c.packets[0].tsNsec, c.packets[0].origLen]).toEqual([1700000000, 123456000, 70]);
  });
  it('reads big-endian sections and if_tsresol (nanoseconds)', () => {
    const c = readPcapng(pcapng(false, 9));
    expect(c.bigEndian).toBe(true);
    expect([c.packets[0].tsSec, c.packets[0].tsNsec]).toEqual([1700000000, 123456789]);
    expect(isPcapng(pcapng(false))).toBe(true);
  });
  it('rejects broken blocks with their offset', () => {
    const f = pcapng(true);
    expect(() => readPcapng(f.slice(0, f.length - 2))).toThrow(/PcapTruncated/);
    expect(() => readPcapng(Uint8Array.from(block(1, [1, 0, 0, 0, 0, 0, 0, 0], true)))).toThrow(/Section Header Block first/);
    const badBom = f.slice();
    badBom[8] = 0;
    expect(() => readPcapng(badBom)).toThrow(/byte-order magic/);
    const noIdb = Uint8Array.from([...f.slice(0, 28), ...block(6, Array(20).fill(0), true)]);
    expect(() => readPcapng(noIdb)).toThrow(/PcapBadInterface/);
    const spbFirst = Uint8Array.from([...f.slice(0, 28), ...block(3, [0, 0, 0, 0], true)]);
    expect(() => readPcapng(spbFirst)).toThrow(/PcapBadInterface/);
    const shortIdb = Uint8Array.from([...f.slice(0, 28), ...block(1, [1, 0, 0, 0], true)]);
    expect(() => readPcapng(shortIdb)).toThrow(/IDB body/);
    const shortEpb = Uint8Array.from([...f.slice(0, 28), ...block(1, [1, 0, 0, 0, 0, 0, 0, 0], true), ...block(6, [0, 0, 0, 0], true)]);
    expect(() => readPcapng(shortEpb)).toThrow(/EPB header/);
    const overEpb = Uint8Array.from([...f.slice(0, 28), ...block(1, [1, 0, 0, 0, 0, 0, 0, 0], true), ...block(6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 99, 0, 0, 0], true)]);
    expect(() => readPcapng(overEpb)).toThrow(/99 captured bytes/);
    expect(() => readPcapng(f.slice(0, 30))).toThrow(/block header/);
  });
});

/** Feeds `b` to a CaptureStream in chunks of `size` bytes; returns the packets and the stream. */
async function streamed(b: Uint8Array, size: number) {
  async function* chunks() {
    for (let i = 0; i < b.length; i += size) yield b.slice(i, i + size);
  }
  const s = new CaptureStream(chunks(), 'x.cap');
  const got: Uint8Array[] = [];
  for await (const batch of s.batches()) got.push(...batch.map((p) => p.data));
  return { got, s };
}

describe('CaptureStream', () => {
  it('gives the same packets as the whole-file readers, whatever the chunk size', async () => {
    for (const file of [writePcap(pkts, { nanos: true }), writePcap(pkts, { bigEndian: true }), pcapng(true), pcapng(false, 9)]) {
      const want = readCapture(file).packets.map((p) => p.data);
      for (const size of [1, 3, 17, 1024, 1 << 20]) {
        const { got, s } = await streamed(file, size);
        expect(got).toEqual(want);
        expect(s.truncated).toBeUndefined();
        expect(s.header()).toEqual((({ packets: _, ...h }) => h)(readCapture(file)));
      }
    }
  });
  // Why this test? An interrupted capture must not lose its complete records.
  it('keeps every complete record of a capture cut short and reports the cut once (classic and pcapng)', async () => {
    const classic = writePcap(pkts);
    const c = await streamed(classic.slice(0, classic.length - 100), 64);
    expect(c.got).toEqual([pkts[0].data, pkts[1].data]);
    expect(c.s.truncated?.message).toMatch(/^PcapTruncated: "x.cap" at offset 69: a record of 1514 bytes, 1414 bytes left$/);
    const ng = pcapng(true);
    const n = await streamed(ng.slice(0, ng.length - 3), 5);
    expect(n.got.map((d) => [...d])).toEqual([[9, 8, 7]]);
    expect(n.s.truncated?.code).toBe('PcapTruncated');
    const header = await streamed(classic.slice(0, 10), 4);
    expect(header.got).toEqual([]);
    expect(header.s.truncated?.message).toMatch(/24-byte pcap header, got 10 bytes/);
  });
  it('rejects what is not a capture, and a record longer than any snaplen', async () => {
    await expect(streamed(Uint8Array.of(1, 2, 3, 4, 5), 2)).rejects.toThrow(/PcapBadMagic.*starts with 01020304/);
    await expect(streamed(new Uint8Array(0), 2)).rejects.toThrow(/nothing/);
    const bad = writePcap([new Uint8Array(10)]);
    new DataView(bad.buffer).setUint32(24 + 8, 0x7fffffff, true);
    await expect(streamed(bad, 100)).rejects.toThrow(/PcapRecordTooLong: "x.cap" at offset 32: a captured length <= 262144, got 2147483647/);
  });
  it('hands out records while the file is still being read (memory bounded by a record, not the file)', async () => {
    const frame = new Uint8Array(1514);
    const file = writePcap(Array.from({ length: 2000 }, () => frame));
    let pulled = 0;
    async function* chunks() {
      for (let i = 0; i < file.length; i += 65536) {
        pulled++;
        yield file.slice(i, i + 65536);
      }
    }
    const s = new CaptureStream(chunks());
    const seen: number[] = [];
    let total = 0;
    for await (const batch of s.batches()) {
      seen.push(pulled);
      total += batch.length;
      expect(batch.length).toBeLessThanOrEqual(Math.ceil(65536 / 1530) + 1);
    }
    expect(total).toBe(2000);
    expect(seen[0]).toBe(1);
    expect(seen.length).toBeGreaterThan(40);
  });
});
