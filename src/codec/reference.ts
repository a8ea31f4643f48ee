/**
 * The reference codec: slow, obvious TypeScript over DataView, written from
 * the RFC diagrams independently of the WASM code. Tests and properties
 * check that the WASM codec produces the same bytes and the same records.
 */
import * as C from '../../assembly/shared/codec.js';
import { InputError } from '../core/errors.js';
import type { EncapParams, ResolvedDecap, ResolvedEncap } from './params.js';
import { innerFrameProblem, resolveEncap } from './params.js';
import { flowHashEth, flowHashIPv4, srcPortFromHash } from './flowhash.js';

/** RFC 1071 checksum of `len` bytes at `off` (big-endian words), complemented. */
export function internetChecksum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | (i + 1 < len ? b[off + i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** What each field of a {@link ResolvedEncap} holds (checked before the reference reads it). */
const RESOLVED: Record<keyof ResolvedEncap, 'number' | 'string' | 'boolean' | 'bytes'> = {
  mode: 'string', modeNumber: 'number', overhead: 'number', srcIp: 'number', dstIp: 'number', srcMac: 'bytes', dstMac: 'bytes',
  vni: 'number', dstPort: 'number', portMin: 'number', portMax: 'number', srcPort: 'number', ttl: 'number', tos: 'number',
  df: 'string', udpChecksum: 'boolean', ecn: 'boolean', ipId: 'number', hashSeed: 'number',
};

/**
 * `p` as resolved parameters: EncapParams are resolved (and validated) with
 * resolveEncap; an object that claims to be resolved (has `modeNumber`) but
 * lacks fields is an InputError naming them, rather than a frame whose
 * missing addresses read as zero.
 */
function resolved(p: EncapParams | ResolvedEncap): ResolvedEncap {
  if (!('modeNumber' in p)) return resolveEncap(p);
  const r = p as unknown as Record<string, unknown>;
  const missing = (Object.keys(RESOLVED) as (keyof ResolvedEncap)[]).filter((k) => {
    const v = r[k];
    return RESOLVED[k] === 'bytes' ? !(v instanceof Uint8Array && v.length === 6) : typeof v !== RESOLVED[k] || (typeof v === 'number' && !Number.isFinite(v));
  });
  if (missing.length) throw new InputError('UnresolvedEncap', missing.join(', '), 'parameters from resolveEncap(...) (or EncapParams, which are resolved here)');
  return p;
}

/**
 * Outer headers + inner, as a new array: what encapsulation produces for
 * `inner` with IPv4 ID `id` (0..65535). `params` may be EncapParams (resolved
 * here) or the ResolvedEncap of resolveEncap.
 */
export function referenceEncap(inner: Uint8Array, params: EncapParams | ResolvedEncap, id: number): Uint8Array | { status: number; value: number } {
  const r = resolved(params);
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new InputError('InvalidIpId', String(id), 'an IPv4 ID 0..65535');
  const bad = innerFrameProblem(inner, r);
  if (bad) return bad;
  const vx = r.mode === 'vxlan';
  const payload = vx ? inner : inner.subarray(14);
  const hdr = vx ? 50 : r.mode === 'ipip' ? 34 : 42;
  const out = new Uint8Array(hdr + payload.length);
  const dv = new DataView(out.buffer);
  // Inner IPv4 header, if any (TTL, DF and ECN inheritance).
  let l3 = 14;
  let et = (inner[12] << 8) | inner[13];
  if (vx && et === 0x8100 && inner.length >= 18) {
    et = (inner[16] << 8) | inner[17];
    l3 = 18;
  }
  const innerIp = et === 0x0800 && inner.length - l3 >= 20 && inner[l3] >> 4 === 4 ? l3 : -1;
  out.set(r.dstMac, 0);
  out.set(r.srcMac, 6);
  dv.setUint16(12, 0x0800);
  let tos = r.tos;
  if (r.ecn && innerIp >= 0) {
    const ecn = inner[innerIp + 1] & 3;
    tos = (tos & 0xfc) | (ecn === 3 ? 2 : ecn);
  }
  let frag = r.df === 'set' ? 0x4000 : 0;
  if (r.df === 'inherit' && innerIp >= 0) frag |= ((inner[innerIp + 6] << 8) | inner[innerIp + 7]) & 0x4000;
  const ttl = r.ttl !== 0 ? r.ttl : innerIp >= 0 ? inner[innerIp + 8] : 64;
  const totlen = hdr - 14 + payload.length;
  out[14] = 0x45;
  out[15] = tos;
  dv.setUint16(16, totlen);
  dv.setUint16(18, id & 0xffff);
  dv.setUint16(20, frag);
  out[22] = ttl;
  out[23] = r.mode === 'ipip' ? 4 : 17;
  dv.setUint32(26, r.srcIp);
  dv.setUint32(30, r.dstIp);
  dv.setUint16(24, internetChecksum(out, 14, 20));
  if (r.mode !== 'ipip') {
    let sport = r.srcPort;
    if (sport < 0) {
      const h = vx ? flowHashEth(inner, r.hashSeed) : flowHashIPv4(inner, 14, inner.length - 14, r.hashSeed) || 1;
      sport = srcPortFromHash(h, r.portMin, r.portMax);
    }
    dv.setUint16(34, sport);
    dv.setUint16(36, r.dstPort);
    dv.setUint16(38, totlen - 20);
    if (vx) {
      out[42] = 0x08;
      dv.setUint32(46, r.vni << 8);
    }
  }
  out.set(payload, hdr);
  if (r.mode !== 'ipip' && r.udpChecksum) {
    const ulen = totlen - 20;
    const pseudo = (r.srcIp >>> 16) + (r.srcIp & 0xffff) + (r.dstIp >>> 16) + (r.dstIp & 0xffff) + 17 + ulen;
    const c = internetChecksum(out, 34, ulen, pseudo);
    dv.setUint16(40, c === 0 ? 0xffff : c);
  }
  return out;
}

function fail(rec: Int32Array, st: number, off: number, val: number): Int32Array {
  rec[C.R_STATUS] = st;
  rec[C.R_ERR_OFFSET] = off;
  rec[C.R_ERR_VALUE] = val;
  return rec;
}

function innerIPv4(b: Uint8Array, o: number, avail: number, rec: Int32Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ihl = avail >= 20 ? (b[o] & 15) * 4 : 0;
  if (avail < 20 || b[o] >> 4 !== 4 || ihl < 20 || ihl > avail) {
    rec.set([-1, 0, 0, -1, 0, 0, 0], C.R_INNER_L3);
    return;
  }
  const proto = b[o + 9];
  rec[C.R_INNER_L3] = o;
  rec[C.R_INNER_SRC] = dv.getInt32(o + 12);
  rec[C.R_INNER_DST] = dv.getInt32(o + 16);
  rec[C.R_INNER_PROTO] = proto;
  rec[C.R_INNER_TTL] = b[o + 8];
  const first = (dv.getUint16(o + 6) & 0x1fff) === 0;
  const l4 = o + ihl;
  let sp = 0;
  let dp = 0;
  if (first && (proto === 6 || proto === 17) && avail - ihl >= 4) {
    sp = dv.getUint16(l4);
    dp = dv.getUint16(l4 + 2);
  } else if (first && proto === 1 && avail - ihl >= 2) {
    sp = b[l4];
    dp = b[l4 + 1];
  }
  rec[C.R_INNER_SPORT] = sp;
  rec[C.R_INNER_DPORT] = dp;
}

/** Validates and decodes `b` into an R_WORDS record (same layout as the WASM record). */
export function referenceDecap(b: Uint8Array, d: ResolvedDecap): Int32Array {
  const rec = new Int32Array(C.R_WORDS);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = b.length;
  if (len < 14) return fail(rec, C.ST_TRUNC_ETH, 0, len);
  let l3 = 14;
  let vlan = -1;
  if (dv.getUint16(12) === 0x8100) {
    if (len < 18) return fail(rec, C.ST_TRUNC_ETH, 14, len);
    vlan = dv.getUint16(14);
    l3 = 18;
  }
  const et = dv.getUint16(l3 - 2);
  if (et !== 0x0800) return fail(rec, C.ST_NOT_IPV4, l3 - 2, et);
  rec[C.R_OUTER_VLAN] = vlan;
  rec[C.R_OUTER_L3] = l3;
  const avail = len - l3;
  if (avail < 20) return fail(rec, C.ST_TRUNC_IPV4, l3, avail);
  if (b[l3] >> 4 !== 4) return fail(rec, C.ST_IPV4_VERSION, l3, b[l3] >> 4);
  const ihl = b[l3] & 15;
  if (ihl < 5) return fail(rec, C.ST_IPV4_IHL, l3, ihl);
  if (ihl * 4 > avail) return fail(rec, C.ST_TRUNC_IPV4, l3, avail);
  const totlen = dv.getUint16(l3 + 2);
  if (totlen > avail) return fail(rec, C.ST_IPV4_TOTLEN, l3 + 2, totlen);
  if (totlen < ihl * 4) return fail(rec, C.ST_IPV4_TOTLEN_SHORT, l3 + 2, totlen);
  const frag = dv.getUint16(l3 + 6);
  if (frag & 0x3fff) return fail(rec, C.ST_IPV4_FRAGMENT, l3 + 6, frag);
  if (d.flags & C.DEC_F_IP_CSUM && internetChecksum(b, l3, ihl * 4) !== 0) return fail(rec, C.ST_IPV4_CHECKSUM, l3 + 10, dv.getUint16(l3 + 10));
  const proto = b[l3 + 9];
  rec[C.R_OUTER_TOS] = b[l3 + 1];
  rec[C.R_OUTER_TOTLEN] = totlen;
  rec[C.R_OUTER_ID] = dv.getUint16(l3 + 4);
  rec[C.R_OUTER_FRAG] = frag;
  rec[C.R_OUTER_TTL] = b[l3 + 8];
  rec[C.R_OUTER_PROTO] = proto;
  rec[C.R_OUTER_CSUM] = dv.getUint16(l3 + 10);
  rec[C.R_OUTER_SRC] = dv.getInt32(l3 + 12);
  rec[C.R_OUTER_DST] = dv.getInt32(l3 + 16);
  const l4 = l3 + ihl * 4;
  const end = l3 + totlen;
  if (d.mode === 'ipip') {
    if (proto !== 4) return fail(rec, C.ST_NOT_IPIP, l3 + 9, proto);
    if (end - l4 < 20) return fail(rec, C.ST_INNER_TOO_SHORT, l4, end - l4);
    rec[C.R_INNER_OFF] = l4;
    rec[C.R_INNER_LEN] = end - l4;
    rec[C.R_INNER_ETHERTYPE] = 0x0800;
    rec[C.R_INNER_VLAN] = -1;
    innerIPv4(b.subarray(0, end), l4, end - l4, rec);
    return fail(rec, C.ST_OK, 0, 0);
  }
  if (proto !== 17) return fail(rec, C.ST_NOT_UDP, l3 + 9, proto);
  if (end - l4 < 8) return fail(rec, C.ST_TRUNC_UDP, l4, end - l4);
  const dport = dv.getUint16(l4 + 2);
  if (dport !== d.ports[0] && dport !== d.ports[1]) return fail(rec, C.ST_UDP_DPORT, l4 + 2, dport);
  const ulen = dv.getUint16(l4 + 4);
  if (ulen !== end - l4) return fail(rec, C.ST_UDP_LENGTH, l4 + 4, ulen);
  const ucsum = dv.getUint16(l4 + 6);
  if (d.flags & C.DEC_F_UDP_CSUM && ucsum !== 0) {
    const s = dv.getUint16(l3 + 12) + dv.getUint16(l3 + 14) + dv.getUint16(l3 + 16) + dv.getUint16(l3 + 18) + 17 + ulen;
    if (internetChecksum(b, l4, ulen, s) !== 0) return fail(rec, C.ST_UDP_CHECKSUM, l4 + 6, ucsum);
  }
  rec[C.R_UDP_SPORT] = dv.getUint16(l4);
  rec[C.R_UDP_DPORT] = dport;
  rec[C.R_UDP_LEN] = ulen;
  rec[C.R_UDP_CSUM] = ucsum;
  if (d.mode === 'flannel-udp') {
    if (ulen - 8 < 20) return fail(rec, C.ST_INNER_TOO_SHORT, l4 + 8, ulen - 8);
    rec[C.R_INNER_OFF] = l4 + 8;
    rec[C.R_INNER_LEN] = ulen - 8;
    rec[C.R_INNER_ETHERTYPE] = 0x0800;
    rec[C.R_INNER_VLAN] = -1;
    innerIPv4(b.subarray(0, end), l4 + 8, ulen - 8, rec);
    return fail(rec, C.ST_OK, 0, 0);
  }
  const vx = l4 + 8;
  if (ulen - 8 < 8) return fail(rec, C.ST_TRUNC_VXLAN, vx, ulen - 8);
  const w0 = dv.getUint32(vx);
  const w1 = dv.getUint32(vx + 4);
  if ((b[vx] & C.VXLAN_FLAG_I) === 0) return fail(rec, C.ST_VXLAN_I_FLAG, vx, b[vx]);
  const vni = w1 >>> 8;
  if (d.vnis && !d.vnis.includes(vni)) return fail(rec, C.ST_VXLAN_VNI, vx + 4, vni);
  if (!(d.flags & C.DEC_F_IGNORE_RESERVED)) {
    if (w0 !== 0x08000000) return fail(rec, C.ST_VXLAN_RESERVED, vx, w0 | 0);
    if (w1 & 0xff) return fail(rec, C.ST_VXLAN_RESERVED, vx + 7, w1 & 0xff);
  }
  rec[C.R_VXLAN_FLAGS] = w0 | 0;
  rec[C.R_VNI] = vni;
  rec[C.R_VXLAN_RSVD] = w1 & 0xff;
  const inner = vx + 8;
  if (end - inner < 14) return fail(rec, C.ST_INNER_TOO_SHORT, inner, end - inner);
  rec[C.R_INNER_OFF] = inner;
  rec[C.R_INNER_LEN] = end - inner;
  let iet = dv.getUint16(inner + 12);
  let il3 = inner + 14;
  rec[C.R_INNER_VLAN] = -1;
  if (iet === 0x8100 && end - inner >= 18) {
    rec[C.R_INNER_VLAN] = dv.getUint16(inner + 14);
    iet = dv.getUint16(inner + 16);
    il3 = inner + 18;
  }
  rec[C.R_INNER_ETHERTYPE] = iet;
  if (iet === 0x0800) innerIPv4(b.subarray(0, end), il3, end - il3, rec);
  else rec.set([-1, 0, 0, -1, 0, 0, 0], C.R_INNER_L3);
  return fail(rec, C.ST_OK, 0, 0);
}
