/**
 * Synthetic rulesets and packet traces for the iptables benchmark.
 *
 * - ClassBench-style 5-tuple ACLs (Taylor & Turner, "ClassBench: a packet
 *   classification benchmark", 2005): prefixes drawn from a small set of
 *   popular /16s with a skewed prefix-length distribution, protocols mostly
 *   TCP/UDP, source ports mostly wildcard, destination ports exact
 *   well-known ports, ranges or wildcard; a trace whose headers are drawn
 *   from the rules themselves (plus some random ones) so matches spread over
 *   the whole list.
 * - Calico-shaped chains: what Felix renders for N workload endpoints:
 *   cali-FORWARD -> cali-from-wl-dispatch (one `-i caliXXXX -g cali-fw-...`
 *   per endpoint) -> per-endpoint chain (conntrack, mark clearing, policy
 *   jumps, mark-based RETURN, default drop) -> per-policy chains setting the
 *   accept mark.
 */
import { formatIPv4 } from '../src/net/ip.js';
import { CTSTATE, type Packet } from '../src/iptables/all.js';

/** mulberry32. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WELL_KNOWN = [20, 21, 22, 23, 25, 53, 80, 110, 123, 143, 161, 443, 993, 3306, 5432, 6379, 8080, 8443];
const LEN_DIST: [number, number][] = [
  [0, 0.08],
  [8, 0.04],
  [16, 0.18],
  [24, 0.4],
  [28, 0.1],
  [32, 0.2],
];

interface Acl {
  src: number;
  srcLen: number;
  dst: number;
  dstLen: number;
  proto: number;
  sport: [number, number];
  dport: [number, number];
}

function prefixLen(r: () => number): number {
  let x = r();
  for (const [len, p] of LEN_DIST) {
    if (x < p) return len;
    x -= p;
  }
  return 24;
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** A ClassBench-style ACL of `n` rules (filter FORWARD, policy DROP) and its rule tuples. */
export function classbench(n: number, seed = 1): { text: string; acl: Acl[] } {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const nets = Array.from({ length: 24 }, () => ((10 + Math.floor(r() * 200)) << 24) | (Math.floor(r() * 256) << 16));
  const acl: Acl[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const sl = prefixLen(r);
    const dl = prefixLen(r);
    const src = ((pick(nets) | Math.floor(r() * 65536)) & maskOf(sl)) >>> 0;
    const dst = ((pick(nets) | Math.floor(r() * 65536)) & maskOf(dl)) >>> 0;
    const pr = r();
    const proto = pr < 0.6 ? 6 : pr < 0.9 ? 17 : 0;
    let sport: [number, number] = [0, 65535];
    let dport: [number, number] = [0, 65535];
    if (proto) {
      const s = r();
      if (s > 0.85) sport = s > 0.95 ? [pick(WELL_KNOWN), 0] : [1024, 65535];
      if (sport[1] === 0) sport = [sport[0], sport[0]];
      const d = r();
      if (d < 0.55) dport = [pick(WELL_KNOWN), 0];
      else if (d < 0.75) {
        const lo = Math.floor(r() * 60000);
        dport = [lo, lo + 1 + Math.floor(r() * 5000)];
      }
      if (dport[1] === 0) dport = [dport[0], dport[0]];
    }
    acl.push({ src, srcLen: sl, dst, dstLen: dl, proto, sport, dport });
    const parts = [`-A FORWARD`, `-s ${formatIPv4(src)}/${sl}`, `-d ${formatIPv4(dst)}/${dl}`];
    if (proto) {
      const m = proto === 6 ? 'tcp' : 'udp';
      parts.push(`-p ${m} -m ${m}`);
      if (sport[0] !== 0 || sport[1] !== 65535) parts.push(`--sport ${sport[0] === sport[1] ? sport[0] : `${sport[0]}:${sport[1]}`}`);
      if (dport[0] !== 0 || dport[1] !== 65535) parts.push(`--dport ${dport[0] === dport[1] ? dport[0] : `${dport[0]}:${dport[1]}`}`);
    }
    parts.push(r() < 0.7 ? '-j ACCEPT' : '-j DROP');
    lines.push(parts.join(' '));
  }
  return { text: `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`, acl };
}

/** `count` packets, 90% built from a random rule's tuple (hits spread over the ACL), 10% random. */
export function classbenchTrace(acl: Acl[], count: number, seed = 2): Packet[] {
  const r = prng(seed);
  const inRange = ([lo, hi]: [number, number]): number => lo + Math.floor(r() * (hi - lo + 1));
  const inPrefix = (a: number, len: number): number => (a | (Math.floor(r() * 4294967296) & ~maskOf(len))) >>> 0;
  const out: Packet[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const a = acl[Math.floor(r() * acl.length)];
    const random = r() < 0.1;
    const proto = random || a.proto === 0 ? (r() < 0.5 ? 6 : 17) : a.proto;
    out[i] = {
      proto,
      src: random ? Math.floor(r() * 4294967296) : inPrefix(a.src, a.srcLen),
      dst: random ? Math.floor(r() * 4294967296) : inPrefix(a.dst, a.dstLen),
      sport: random ? Math.floor(r() * 65536) : inRange(a.sport),
      dport: random ? Math.floor(r() * 65536) : inRange(a.dport),
      icmpType: 0,
      icmpCode: 0,
      in: 'eth0',
      out: 'eth1',
      mark: 0,
      state: CTSTATE.NEW,
      len: 64 + Math.floor(r() * 1400),
    };
  }
  return out;
}

/** Rules per rendered endpoint: 1 dispatch + 6 endpoint + 5 policy. */
const PER_ENDPOINT = 12;

/** Calico-shaped filter chains with about `n` rules; returns the text and the endpoint names. */
export function calico(n: number, seed = 3): { text: string; endpoints: string[] } {
  const r = prng(seed);
  const E = Math.max(1, Math.round(n / PER_ENDPOINT));
  const eps = Array.from({ length: E }, (_, i) => `cali${(0x1000000 + i * 7919).toString(16).slice(1)}${i.toString(36).padStart(4, '0')}`.slice(0, 15));
  const decl = [':cali-FORWARD - [0:0]', ':cali-from-wl-dispatch - [0:0]', ':cali-to-wl-dispatch - [0:0]'];
  const rules = [
    '-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
    '-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m mark --mark 0x10000/0x10000 -j ACCEPT',
    '-A cali-FORWARD -m comment --comment "cali:W_vvds1Nw3n9QE2f" -j MARK --set-xmark 0x0/0x1a0000',
    '-A cali-FORWARD -i cali+ -m comment --comment "cali:tAzwBLPaV-j53OOZ" -j cali-from-wl-dispatch',
    '-A cali-FORWARD -o cali+ -m comment --comment "cali:4Z0Pf0byo05NFe-P" -j cali-to-wl-dispatch',
  ];
  eps.forEach((ep, i) => {
    const fw = `cali-fw-${ep}`;
    const po = `cali-po-p${i}`;
    decl.push(`:${fw} - [0:0]`, `:${po} - [0:0]`);
    rules.push(`-A cali-from-wl-dispatch -i ${ep} -m comment --comment "cali:d${i}" -g ${fw}`);
    rules.push(
      `-A ${fw} -m comment --comment "cali:a${i}" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${fw} -m comment --comment "cali:b${i}" -m conntrack --ctstate INVALID -j DROP`,
      `-A ${fw} -m comment --comment "cali:c${i}" -j MARK --set-xmark 0x0/0x10000`,
      `-A ${fw} -p udp -m comment --comment "cali:e${i}" -m udp --sport 68 --dport 67 -j DROP`,
      `-A ${fw} -m comment --comment "cali:f${i}" -m mark --mark 0x0/0x20000 -j ${po}`,
      `-A ${fw} -m comment --comment "cali:g${i}" -m mark --mark 0x10000/0x10000 -j RETURN`,
    );
    const net = `10.${(i >> 8) & 255}.${i & 255}.0/24`;
    const port = WELL_KNOWN[Math.floor(r() * WELL_KNOWN.length)];
    rules.push(
      `-A ${po} -p tcp -s ${net} -m comment --comment "cali:h${i}" -m multiport --dports ${port},443 -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${po} -m comment --comment "cali:i${i}" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A ${po} -p udp -m comment --comment "cali:j${i}" -m udp --dport 53 -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${po} -m comment --comment "cali:k${i}" -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A ${po} -p tcp -d ${net} -m comment --comment "cali:l${i}" -m tcp --dport 8080 -j MARK --set-xmark 0x10000/0x10000`,
    );
  });
  rules.push('-A cali-from-wl-dispatch -m comment --comment "cali:zTj6P0TIgYvgz-md" -m comment --comment "Unknown interface" -j DROP');
  rules.push('-A cali-to-wl-dispatch -m comment --comment "cali:7KNphB1nNHw80nIO" -m comment --comment "Unknown interface" -j DROP');
  return { text: `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${decl.join('\n')}\n${rules.join('\n')}\nCOMMIT\n`, endpoints: eps };
}

/** Pod traffic: mostly from known endpoints, some from unknown cali interfaces, some established. */
export function calicoTrace(endpoints: string[], count: number, seed = 4): Packet[] {
  const r = prng(seed);
  const out: Packet[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const e = Math.floor(r() * endpoints.length);
    const proto = r() < 0.7 ? 6 : 17;
    out[i] = {
      proto,
      src: ((10 << 24) | (((e >> 8) & 255) << 16) | ((e & 255) << 8) | Math.floor(r() * 256)) >>> 0,
      dst: ((10 << 24) | Math.floor(r() * 65536) << 8 | 5) >>> 0,
      sport: 1024 + Math.floor(r() * 60000),
      dport: WELL_KNOWN[Math.floor(r() * WELL_KNOWN.length)],
      icmpType: 0,
      icmpCode: 0,
      in: r() < 0.95 ? endpoints[e] : 'califfffffffff',
      out: 'eth0',
      mark: 0,
      state: r() < 0.2 ? CTSTATE.ESTABLISHED : CTSTATE.NEW,
      len: 64 + Math.floor(r() * 1400),
    };
  }
  return out;
}
