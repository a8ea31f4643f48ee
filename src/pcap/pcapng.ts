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

/** Reads a pcapng file (all sections). Throws `InputError` naming the byte offset. */
export function readPcapng(b: Uint8Array, file = 'pcapng'): Capture {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let little = true;
  let ifaces: Iface[] = [];
  const packets: CapturedPacket[] = [];
  let bigEndian = false;
  let off = 0;
  let first = true;
  while (off < b.length) {
    if (off + 12 > b.length) throw new InputError('PcapTruncated', file, `a pcapng block header, ${b.length - off} bytes left`, { offset: off });
    const type = dv.getUint32(off, little);
    if (type === SHB || dv.getUint32(off, true) === SHB) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === BYTE_ORDER_MAGIC) little = true;
      else if (dv.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) little = false;
      else throw new InputError('PcapBadMagic', file, `pcapng byte-order magic 1a2b3c4d, got ${bom.toString(16)}`, { offset: off + 8 });
      if (first) bigEndian = !little;
      ifaces = [];
    } else if (first) {
      throw new InputError('PcapBadMagic', file, 'a pcapng Section Header Block first', { offset: 0 });
    }
    first = false;
    const len = dv.getUint32(off + 4, little);
    if (len < 12 || len % 4 !== 0 || off + len > b.length) {
      throw new InputError('PcapTruncated', file, `a block length that is a multiple of 4, >= 12 and within the file, got ${len}`, { offset: off + 4 });
    }
    const body = off + 8;
    const bodyEnd = off + len - 4;
    const t = dv.getUint32(off, little);
    if (t === IDB) {
      if (bodyEnd - body < 8) throw new InputError('PcapTruncated', file, 'an 8-byte IDB body', { offset: body });
      const iface: Iface = { linkType: dv.getUint16(body, little), snaplen: dv.getUint32(body + 4, little), unitsPerSec: 1_000_000n };
      // Options: code (2), length (2), value padded to 4.
      let o = body + 8;
      while (o + 4 <= bodyEnd) {
        const code = dv.getUint16(o, little);
        const olen = dv.getUint16(o + 2, little);
        if (code === 0) break;
        if (code === 9 && olen >= 1 && o + 4 < bodyEnd) iface.unitsPerSec = tsresol(b[o + 4]);
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push(iface);
    } else if (t === EPB) {
      if (bodyEnd - body < 20) throw new InputError('PcapTruncated', file, 'a 20-byte EPB header', { offset: body });
      const id = dv.getUint32(body, little);
      const iface = ifaces[id];
      if (!iface) throw new InputError('PcapBadInterface', file, `an interface id < ${ifaces.length}, got ${id}`, { offset: body });
      const ts = (BigInt(dv.getUint32(body + 4, little)) << 32n) | BigInt(dv.getUint32(body + 8, little));
      const cap = dv.getUint32(body + 12, little);
      const orig = dv.getUint32(body + 16, little);
      if (body + 20 + cap > bodyEnd) throw new InputError('PcapTruncated', file, `${cap} captured bytes inside the block`, { offset: body + 12 });
      const sec = ts / iface.unitsPerSec;
      const nsec = ((ts % iface.unitsPerSec) * 1_000_000_000n) / iface.unitsPerSec;
      packets.push({ tsSec: Number(sec), tsNsec: Number(nsec), data: b.slice(body + 20, body + 20 + cap), origLen: orig, linkType: iface.linkType });
    } else if (t === SPB) {
      const iface = ifaces[0];
      if (!iface) throw new InputError('PcapBadInterface', file, 'an IDB before a Simple Packet Block', { offset: off });
      const orig = dv.getUint32(body, little);
      const cap = Math.min(orig, iface.snaplen || orig, bodyEnd - body - 4);
      packets.push({ tsSec: 0, tsNsec: 0, data: b.slice(body + 4, body + 4 + cap), origLen: orig, linkType: iface.linkType });
    }
    off += len;
  }
  const lt = ifaces[0]?.linkType ?? packets[0]?.linkType ?? 0;
  return { format: 'pcapng', linkType: lt, nanos: false, bigEndian, snaplen: ifaces[0]?.snaplen ?? 0, packets };
}
