/** Builders of inner frames for codec tests (plain TypeScript, independent of the codec). */
import { internetChecksum } from '../../src/codec/reference.js';

/** Options of {@link innerFrame}. */
export interface InnerSpec {
  proto?: number;
  src?: number;
  dst?: number;
  sport?: number;
  dport?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  payload?: number;
  vlan?: number;
}

/** An Ethernet + IPv4 (+ 8 bytes of TCP/UDP/ICMP header) + payload frame with a valid IPv4 checksum. */
export function innerFrame(s: InnerSpec = {}): Uint8Array {
  const tag = s.vlan === undefined ? 0 : 4;
  const payload = s.payload ?? 32;
  const b = new Uint8Array(14 + tag + 20 + 8 + payload);
  const dv = new DataView(b.buffer);
  b.set([0x0a, 0x58, 0x0a, 0xf4, 0x02, 0x05, 0x0a, 0x58, 0x0a, 0xf4, 0x01, 0x04], 0);
  if (tag) {
    dv.setUint16(12, 0x8100);
    dv.setUint16(14, s.vlan!);
  }
  dv.setUint16(12 + tag, 0x0800);
  const ip = 14 + tag;
  b[ip] = 0x45;
  b[ip + 1] = s.tos ?? 0;
  dv.setUint16(ip + 2, 20 + 8 + payload);
  dv.setUint16(ip + 4, 0x1234);
  dv.setUint16(ip + 6, s.df === false ? 0 : 0x4000);
  b[ip + 8] = s.ttl ?? 64;
  b[ip + 9] = s.proto ?? 17;
  dv.setUint32(ip + 12, s.src ?? 0x0af40105);
  dv.setUint32(ip + 16, s.dst ?? 0x0af40205);
  dv.setUint16(ip + 10, internetChecksum(b, ip, 20));
  dv.setUint16(ip + 20, s.sport ?? 40000);
  dv.setUint16(ip + 22, s.dport ?? 53);
  for (let i = 0; i < payload; i++) b[ip + 28 + i] = (i * 7 + 3) & 0xff;
  return b;
}

/** Recomputes the IPv4 header checksum of the header at `off`. */
export function fixIpChecksum(b: Uint8Array, off = 14): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset);
  dv.setUint16(off + 10, 0);
  dv.setUint16(off + 10, internetChecksum(b, off, (b[off] & 15) * 4));
  return b;
}
