/**
 * The JavaScript baseline of the codec benchmark: a competent hand-written
 * DataView implementation of the same work as the WASM batch calls, on the
 * same bytes in the same memory (in-place VXLAN encapsulation with the
 * flow-hash source port and IPv4 header checksum; decapsulation with the
 * same full validation writing the same records). It is checked to produce
 * identical bytes and records before it is timed.
 */
import * as C from '../assembly/shared/codec.js';

const rol = (x: number, k: number) => (x << k) | (x >>> (32 - k));

function jhash3(a: number, b: number, c: number, initval: number): number {
  const iv = (initval + 0xdeadbeef + 12) | 0;
  a = (a + iv) | 0; b = (b + iv) | 0; c = (c + iv) | 0;
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c >>> 0;
}

/** VXLAN encapsulation in place of `n` frames of the table at `table` (FE_* words), config as the WASM one. */
export function jsEncapBatch(mem: ArrayBuffer, template: Uint8Array, table: number, n: number, p: { portMin: number; portMax: number; seed: number; id: number; ttl: number }): number {
  const dv = new DataView(mem);
  const u8 = new Uint8Array(mem);
  let id = p.id;
  const span = p.portMax - p.portMin;
  for (let i = 0; i < n; i++) {
    const e = table + i * C.FE_BYTES;
    const inner = dv.getUint32(e, true);
    const len = dv.getInt32(e + 4, true);
    // Flow hash over the inner IPv4 5-tuple (Ethernet-address fallback omitted: the bench frames are all IPv4).
    const ip = inner + 14;
    let src = dv.getUint32(ip + 12, true);
    let dst = dv.getUint32(ip + 16, true);
    const ihl = (u8[ip] & 15) << 2;
    let sp = dv.getUint16(ip + ihl, true);
    let dp = dv.getUint16(ip + ihl + 2, true);
    if (dst < src || (dst === src && dp < sp)) {
      const t = src; src = dst; dst = t;
      const u = sp; sp = dp; dp = u;
    }
    let h = jhash3(dst, src, sp | (dp << 16), p.seed);
    if (h === 0) h = 1;
    h = (h ^ (h << 16)) >>> 0;
    const sport = Math.floor((h * span) / 4294967296) + p.portMin;
    const tos = (u8[ip + 1] & 3) === 3 ? 2 : u8[ip + 1] & 3;
    const out = inner - 50;
    u8.set(template, out);
    const o = out + 14;
    const totlen = 36 + len;
    u8[o + 1] = tos;
    dv.setUint16(o + 2, totlen);
    dv.setUint16(o + 4, id);
    u8[o + 8] = p.ttl;
    id = (id + 1) & 0xffff;
    dv.setUint16(o + 10, 0);
    let s = 0;
    for (let k = 0; k < 20; k += 2) s += dv.getUint16(o + k);
    s = (s & 0xffff) + (s >>> 16);
    s = (s & 0xffff) + (s >>> 16);
    dv.setUint16(o + 10, ~s & 0xffff);
    dv.setUint16(out + 34, sport);
    dv.setUint16(out + 38, totlen - 20);
    dv.setInt32(e + 12, 0, true);
  }
  return n;
}

/** Decapsulation with the same checks and records as codecDecap (VXLAN, IPv4 checksum on). */
export function jsDecapBatch(mem: ArrayBuffer, table: number, n: number, out: number, ports: [number, number], vni: number): number {
  const dv = new DataView(mem);
  const u8 = new Uint8Array(mem);
  const rec = new Int32Array(mem);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const e = table + i * C.FE_BYTES;
    const p = dv.getUint32(e, true);
    const len = dv.getInt32(e + 4, true);
    const r = (out >> 2) + i * C.R_WORDS;
    const st = decapOne(dv, u8, rec, p, len, r, ports, vni);
    dv.setInt32(e + 12, st, true);
    if (st === 0) ok++;
  }
  return ok;
}

function fail(rec: Int32Array, r: number, st: number, off: number, val: number): number {
  rec[r] = st;
  rec[r + 1] = off;
  rec[r + 2] = val;
  return st;
}

function decapOne(dv: DataView, u8: Uint8Array, rec: Int32Array, p: number, len: number, r: number, ports: [number, number], vni: number): number {
  if (len < 14) return fail(rec, r, C.ST_TRUNC_ETH, 0, len);
  let l3 = 14;
  let vlan = -1;
  let et = dv.getUint16(p + 12);
  if (et === 0x8100) {
    if (len < 18) return fail(rec, r, C.ST_TRUNC_ETH, 14, len);
    vlan = dv.getUint16(p + 14);
    et = dv.getUint16(p + 16);
    l3 = 18;
  }
  if (et !== 0x0800) return fail(rec, r, C.ST_NOT_IPV4, l3 - 2, et);
  rec[r + C.R_OUTER_VLAN] = vlan;
  rec[r + C.R_OUTER_L3] = l3;
  const ip = p + l3;
  const avail = len - l3;
  if (avail < 20) return fail(rec, r, C.ST_TRUNC_IPV4, l3, avail);
  const vihl = u8[ip];
  if (vihl >> 4 !== 4) return fail(rec, r, C.ST_IPV4_VERSION, l3, vihl >> 4);
  const ihl = vihl & 15;
  if (ihl < 5) return fail(rec, r, C.ST_IPV4_IHL, l3, ihl);
  const hl = ihl << 2;
  if (hl > avail) return fail(rec, r, C.ST_TRUNC_IPV4, l3, avail);
  const totlen = dv.getUint16(ip + 2);
  if (totlen > avail) return fail(rec, r, C.ST_IPV4_TOTLEN, l3 + 2, totlen);
  if (totlen < hl) return fail(rec, r, C.ST_IPV4_TOTLEN_SHORT, l3 + 2, totlen);
  const frag = dv.getUint16(ip + 6);
  if (frag & 0x3fff) return fail(rec, r, C.ST_IPV4_FRAGMENT, l3 + 6, frag);
  let s = 0;
  for (let k = 0; k < hl; k += 2) s += dv.getUint16(ip + k);
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  if (s !== 0xffff) return fail(rec, r, C.ST_IPV4_CHECKSUM, l3 + 10, dv.getUint16(ip + 10));
  const proto = u8[ip + 9];
  rec[r + C.R_OUTER_TOS] = u8[ip + 1];
  rec[r + C.R_OUTER_TOTLEN] = totlen;
  rec[r + C.R_OUTER_ID] = dv.getUint16(ip + 4);
  rec[r + C.R_OUTER_FRAG] = frag;
  rec[r + C.R_OUTER_TTL] = u8[ip + 8];
  rec[r + C.R_OUTER_PROTO] = proto;
  rec[r + C.R_OUTER_CSUM] = dv.getUint16(ip + 10);
  rec[r + C.R_OUTER_SRC] = dv.getInt32(ip + 12);
  rec[r + C.R_OUTER_DST] = dv.getInt32(ip + 16);
  if (proto !== 17) return fail(rec, r, C.ST_NOT_UDP, l3 + 9, proto);
  const l4 = l3 + hl;
  const end = l3 + totlen;
  if (end - l4 < 8) return fail(rec, r, C.ST_TRUNC_UDP, l4, end - l4);
  const u = p + l4;
  const dport = dv.getUint16(u + 2);
  if (dport !== ports[0] && dport !== ports[1]) return fail(rec, r, C.ST_UDP_DPORT, l4 + 2, dport);
  const ulen = dv.getUint16(u + 4);
  if (ulen !== end - l4) return fail(rec, r, C.ST_UDP_LENGTH, l4 + 4, ulen);
  rec[r + C.R_UDP_SPORT] = dv.getUint16(u);
  rec[r + C.R_UDP_DPORT] = dport;
  rec[r + C.R_UDP_LEN] = ulen;
  rec[r + C.R_UDP_CSUM] = dv.getUint16(u + 6);
  const vx = l4 + 8;
  if (ulen - 8 < 8) return fail(rec, r, C.ST_TRUNC_VXLAN, vx, ulen - 8);
  const w0 = dv.getUint32(p + vx);
  const w1 = dv.getUint32(p + vx + 4);
  if ((u8[p + vx] & 8) === 0) return fail(rec, r, C.ST_VXLAN_I_FLAG, vx, u8[p + vx]);
  const v = w1 >>> 8;
  if (v !== vni) return fail(rec, r, C.ST_VXLAN_VNI, vx + 4, v);
  if (w0 !== 0x08000000) return fail(rec, r, C.ST_VXLAN_RESERVED, vx, w0 | 0);
  if (w1 & 0xff) return fail(rec, r, C.ST_VXLAN_RESERVED, vx + 7, w1 & 0xff);
  rec[r + C.R_VXLAN_FLAGS] = w0 | 0;
  rec[r + C.R_VNI] = v;
  rec[r + C.R_VXLAN_RSVD] = 0;
  const inner = vx + 8;
  const innerLen = end - inner;
  if (innerLen < 14) return fail(rec, r, C.ST_INNER_TOO_SHORT, inner, innerLen);
  rec[r + C.R_INNER_OFF] = inner;
  rec[r + C.R_INNER_LEN] = innerLen;
  // Inner Ethernet + IPv4 5-tuple.
  const q = p + inner;
  let iet = dv.getUint16(q + 12);
  let il3 = 14;
  let ivlan = -1;
  if (iet === 0x8100 && innerLen >= 18) {
    ivlan = dv.getUint16(q + 14);
    iet = dv.getUint16(q + 16);
    il3 = 18;
  }
  rec[r + C.R_INNER_ETHERTYPE] = iet;
  rec[r + C.R_INNER_VLAN] = ivlan;
  const iip = q + il3;
  const iav = innerLen - il3;
  const iihl = (u8[iip] & 15) << 2;
  if (iet !== 0x0800 || iav < 20 || u8[iip] >> 4 !== 4 || iihl < 20 || iihl > iav) {
    rec[r + C.R_INNER_L3] = -1;
    rec[r + C.R_INNER_SRC] = 0;
    rec[r + C.R_INNER_DST] = 0;
    rec[r + C.R_INNER_PROTO] = -1;
    rec[r + C.R_INNER_SPORT] = 0;
    rec[r + C.R_INNER_DPORT] = 0;
    rec[r + C.R_INNER_TTL] = 0;
    return fail(rec, r, 0, 0, 0);
  }
  const ip4 = u8[iip + 9];
  rec[r + C.R_INNER_L3] = inner + il3;
  rec[r + C.R_INNER_SRC] = dv.getInt32(iip + 12);
  rec[r + C.R_INNER_DST] = dv.getInt32(iip + 16);
  rec[r + C.R_INNER_PROTO] = ip4;
  rec[r + C.R_INNER_TTL] = u8[iip + 8];
  let sp = 0;
  let dp = 0;
  const first = (dv.getUint16(iip + 6) & 0x1fff) === 0;
  const l4a = iav - iihl;
  if (first && (ip4 === 6 || ip4 === 17) && l4a >= 4) {
    sp = dv.getUint16(iip + iihl);
    dp = dv.getUint16(iip + iihl + 2);
  } else if (first && ip4 === 1 && l4a >= 2) {
    sp = u8[iip + iihl];
    dp = u8[iip + iihl + 1];
  }
  rec[r + C.R_INNER_SPORT] = sp;
  rec[r + C.R_INNER_DPORT] = dp;
  return fail(rec, r, 0, 0, 0);
}
