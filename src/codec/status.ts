/**
 * Status codes of the codec (shared with WASM in assembly/shared/codec.ts)
 * and the typed error that carries one.
 */
import { CnikitError } from '../core/errors.js';
import * as C from '../../assembly/shared/codec.js';

/** Stable names of the status codes, indexed by code. */
export const CODEC_STATUS_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  names[C.ST_OK] = 'Ok';
  names[C.ST_TRUNC_ETH] = 'TruncatedEthernet';
  names[C.ST_NOT_IPV4] = 'NotIPv4';
  names[C.ST_TRUNC_IPV4] = 'TruncatedIPv4';
  names[C.ST_IPV4_VERSION] = 'IPv4Version';
  names[C.ST_IPV4_IHL] = 'IPv4Ihl';
  names[C.ST_IPV4_TOTLEN] = 'IPv4TotalLength';
  names[C.ST_IPV4_TOTLEN_SHORT] = 'IPv4TotalLengthShort';
  names[C.ST_IPV4_FRAGMENT] = 'IPv4Fragment';
  names[C.ST_IPV4_CHECKSUM] = 'IPv4Checksum';
  names[C.ST_NOT_UDP] = 'NotUdp';
  names[C.ST_NOT_IPIP] = 'NotIpip';
  names[C.ST_TRUNC_UDP] = 'TruncatedUdp';
  names[C.ST_UDP_DPORT] = 'UdpDstPort';
  names[C.ST_UDP_LENGTH] = 'UdpLength';
  names[C.ST_UDP_CHECKSUM] = 'UdpChecksum';
  names[C.ST_TRUNC_VXLAN] = 'TruncatedVxlan';
  names[C.ST_VXLAN_I_FLAG] = 'VxlanIFlag';
  names[C.ST_VXLAN_VNI] = 'VxlanVni';
  names[C.ST_VXLAN_RESERVED] = 'VxlanReserved';
  names[C.ST_INNER_TOO_SHORT] = 'InnerTooShort';
  names[C.ST_INNER_NOT_IPV4] = 'InnerNotIPv4';
  names[C.ST_TOO_BIG] = 'TooBig';
  names[C.ST_NO_HEADROOM] = 'NoHeadroom';
  names[C.ST_OUT_OF_BOUNDS] = 'OutOfBounds';
  names[C.ST_BAD_MODE] = 'BadMode';
  return names;
})();

const hex = (v: number, w = 4) => '0x' + (v >>> 0).toString(16).padStart(w, '0');

/** Human description of a failure, without the offset. */
export function describeCodecStatus(status: number, value: number): string {
  switch (status) {
    case C.ST_TRUNC_ETH: return `frame of ${value} bytes is shorter than its Ethernet header`;
    case C.ST_NOT_IPV4: return `EtherType ${hex(value)} is not IPv4`;
    case C.ST_TRUNC_IPV4: return `${value} bytes left < IPv4 header`;
    case C.ST_IPV4_VERSION: return `IP version ${value} != 4`;
    case C.ST_IPV4_IHL: return `IPv4 IHL ${value} < 5`;
    case C.ST_IPV4_TOTLEN: return `IPv4 total length ${value} beyond the frame`;
    case C.ST_IPV4_TOTLEN_SHORT: return `IPv4 total length ${value} < header length`;
    case C.ST_IPV4_FRAGMENT: return `IPv4 fragment (flags/offset ${hex(value)}), not reassembled`;
    case C.ST_IPV4_CHECKSUM: return `IPv4 header checksum ${hex(value)} is wrong`;
    case C.ST_NOT_UDP: return `IP protocol ${value} is not UDP (17)`;
    case C.ST_NOT_IPIP: return `IP protocol ${value} is not IPIP (4)`;
    case C.ST_TRUNC_UDP: return `${value} bytes left < UDP header`;
    case C.ST_UDP_DPORT: return `UDP destination port ${value} is not a configured port`;
    case C.ST_UDP_LENGTH: return `UDP length ${value} != IP payload length`;
    case C.ST_UDP_CHECKSUM: return `UDP checksum ${hex(value)} is wrong`;
    case C.ST_TRUNC_VXLAN: return `${value} bytes of UDP payload < VXLAN header`;
    case C.ST_VXLAN_I_FLAG: return `VXLAN flags ${hex(value, 2)} without the I bit`;
    case C.ST_VXLAN_VNI: return `VNI ${value} not configured`;
    case C.ST_VXLAN_RESERVED: return `VXLAN reserved bits set (${hex(value, 2)})`;
    case C.ST_INNER_TOO_SHORT: return `inner packet of ${value} bytes is too short`;
    case C.ST_INNER_NOT_IPV4: return 'inner frame is not untagged IPv4';
    case C.ST_TOO_BIG: return `outer packet would be ${value} bytes > 65535`;
    case C.ST_NO_HEADROOM: return 'no headroom in front of the frame';
    case C.ST_OUT_OF_BOUNDS: return 'frame outside WASM memory';
    default: return `status ${status} (value ${value})`;
  }
}

/**
 * A frame failed validation. `code` is the status name (`IPv4Ihl`), and the
 * message names the value and the byte offset, e.g.
 * `IPv4Ihl: IPv4 IHL 4 < 5 at offset 14`.
 */
export class DecodeError extends CnikitError {
  /** Numeric status code (assembly/shared/codec.ts ST_*). */
  readonly status: number;
  /** Byte offset in the frame of the field that failed. */
  readonly offset: number;
  /** The value found there. */
  readonly value: number;
  constructor(status: number, offset: number, value: number) {
    super(CODEC_STATUS_NAMES[status] ?? `Status${status}`, `${describeCodecStatus(status, value)} at offset ${offset}`);
    this.status = status;
    this.offset = offset;
    this.value = value;
  }
}
