/**
 * pcapng reader (draft-ietf-opsawg-pcapng): Section Header Block (SHB),
 * Interface Description Block (IDB, with the if_tsresol option), Enhanced
 * Packet Block (EPB) and Simple Packet Block (SPB). Other blocks (name
 * resolution, statistics, custom) are skipped. Every block is
 *
 *   type (4) | total length (4) | body ... | total length (4)
 *
 * in the byte order the SHB's byte-order magic 0x1a2b3c4d announces.
 */
import { InputError } from '../core/errors.js';
import type { Capture, CapturedPacket } from './types.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second. */
  unitsPerSec: bigint;
}

/** True if `b` starts with a pcapng Section Header Block. */
export function isPcapng(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

function tsresol(v: number): bigint {
  // High bit clear: 10^-v seconds; set: 2^-(v & 0x7f).
  return v & 0x80 ? 1n << BigInt(v & 0x7f) : 10n ** BigInt(v);
}

/**
 * Largest block accepted (Wireshark's MAX_BLOCK_SIZE, 16 MiB): a bigger
 * length is a corrupt file, and refusing it keeps a streaming reader from
 * buffering the rest of the file for one block.
 */
const MAX_BLOCK_SIZE = 16 * 1024 * 1024;

/**
 * Incremental pcapng reader: {@link step} is given the unread bytes and
 * consumes one whole block at a time (see src/pcap/stream.ts).
 */
export class PcapngParser {
  readonly format = 'pcapng';
  private little = true;
  private ifaces: Iface[] = [];
  private first = true;
  private bigEndian = false;
  private firstIface: Iface | undefined;
  private firstLinkType: number | undefined;

  constructor(private readonly file: string) {}

  /**
   * Reads the block at `b[off..off+avail)` (file offset `pos`): returns its
   * length, or 0 when it is not complete yet. Packets are appended to `out`.
   * Throws `InputError` naming the file offset.
   */
  step(b: Uint8Array, off: number, avail: number, pos: number, out: CapturedPacket[]): number {
    const file = this.file;
    if (avail < 12) return 0;
    const dv = new DataView(b.buffer, b.byteOffset + off, avail);
    let little = this.little;
    const type = dv.getUint32(0, little);
    if (type === SHB || dv.getUint32(0, true) === SHB) {
      const bom = dv.getUint32(8, true);
      if (bom === BYTE_ORDER_MAGIC) little = true;
      else if (dv.getUint32(8, false) === BYTE_ORDER_MAGIC) little = false;
      else throw new InputError('PcapBadMagic', file, `pcapng byte-order magic 1a2b3c4d, got ${bom.toString(16)}`, { offset: pos + 8 });
      if (this.first) this.bigEndian = !little;
      this.little = little;
      this.ifaces = [];
    } else if (this.first) {
      throw new InputError('PcapBadMagic', file, 'a pcapng Section Header Block first', { offset: 0 });
    }
    this.first = false;
    const len = dv.getUint32(4, little);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK_SIZE) {
      throw new InputError('PcapTruncated', file, `a block length that is a multiple of 4, >= 12 and within the file, got ${len}`, { offset: pos + 4 });
    }
    if (avail < len) return 0;
    const body = 8;
    const bodyEnd = len - 4;
    const at = (o: number) => ({ offset: pos + o });
    const t = dv.getUint32(0, little);
    if (t === IDB) {
      if (bodyEnd - body < 8) throw new InputError('PcapTruncated', file, 'an 8-byte IDB body', at(body));
      const iface: Iface = { linkType: dv.getUint16(body, little), snaplen: dv.getUint32(body + 4, little), unitsPerSec: 1_000_000n };
      // Options: code (2), length (2), value padded to 4.
      let o = body + 8;
      while (o + 4 <= bodyEnd) {
        const code = dv.getUint16(o, little);
        const olen = dv.getUint16(o + 2, little);
        if (code === 0) break;
        if (code === 9 && olen >= 1 && o + 4 < bodyEnd) iface.unitsPerSec = tsresol(b[off + o + 4]);
        o += 4 + ((olen + 3) & ~3);
      }
      this.ifaces.push(iface);
      this.firstIface ??= iface;
    } else if (t === EPB) {
      if (bodyEnd - body < 20) throw new InputError('PcapTruncated', file, 'a 20-byte EPB header', at(body));
      const id = dv.getUint32(body, little);
      const iface = this.ifaces[id];
      if (!iface) throw new InputError('PcapBadInterface', file, `an interface id < ${this.ifaces.length}, got ${id}`, at(body));
      const ts = (BigInt(dv.getUint32(body + 4, little)) << 32n) | BigInt(dv.getUint32(body + 8, little));
      const cap = dv.getUint32(body + 12, little);
      const orig = dv.getUint32(body + 16, little);
      if (body + 20 + cap > bodyEnd) throw new InputError('PcapTruncated', file, `${cap} captured bytes inside the block`, at(body + 12));
      const sec = ts / iface.unitsPerSec;
      const nsec = ((ts % iface.unitsPerSec) * 1_000_000_000n) / iface.unitsPerSec;
      out.push({ tsSec: Number(sec), tsNsec: Number(nsec), data: b.slice(off + body + 20, off + body + 20 + cap), origLen: orig, linkType: iface.linkType });
      this.firstLinkType ??= iface.linkType;
    } else if (t === SPB) {
      const iface = this.ifaces[0];
      if (!iface) throw new InputError('PcapBadInterface', file, 'an IDB before a Simple Packet Block', at(0));
      const orig = dv.getUint32(body, little);
      const cap = Math.min(orig, iface.snaplen || orig, bodyEnd - body - 4);
      out.push({ tsSec: 0, tsNsec: 0, data: b.slice(off + body + 4, off + body + 4 + cap), origLen: orig, linkType: iface.linkType });
      this.firstLinkType ??= iface.linkType;
    }
    return len;
  }

  /** The error for a file that ends `avail` bytes into a block (offset `pos`). */
  cutShort(b: Uint8Array, off: number, avail: number, pos: number): InputError {
    if (avail < 12) return new InputError('PcapTruncated', this.file, `a pcapng block header, ${avail} bytes left`, { offset: pos });
    const len = new DataView(b.buffer, b.byteOffset + off, avail).getUint32(4, this.little);
    return new InputError('PcapTruncated', this.file, `a block length that is a multiple of 4, >= 12 and within the file, got ${len}`, { offset: pos + 4 });
  }

  /** The capture's header fields (link type and snaplen of the first interface). */
  header(): Omit<Capture, 'packets'> {
    return { format: 'pcapng', linkType: this.firstIface?.linkType ?? this.firstLinkType ?? 0, nanos: false, bigEndian: this.bigEndian, snaplen: this.firstIface?.snaplen ?? 0 };
  }
}

/** Reads a pcapng file (all sections). Throws `InputError` naming the byte offset. */
export function readPcapng(b: Uint8Array, file = 'pcapng'): Capture {
  const p = new PcapngParser(file);
  const packets: CapturedPacket[] = [];
  let off = 0;
  for (let n; off < b.length && (n = p.step(b, off, b.length - off, off, packets)) > 0; ) off += n;
  if (off < b.length) throw p.cutShort(b, off, b.length - off, off);
  return { ...p.header(), packets };
}
