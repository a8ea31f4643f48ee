/**
 * Encapsulation and decapsulation parameters: what callers pass, the
 * defaults (Linux's and Flannel's), and the strict validation that runs
 * before anything reaches WASM.
 */
import { InputError } from '../core/errors.js';
import { parseIPv4, parseMac } from '../net/ip.js';
import * as C from '../../assembly/shared/codec.js';

/** The encapsulations the codec builds and parses. */
export type EncapMode = 'vxlan' | 'ipip' | 'flannel-udp';

/** Mode name -> MODE_* number. */
export const ENCAP_MODE_NUMBERS: Readonly<Record<EncapMode, number>> = { vxlan: C.MODE_VXLAN, ipip: C.MODE_IPIP, 'flannel-udp': C.MODE_FLANNEL_UDP };

/** Bytes each mode adds to the inner IP packet (also the headroom in-place encapsulation needs). */
export const ENCAP_MODE_OVERHEAD: Readonly<Record<EncapMode, number>> = { vxlan: C.VXLAN_OVERHEAD, ipip: C.IPIP_OVERHEAD, 'flannel-udp': C.FLANNEL_UDP_OVERHEAD };

/** What to put around an inner frame. */
export interface EncapParams {
  /** Default `'vxlan'`. */
  mode?: EncapMode;
  /** Outer IPv4 source (the local VTEP / node address). */
  local: string;
  /** Outer IPv4 destination (the remote VTEP). */
  remote: string;
  /** Outer Ethernet source MAC. */
  srcMac: string;
  /** Outer Ethernet destination MAC (the next hop on the underlay). */
  dstMac: string;
  /** VXLAN Network Identifier 0..16777215. Default 1 (Flannel's flannel.1). */
  vni?: number;
  /** UDP destination port. Default 8472 (Linux/Flannel VXLAN) or 8285 (flannel-udp). */
  dstPort?: number;
  /** Source-port range [min, max) for the flow hash, as `ip link ... srcport MIN MAX`. Default the Linux local port range 32768..60999. */
  srcPortRange?: readonly [number, number];
  /** Fixed UDP source port instead of the flow hash. Default none (VXLAN) or 8285 (flannel-udp, flanneld's bound socket). */
  srcPort?: number;
  /** Outer TTL 1..255 or `'inherit'` from the inner IPv4 header. Default 64 (VXLAN `ttl 0` -> ip_default_ttl; flannel-udp) or `'inherit'` (IPIP). */
  ttl?: number | 'inherit';
  /** Outer TOS/DSCP byte. Default 0. */
  tos?: number;
  /** Outer DF: `'unset'` (Linux vxlan default), `'set'`, `'inherit'` (IPIP default: Linux or-s in the inner DF). flannel-udp default `'set'` (a UDP socket's PMTU discovery). */
  df?: 'unset' | 'set' | 'inherit';
  /**
   * Compute the outer UDP checksum. Default true: Linux vxlan devices have
   * `udpcsum` on over IPv4 unless created with `noudpcsum` (seen in
   * `ip -d link` and in the kernel capture of test/kernel-vxlan.test.ts),
   * and flanneld's udp socket checksums too. `false` sends zero (allowed over IPv4).
   */
  udpChecksum?: boolean;
  /** Propagate the inner ECN bits (RFC 6040, Linux ip_tunnel_ecn_encap). Default true, false for flannel-udp. */
  ecn?: boolean;
  /** IPv4 identification of the first frame; each frame takes the next. Default 0. */
  ipId?: number;
  /** Seed of the flow hash (Linux uses a random per-boot key). Default 0. */
  hashSeed?: number;
}

/** Validated parameters, as numbers. */
export interface ResolvedEncap {
  mode: EncapMode;
  modeNumber: number;
  overhead: number;
  srcIp: number;
  dstIp: number;
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  vni: number;
  dstPort: number;
  portMin: number;
  portMax: number;
  /** -1: flow hash. */
  srcPort: number;
  /** 0: inherit. */
  ttl: number;
  tos: number;
  df: 'unset' | 'set' | 'inherit';
  udpChecksum: boolean;
  ecn: boolean;
  ipId: number;
  hashSeed: number;
}

function int(name: string, v: unknown, lo: number, hi: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new InputError(name, String(v), what);
  return v;
}

/** Validates `p` and fills in the defaults. Throws InputError naming the field. */
export function resolveEncap(p: EncapParams): ResolvedEncap {
  const mode = p.mode ?? 'vxlan';
  if (!(mode in ENCAP_MODE_NUMBERS)) throw new InputError('InvalidMode', String(mode), "'vxlan', 'ipip' or 'flannel-udp'");
  const udpMode = mode === 'flannel-udp';
  const range = p.srcPortRange ?? [C.LOCAL_PORT_MIN, C.LOCAL_PORT_MAX];
  if (!Array.isArray(range) || range.length !== 2) throw new InputError('InvalidPortRange', String(range), 'a [min, max) pair');
  const portMin = int('InvalidPortRange', range[0], 1, 65535, 'a port 1..65535');
  const portMax = int('InvalidPortRange', range[1], 1, 65535, 'a port 1..65535');
  if (portMin >= portMax) throw new InputError('InvalidPortRange', `${portMin}:${portMax}`, 'min < max (the range is [min, max) as in Linux)');
  const ttl = p.ttl === 'inherit' ? 0 : int('InvalidTtl', p.ttl ?? (mode === 'ipip' ? 0 : 64), mode === 'ipip' && p.ttl === undefined ? 0 : 1, 255, "a TTL 1..255 or 'inherit'");
  const df = p.df ?? (mode === 'ipip' ? 'inherit' : udpMode ? 'set' : 'unset');
  if (df !== 'unset' && df !== 'set' && df !== 'inherit') throw new InputError('InvalidDf', String(df), "'unset', 'set' or 'inherit'");
  return {
    mode,
    modeNumber: ENCAP_MODE_NUMBERS[mode],
    overhead: ENCAP_MODE_OVERHEAD[mode],
    srcIp: parseIPv4(p.local),
    dstIp: parseIPv4(p.remote),
    srcMac: parseMac(p.srcMac),
    dstMac: parseMac(p.dstMac),
    vni: int('InvalidVni', p.vni ?? 1, 0, C.VXLAN_VNI_MAX, 'a VNI 0..16777215'),
    dstPort: int('InvalidPort', p.dstPort ?? (udpMode ? C.FLANNEL_UDP_PORT : C.VXLAN_PORT_LINUX), 1, 65535, 'a port 1..65535'),
    portMin,
    portMax,
    srcPort: p.srcPort === undefined ? (udpMode ? C.FLANNEL_UDP_PORT : -1) : int('InvalidPort', p.srcPort, 1, 65535, 'a port 1..65535'),
    ttl,
    tos: int('InvalidTos', p.tos ?? 0, 0, 255, 'a TOS byte 0..255'),
    df,
    udpChecksum: typeof p.udpChecksum === 'boolean' ? p.udpChecksum : true,
    ecn: typeof p.ecn === 'boolean' ? p.ecn : !udpMode,
    ipId: int('InvalidIpId', p.ipId ?? 0, 0, 0xffff, 'an IPv4 ID 0..65535'),
    hashSeed: int('InvalidSeed', p.hashSeed ?? 0, 0, 0xffffffff, 'a 32-bit seed'),
  };
}

/**
 * Checks an inner frame before encapsulation, with the reason it cannot be
 * encapsulated in `mode`, or undefined when it can.
 */
export function innerFrameProblem(frame: Uint8Array, r: ResolvedEncap): { status: number; value: number } | undefined {
  if (frame.length < C.ETH_HLEN) return { status: C.ST_INNER_TOO_SHORT, value: frame.length };
  if (r.mode !== 'vxlan') {
    const et = (frame[12] << 8) | frame[13];
    if (et !== C.ETH_P_IP) return { status: C.ST_INNER_NOT_IPV4, value: et };
    if (frame.length < C.ETH_HLEN + C.IPV4_HLEN || frame[14] >> 4 !== 4) return { status: C.ST_INNER_TOO_SHORT, value: frame.length };
  }
  const totlen = frame.length + r.overhead - C.ETH_HLEN;
  if (totlen > 0xffff) return { status: C.ST_TOO_BIG, value: totlen };
  return undefined;
}

/** How to validate received frames. */
export interface DecapOptions {
  /** Default `'vxlan'`. */
  mode?: EncapMode;
  /** Accepted UDP destination ports (1 or 2). Default [8472] (vxlan) or [8285] (flannel-udp). */
  ports?: readonly number[];
  /** Configured VNIs (up to 16), or `'any'`. Default `'any'`. */
  vnis?: readonly number[] | 'any';
  /** Verify the outer IPv4 header checksum. Default true (Linux ip_rcv does). */
  checkIpChecksum?: boolean;
  /** Verify a non-zero outer UDP checksum. Default false. */
  checkUdpChecksum?: boolean;
  /** Reserved VXLAN bits: `'drop'` (Linux vxlan_rcv, the default) or `'ignore'` (RFC 7348). */
  reservedBits?: 'drop' | 'ignore';
}

/** Validated decapsulation options. */
export interface ResolvedDecap {
  mode: EncapMode;
  modeNumber: number;
  ports: [number, number];
  /** null: any VNI. */
  vnis: number[] | null;
  flags: number;
}

/** Validates `o` and fills in the defaults. */
export function resolveDecap(o: DecapOptions = {}): ResolvedDecap {
  const mode = o.mode ?? 'vxlan';
  if (!(mode in ENCAP_MODE_NUMBERS)) throw new InputError('InvalidMode', String(mode), "'vxlan', 'ipip' or 'flannel-udp'");
  const ports = o.ports ?? [mode === 'flannel-udp' ? C.FLANNEL_UDP_PORT : C.VXLAN_PORT_LINUX];
  if (ports.length < 1 || ports.length > 2) throw new InputError('InvalidPort', ports.join(','), 'one or two UDP ports');
  for (const p of ports) int('InvalidPort', p, 1, 65535, 'a port 1..65535');
  let vnis: number[] | null = null;
  if (o.vnis !== undefined && o.vnis !== 'any') {
    if (o.vnis.length > C.DEC_MAX_VNIS) throw new InputError('TooManyVnis', String(o.vnis.length), `at most ${C.DEC_MAX_VNIS} VNIs`);
    vnis = o.vnis.map((v) => int('InvalidVni', v, 0, C.VXLAN_VNI_MAX, 'a VNI 0..16777215'));
  }
  const reserved = o.reservedBits ?? 'drop';
  if (reserved !== 'drop' && reserved !== 'ignore') throw new InputError('InvalidReservedPolicy', String(reserved), "'drop' or 'ignore'");
  const flags = (o.checkIpChecksum === false ? 0 : C.DEC_F_IP_CSUM) | (o.checkUdpChecksum ? C.DEC_F_UDP_CSUM : 0) | (reserved === 'ignore' ? C.DEC_F_IGNORE_RESERVED : 0);
  return { mode, modeNumber: ENCAP_MODE_NUMBERS[mode], ports: [ports[0], ports[1] ?? ports[0]], vnis, flags };
}
