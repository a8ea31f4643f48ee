/**
 * Classic libpcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html):
 * a 24-byte global header, then records of a 16-byte header plus data.
 *
 *   magic 0xa1b2c3d4 (micro) or 0xa1b23c4d (nano), in the writer's byte
 *   order; version 2.4; thiszone; sigfigs; snaplen; network (link type).
 *   record: ts_sec, ts_usec|ts_nsec, incl_len, orig_len.
 */
import { InputError } from '../core/errors.js';
import { LINKTYPE_ETHERNET, type Capture, type CapturedPacket } from './types.js';

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;

/** True if `b` starts with a classic pcap magic number in either byte order. */
export function isClassicPcap(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  return le === MAGIC_MICRO || le === MAGIC_NANO || be === MAGIC_MICRO || be === MAGIC_NANO;
}

/** Reads a classic pcap file. Throws `InputError` (PcapBadMagic, PcapTruncated) naming the byte offset. */
export function readClassicPcap(b: Uint8Array, file = 'pcap'): Capture {
  if (b.length < 24) throw new InputError('PcapTruncated', file, `a 24-byte pcap header, got ${b.length} bytes`, { offset: 0 });
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let little: boolean;
  const m = dv.getUint32(0, true);
  if (m === MAGIC_MICRO || m === MAGIC_NANO) little = true;
  else if (dv.getUint32(0, false) === MAGIC_MICRO || dv.getUint32(0, false) === MAGIC_NANO) little = false;
  else throw new InputError('PcapBadMagic', file, `pcap magic a1b2c3d4 or a1b23c4d (either byte order), got ${m.toString(16).padStart(8, '0')}`, { offset: 0 });
  const nanos = dv.getUint32(0, little) === MAGIC_NANO;
  const snaplen = dv.getUint32(16, little);
  const linkType = dv.getUint32(20, little) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  let off = 24;
  while (off < b.length) {
    if (off + 16 > b.length) throw new InputError('PcapTruncated', file, `a 16-byte record header, ${b.length - off} bytes left`, { offset: off });
    const sec = dv.getUint32(off, little);
    const frac = dv.getUint32(off + 4, little);
    const incl = dv.getUint32(off + 8, little);
    const orig = dv.getUint32(off + 12, little);
    if (off + 16 + incl > b.length) throw new InputError('PcapTruncated', file, `a record of ${incl} bytes, ${b.length - off - 16} bytes left`, { offset: off + 8 });
    packets.push({ tsSec: sec, tsNsec: nanos ? frac : frac * 1000, data: b.slice(off + 16, off + 16 + incl), origLen: orig, linkType });
    off += 16 + incl;
  }
  return { format: 'pcap', linkType, nanos, bigEndian: !little, snaplen, packets };
}

/** Options of {@link writePcap}. */
export interface WritePcapOptions {
  /** Link type; default 1 (Ethernet). */
  linkType?: number;
  /** Write nanosecond timestamps (magic a1b23c4d); default false (microseconds). */
  nanos?: boolean;
  /** Write big-endian; default false (little-endian, like tcpdump on x86). */
  bigEndian?: boolean;
  /** Snapshot length in the header; default 262144 (tcpdump's). */
  snaplen?: number;
}

/** A packet to write: bytes and an optional timestamp (default 0). */
export interface PacketToWrite {
  data: Uint8Array;
  tsSec?: number;
  tsNsec?: number;
  origLen?: number;
}

/** Writes a classic pcap file. */
export function writePcap(packets: Iterable<PacketToWrite | Uint8Array>, opts: WritePcapOptions = {}): Uint8Array {
  const list = [...packets].map((p) => (p instanceof Uint8Array ? { data: p } : p));
  const little = !opts.bigEndian;
  const total = 24 + list.reduce((n, p) => n + 16 + p.data.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, opts.nanos ? MAGIC_NANO : MAGIC_MICRO, little);
  dv.setUint16(4, 2, little);
  dv.setUint16(6, 4, little);
  dv.setUint32(16, opts.snaplen ?? 262144, little);
  dv.setUint32(20, opts.linkType ?? LINKTYPE_ETHERNET, little);
  let off = 24;
  for (const p of list) {
    const nsec = p.tsNsec ?? 0;
    if (nsec < 0 || nsec > 999_999_999 || !Number.isInteger(nsec)) throw new InputError('PcapTimestamp', String(nsec), 'nanoseconds 0..999999999');
    dv.setUint32(off, p.tsSec ?? 0, little);
    dv.setUint32(off + 4, opts.nanos ? nsec : Math.floor(nsec / 1000), little);
    dv.setUint32(off + 8, p.data.length, little);
    dv.setUint32(off + 12, p.origLen ?? p.data.length, little);
    out.set(p.data, off + 16);
    off += 16 + p.data.length;
  }
  return out;
}
