/**
 * Reading a capture as a stream: records are decoded as the bytes arrive
 * and handed out one batch per input chunk, so memory is bounded by the
 * largest record (plus one chunk), not by the file. A capture that ends
 * inside a record (an interrupted tcpdump, a copy cut short) still gives
 * every complete record; the cut is then reported once, as tcpdump does
 * ("truncated dump file"), through {@link CaptureStream.truncated}.
 */
import { InputError } from '../core/errors.js';
import { ClassicPcapParser, isClassicPcap } from './classic.js';
import { PcapngParser, isPcapng } from './pcapng.js';
import type { Capture, CapturedPacket } from './types.js';

type Parser = ClassicPcapParser | PcapngParser;

/** A capture being read from a stream of byte chunks. */
export class CaptureStream {
  /**
   * Set once the stream has ended inside a record or block: the
   * `PcapTruncated` error naming the offset and what was missing. Every
   * complete record before it was yielded.
   */
  truncated: InputError | undefined;
  private parser: Parser | undefined;

  constructor(private readonly source: AsyncIterable<Uint8Array | string>, private readonly file = 'capture') {}

  /** Header fields as read so far (format, link type of the first interface, timestamp resolution). */
  header(): Omit<Capture, 'packets'> | undefined {
    return this.parser?.header();
  }

  /**
   * Yields the complete records in file order, a batch per chunk read.
   * Throws `InputError` for a file that is not a capture, or is corrupt
   * (bad magic, impossible lengths); ends normally, with
   * {@link truncated} set, when the file stops inside a record.
   */
  async *batches(): AsyncGenerator<CapturedPacket[]> {
    let buf = new Uint8Array(65536);
    let start = 0;
    let end = 0;
    let pos = 0; // file offset of buf[start]
    for await (const raw of this.source) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      if (end + chunk.length > buf.length) {
        // Move the unread bytes to the front; grow only for a record larger than the buffer.
        const need = end - start + chunk.length;
        const next = need > buf.length ? new Uint8Array(Math.max(need, buf.length * 2)) : buf;
        if (next === buf) buf.copyWithin(0, start, end);
        else next.set(buf.subarray(start, end));
        buf = next;
        end -= start;
        start = 0;
      }
      buf.set(chunk, end);
      end += chunk.length;
      this.parser ??= this.detect(buf.subarray(start, end), false);
      if (!this.parser) continue;
      const out: CapturedPacket[] = [];
      for (let n; start < end && (n = this.parser.step(buf, start, end - start, pos, out)) > 0; ) {
        start += n;
        pos += n;
      }
      if (out.length) yield out;
    }
    this.parser ??= this.detect(buf.subarray(start, end), true);
    if (start < end) this.truncated = this.parser!.cutShort(buf, start, end - start, pos);
  }

  /** The parser for the format the first bytes announce; undefined while fewer than 4 bytes are in. */
  private detect(head: Uint8Array, atEnd: boolean): Parser | undefined {
    if (head.length < 4 && !atEnd) return undefined;
    if (isPcapng(head)) return new PcapngParser(this.file);
    if (isClassicPcap(head)) return new ClassicPcapParser(this.file);
    const hex = [...head.slice(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join('');
    throw new InputError('PcapBadMagic', this.file, `a pcap (a1b2c3d4/a1b23c4d) or pcapng (0a0d0d0a) file, starts with ${hex || 'nothing'}`, { offset: 0 });
  }
}
