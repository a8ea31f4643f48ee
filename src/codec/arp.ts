/**
 * The inner ARP packet of a VXLAN frame (RFC 826), decoded for information
 * like the inner IPv4 5-tuple: Linux's tunnel receive path hands it to the
 * bridge or the neighbour code unvalidated, and an L2 MISS walk needs to see
 * the request and the reply inside the tunnel.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |       Hardware type (1)       |     Protocol type (0x0800)    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  HW len (6)   | Proto len (4) |           Operation           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Sender hardware address (6) | Sender protocol address (4)   |
 *   |  Target hardware address (6) | Target protocol address (4)   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { formatIPv4, formatMac } from '../net/ip.js';

/** ARP header + Ethernet/IPv4 addresses. */
export const ARP_ETH_IPV4_LEN = 28;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

/** An Ethernet/IPv4 ARP packet. */
export interface InnerArp {
  /** `ar_op`: 1 request, 2 reply (others are kept as numbers). */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/**
 * The ARP packet at `off` in `b` (`avail` bytes), or undefined unless it is
 * Ethernet/IPv4 ARP (hardware type 1, protocol 0x0800, lengths 6 and 4: what
 * Linux `arp_rcv` accepts on an Ethernet device) with all 28 bytes present.
 */
export function decodeArp(b: Uint8Array, off: number, avail: number): InnerArp | undefined {
  if (avail < ARP_ETH_IPV4_LEN) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset + off, ARP_ETH_IPV4_LEN);
  if (dv.getUint16(0) !== 1 || dv.getUint16(2) !== 0x0800 || b[off + 4] !== 6 || b[off + 5] !== 4) return undefined;
  return {
    op: dv.getUint16(6),
    senderMac: formatMac(b, off + 8),
    senderIp: formatIPv4(dv.getUint32(14)),
    targetMac: formatMac(b, off + 18),
    targetIp: formatIPv4(dv.getUint32(24)),
  };
}

/** `request`, `reply` or `op N`. */
export function arpOpName(op: number): string {
  return op === ARPOP_REQUEST ? 'request' : op === ARPOP_REPLY ? 'reply' : `op ${op}`;
}
