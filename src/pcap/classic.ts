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

/**
 * Largest record accepted: libpcap's MAXIMUM_SNAPLEN (262144) or the file's
 * snaplen if larger. A bigger `incl_len` means a corrupt file (libpcap:
 * "invalid packet capture length"), and refusing it keeps a streaming
 * reader from buffering the rest of the file for one record.
 */
const MAXIMUM_SNAPLEN = 262144;

/**
 * Incremental classic pcap reader: {@link step} is given the unread bytes
 * and consumes the global header or one whole record at a time, so the
 * caller holds at most one record (see src/pcap/stream.ts).
 */
export class ClassicPcapParser {
  readonly format = 'pcap';
  little = true;
  nanos = false;
  snaplen = 0;
  linkType = 0;
  private started = false;

  constructor(private readonly file: string) {}

  /**
   * Reads the unit at `b[off..off+avail)` (file offset `pos`): returns the
   * bytes used, or 0 when the unit is not complete yet. Complete records
   * are appended to `out`. Throws `InputError` (PcapBadMagic, PcapRecordTooLong).
   */
  step(b: Uint8Array, off: number, avail: number, pos: number, out: CapturedPacket[]): number {
    const dv = new DataView(b.buffer, b.byteOffset + off, avail);
    if (!this.started) {
      if (avail < 24) return 0;
      const m = dv.getUint32(0, true);
      if (m === MAGIC_MICRO || m === MAGIC_NANO) this.little = true;
      else if (dv.getUint32(0, false) === MAGIC_MICRO || dv.getUint32(0, false) === MAGIC_NANO) this.little = false;
      else throw new InputError('PcapBadMagic', this.file, `pcap magic a1b2c3d4 or a1b23c4d (either byte order), got ${m.toString(16).padStart(8, '0')}`, { offset: 0 });
      this.nanos = dv.getUint32(0, this.little) === MAGIC_NANO;
      this.snaplen = dv.getUint32(16, this.little);
      this.linkType = dv.getUint32(20, this.little) & 0x0fffffff;
      this.started = true;
      return 24;
    }
    if (avail < 16) return 0;
    const little = this.little;
    const incl = dv.getUint32(8, little);
    const max = Math.max(this.snaplen, MAXIMUM_SNAPLEN);
    if (incl > max) throw new InputError('PcapRecordTooLong', this.file, `a captured length <= ${max}, got ${incl}`, { offset: pos + 8 });
    if (avail < 16 + incl) return 0;
    const frac = dv.getUint32(4, little);
    out.push({ tsSec: dv.getUint32(0, little), tsNsec: this.nanos ? frac : frac * 1000, data: b.slice(off + 16, off + 16 + incl), origLen: dv.getUint32(12, little), linkType: this.linkType });
    return 16 + incl;
  }

  /** The error for a file that ends `avail` bytes into a unit (offset `pos`): what was cut short. */
  cutShort(b: Uint8Array, off: number, avail: number, pos: number): InputError {
    if (!this.started) return new InputError('PcapTruncated', this.file, `a 24-byte pcap header, got ${avail} bytes`, { offset: 0 });
    if (avail < 16) return new InputError('PcapTruncated', this.file, `a 16-byte record header, ${avail} bytes left`, { offset: pos });
    const incl = new DataView(b.buffer, b.byteOffset + off, avail).getUint32(8, this.little);
    return new InputError('PcapTruncated', this.file, `a record of ${incl} bytes, ${avail - 16} bytes left`, { offset: pos + 8 });
  }

  /** The capture's header fields. */
  header(): Omit<Capture, 'packets'> {
    return { format: 'pcap', linkType: this.linkType, nanos: this.nanos, bigEndian: !this.little, snaplen: this.snaplen };
  }
}

/** Reads a classic pcap file. Throws `InputError` (PcapBadMagic, PcapTruncated) naming the byte offset. */
export function readClassicPcap(b: Uint8Array, file = 'pcap'): Capture {
  const p = new ClassicPcapParser(file);
  const packets: CapturedPacket[] = [];
  let off = 0;
  for (let n; off < b.length && (n = p.step(b, off, b.length - off, off, packets)) > 0; ) off += n;
  if (off < b.length || b.length < 24) throw p.cutShort(b, off, b.length - off, off);
  return { ...p.header(), packets };
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

/** The 24-byte global header of a classic pcap file (write it, then {@link pcapRecords}). */
export function pcapFileHeader(opts: WritePcapOptions = {}): Uint8Array {
  const out = new Uint8Array(24);
  const dv = new DataView(out.buffer);
  const little = !opts.bigEndian;
  dv.setUint32(0, opts.nanos ? MAGIC_NANO : MAGIC_MICRO, little);
  dv.setUint16(4, 2, little);
  dv.setUint16(6, 4, little);
  dv.setUint32(16, opts.snaplen ?? 262144, little);
  dv.setUint32(20, opts.linkType ?? LINKTYPE_ETHERNET, little);
  return out;
}

/** Records (16-byte header and data each) to append after {@link pcapFileHeader} with the same options. */
export function pcapRecords(packets: Iterable<PacketToWrite | Uint8Array>, opts: WritePcapOptions = {}): Uint8Array {
  const list = [...packets].map((p) => (p instanceof Uint8Array ? { data: p } : p));
  const little = !opts.bigEndian;
  const out = new Uint8Array(list.reduce((n, p) => n + 16 + p.data.length, 0));
  const dv = new DataView(out.buffer);
  let off = 0;
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

/** Writes a classic pcap file. */
export function writePcap(packets: Iterable<PacketToWrite | Uint8Array>, opts: WritePcapOptions = {}): Uint8Array {
  const records = pcapRecords(packets, opts);
  const out = new Uint8Array(24 + records.length);
  out.set(pcapFileHeader(opts));
  out.set(records, 24);
  return out;
}
