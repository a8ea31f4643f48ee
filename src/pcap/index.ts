/**
 * pcap in and out: classic libpcap files (read and write, both byte
 * orders, micro- and nanosecond timestamps) and pcapng (read: SHB, IDB,
 * EPB, SPB), whole (`readCapture`) or as a stream (`CaptureStream`).
 */
import { InputError } from '../core/errors.js';
import { isClassicPcap, readClassicPcap } from './classic.js';
import { isPcapng, readPcapng } from './pcapng.js';
import type { Capture } from './types.js';

export { writePcap, pcapFileHeader, pcapRecords, readClassicPcap, isClassicPcap } from './classic.js';
export type { WritePcapOptions, PacketToWrite } from './classic.js';
export { readPcapng, isPcapng } from './pcapng.js';
export { CaptureStream } from './stream.js';
export { LINKTYPE_ETHERNET } from './types.js';
export type { Capture, CapturedPacket } from './types.js';

/** Reads a classic pcap or pcapng file, whichever `bytes` is. */
export function readCapture(bytes: Uint8Array, file = 'capture'): Capture {
  if (isPcapng(bytes)) return readPcapng(bytes, file);
  if (isClassicPcap(bytes)) return readClassicPcap(bytes, file);
  const head = [...bytes.slice(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join('');
  throw new InputError('PcapBadMagic', file, `a pcap (a1b2c3d4/a1b23c4d) or pcapng (0a0d0d0a) file, starts with ${head || 'nothing'}`, { offset: 0 });
}
