/**
 * Re-encodes every frame of a kernel capture from its decoded fields and
 * compares the bytes. The UDP source port and the IPv4 ID are taken from
 * the capture (the kernel's flow hash is keyed with a random per-boot key
 * and its IDs come from a hashed per-destination counter); everything else
 * comes from cnikit's defaults, so equal bytes also prove the defaults.
 */
import { readCapture } from '../../src/pcap/index.js';
import type { Codec, DecodedFrame, EncapParams } from '../../src/codec/index.js';

export interface KernelComparison {
  frames: number;
  mismatches: { index: number; reason: string }[];
  decoded: DecodedFrame[];
}

export function compareKernelCapture(codec: Codec, bytes: Uint8Array, override: Partial<EncapParams> = {}): KernelComparison {
  const cap = readCapture(bytes);
  const mismatches: { index: number; reason: string }[] = [];
  const decoded: DecodedFrame[] = [];
  cap.packets.forEach((p, index) => {
    const r = codec.decode(p.data, { ports: [8472], vnis: [1], checkUdpChecksum: true });
    if (!r.ok) return mismatches.push({ index, reason: r.error.message });
    const f = r.frame;
    decoded.push(f);
    const inner = p.data.slice(f.inner.offset, f.inner.offset + f.inner.length);
    const again = codec.encap(inner, { local: f.outer.src, remote: f.outer.dst, srcMac: f.outer.srcMac, dstMac: f.outer.dstMac, vni: f.vxlan!.vni, srcPort: f.udp!.srcPort, ipId: f.outer.id, ...override });
    const same = again.length === p.data.length && again.every((b, i) => b === p.data[i]);
    if (!same) {
      const at = again.findIndex((b, i) => b !== p.data[i]);
      mismatches.push({ index, reason: `re-encoded bytes differ at offset ${at}` });
    }
  });
  return { frames: cap.packets.length, mismatches, decoded };
}

/** Unordered inner flow key (both directions of a flow map to the same key). */
export function flowKey(f: DecodedFrame): string {
  const fl = f.inner.flow!;
  const a = `${fl.src}:${fl.srcPort}`;
  const b = `${fl.dst}:${fl.dstPort}`;
  return `${fl.protocol} ${a < b ? a + ' ' + b : b + ' ' + a}`;
}
