/**
 * The packet a walk is about, and the packet-independent facts about the
 * host the rules run on (its interfaces and addresses, for `-m addrtype`,
 * `MASQUERADE` and `-m rpfilter`).
 */
import { InputError, type InputPosition } from '../core/errors.js';
import { formatIPv4, maskV4, parseIPv4 } from '../net/ip.js';
import { CTSTATE, HOOKS, TCP_FLAGS, protoName, type CtStateName, type Hook } from './model.js';
import { parseProto, type RuleSyntax } from './values.js';

/** A packet as netfilter sees it on a hook. Numbers are unsigned. */
export interface Packet {
  /** IP protocol number (6 tcp, 17 udp, 1 icmp). */
  proto: number;
  src: number;
  dst: number;
  /** TCP/UDP ports (0 for other protocols). */
  sport: number;
  dport: number;
  /** ICMP type and code (for proto 1). */
  icmpType: number;
  icmpCode: number;
  /** TCP flags (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32) for `--tcp-flags`/`--syn`. Default SYN. */
  tcpFlags?: number;
  /** Input and output interface names; '' when the hook has none. */
  in: string;
  out: string;
  /** skb->mark. */
  mark: number;
  /** Conntrack state bits ({@link CTSTATE}), e.g. NEW, or ESTABLISHED|DNAT. */
  state: number;
  /** IP total length in bytes (what the byte counters add). */
  len: number;
  /**
   * Result of the reverse-path route check `-m rpfilter` needs, if known:
   * bit 0 strict check passes, bit 1 loose check passes. Default: from
   * {@link IptContext.rpfilter}, else both pass.
   */
  rpf?: number;
}

/** Defaults of missing packet keys: tcp 0.0.0.0:0 -> 0.0.0.0:0, no interfaces, mark 0, state NEW, 60 bytes. */
export const DEFAULT_PACKET: Readonly<Packet> = { proto: 6, src: 0, dst: 0, sport: 0, dport: 0, icmpType: 8, icmpCode: 0, in: '', out: '', mark: 0, state: CTSTATE.NEW, len: 60 };

/** An interface of the host and its IPv4 addresses (`ADDR/LEN`). */
export interface HostInterface {
  name: string;
  addrs: string[];
}

/** Packet-independent context of a walk. */
export interface IptContext {
  /** Host interfaces; `lo` with 127.0.0.1/8 is implied. Default none. */
  interfaces?: HostInterface[];
  /**
   * Reverse-path check for `-m rpfilter` (the kernel does a FIB lookup of the
   * source). Called once per packet and hook walk with `loose` false and true.
   * Default: the check passes. Simplified: `--validmark` does not change the lookup.
   */
  rpfilter?: (p: Packet, opts: { loose: boolean }) => boolean;
  /**
   * Whether conntrack runs in the namespace. Default: when a loaded rule
   * needs it (conntrack, state, NAT targets, CT without --notrack), as the
   * kernel registers its hooks only then; set `true` when another user
   * (nftables, IPVS, Open vSwitch) keeps it on. Without conntrack the nat
   * chains are never consulted.
   */
  conntrack?: boolean;
}

/** A local-table entry (as `ip route show table local` lists): addresses of one type on one device. */
export interface LocalRoute {
  lo: number;
  hi: number;
  len: number;
  type: 'LOCAL' | 'BROADCAST';
  dev: string;
}

/** The local routing table the kernel builds from the interface addresses (longest prefix first). */
export function localRoutes(ctx: IptContext): LocalRoute[] {
  const out: LocalRoute[] = [
    { lo: 0x7f000000, hi: 0x7fffffff, len: 8, type: 'LOCAL', dev: 'lo' },
    { lo: 0x7fffffff, hi: 0x7fffffff, len: 32, type: 'BROADCAST', dev: 'lo' },
  ];
  for (const i of ctx.interfaces ?? []) {
    for (const a of i.addrs) {
      const slash = a.indexOf('/');
      const addr = parseIPv4(slash === -1 ? a : a.slice(0, slash));
      const len = slash === -1 ? 32 : Number(a.slice(slash + 1));
      out.push({ lo: addr, hi: addr, len: 32, type: 'LOCAL', dev: i.name });
      if (len < 31) {
        const b = (addr | ~maskV4(len)) >>> 0;
        out.push({ lo: b, hi: b, len: 32, type: 'BROADCAST', dev: i.name });
      }
    }
  }
  return out.sort((x, y) => y.len - x.len);
}

/** The first IPv4 address of an interface (what MASQUERADE uses), 0 when it has none. */
export function ifaceAddr(ctx: IptContext, name: string): number {
  const i = (ctx.interfaces ?? []).find((x) => x.name === name);
  const a = i?.addrs[0];
  if (!a) return 0;
  return parseIPv4(a.split('/')[0]);
}

/**
 * The packet as a hook sees it: the kernel passes no input device on OUTPUT
 * (__ip_local_out) and no output device on PREROUTING and INPUT (ip_rcv,
 * ip_local_deliver), so `-i`/`-o` there see an empty name whatever the
 * description says. POSTROUTING keeps both: ip_output passes skb->dev, the
 * input device of a forwarded packet (none for a local one, see
 * {@link onPathHook}).
 */
export function onHook(hook: string, p: Packet): Packet {
  if (hook === 'OUTPUT' && p.in !== '') return { ...p, in: '' };
  if ((hook === 'PREROUTING' || hook === 'INPUT') && p.out !== '') return { ...p, out: '' };
  return p;
}

/** The hooks that can follow each hook on a packet's way through one host (net/ipv4: ip_rcv -> ip_forward | ip_local_deliver; ip_forward, __ip_local_out -> ip_output). */
const NEXT_HOOK: Record<Hook, readonly Hook[]> = {
  PREROUTING: ['INPUT', 'FORWARD'],
  INPUT: [],
  FORWARD: ['POSTROUTING'],
  OUTPUT: ['POSTROUTING'],
  POSTROUTING: [],
};

/** The hook paths through one host, for messages. */
export const HOOK_PATHS = 'PREROUTING,FORWARD,POSTROUTING (forwarded), PREROUTING,INPUT (to this host), OUTPUT,POSTROUTING (from this host), or a part of one';

/**
 * Checks that `hooks` is a path a packet takes through one host, or a part
 * of one: PREROUTING,FORWARD,POSTROUTING; PREROUTING,INPUT; OUTPUT,POSTROUTING.
 * A packet that leaves through `lo` and comes back (OUTPUT,POSTROUTING then
 * PREROUTING,INPUT again) is two walks, not one path.
 */
export function checkHookPath(hooks: readonly string[]): asserts hooks is readonly Hook[] {
  const bad = (): never => {
    throw new InputError('BadHook', hooks.join(','), `hooks in the order a packet meets them: ${HOOK_PATHS}`);
  };
  if (hooks.length === 0) bad();
  hooks.forEach((h, i) => {
    if (!(HOOKS as readonly string[]).includes(h)) bad();
    if (i > 0 && !NEXT_HOOK[hooks[i - 1] as Hook].includes(h as Hook)) bad();
  });
}

/**
 * The packet as `hook` sees it on `path` (checked with {@link checkHookPath}):
 * `carried` is the packet as the hooks before left it (mark, NAT addresses
 * and ports, conntrack state), `given` the packet the path started with,
 * whose `in`/`out` are the path's devices. Each hook gets the devices the
 * kernel passes it ({@link onHook}), never the blanks an earlier hook saw;
 * on a path from this host (starting at OUTPUT) POSTROUTING has no input
 * device, as a locally generated skb has none when ip_output reads skb->dev.
 */
export function onPathHook(hook: Hook, path: readonly Hook[], carried: Packet, given: Packet): Packet {
  return onHook(hook, { ...carried, in: path[0] === 'OUTPUT' ? '' : given.in, out: given.out });
}

/** The reverse-path bits of {@link Packet.rpf} for a packet. */
export function rpfBits(p: Packet, ctx: IptContext): number {
  if (p.rpf !== undefined) return p.rpf & 3;
  if (!ctx.rpfilter) return 3;
  return (ctx.rpfilter(p, { loose: false }) ? 1 : 0) | (ctx.rpfilter(p, { loose: true }) ? 2 : 0);
}

const KEYS = ['proto', 'src', 'dst', 'sport', 'dport', 'type', 'code', 'flags', 'in', 'out', 'mark', 'state', 'len', 'rpf'];

function field(p: Packet, key: string, value: string, pos: InputPosition): void {
  const bad = (expected: string): never => {
    throw new InputError('BadPacket', `${key}=${value}`, expected, pos);
  };
  const num = (max: number): number => {
    if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(value) || Number(value) > max) bad(`a number 0..${max}`);
    return Number(value);
  };
  switch (key) {
    case 'proto':
      try {
        p.proto = parseProto(value);
      } catch (e) {
        bad((e as RuleSyntax).expected);
      }
      return;
    case 'src':
    case 'dst':
      try {
        p[key] = parseIPv4(value);
      } catch {
        bad('an IPv4 address');
      }
      return;
    case 'sport':
    case 'dport':
      p[key] = num(65535);
      return;
    case 'type':
      p.icmpType = num(255);
      return;
    case 'code':
      p.icmpCode = num(255);
      return;
    case 'in':
    case 'out':
      if (value.length > 15) bad('an interface name of at most 15 characters');
      p[key] = value;
      return;
    case 'mark':
      p.mark = num(0xffffffff) >>> 0;
      return;
    case 'len':
      p.len = num(65535);
      return;
    case 'rpf':
      p.rpf = num(3);
      return;
    case 'flags': {
      if (/^(0x[0-9a-fA-F]+|\d+)$/.test(value)) {
        p.tcpFlags = num(63);
        return;
      }
      let f = 0;
      for (const n of value.split(',')) {
        const v = TCP_FLAGS[n.toUpperCase() as keyof typeof TCP_FLAGS];
        if (v === undefined) bad(`TCP flags ${Object.keys(TCP_FLAGS).join(',')} or a number 0..63`);
        f |= v;
      }
      p.tcpFlags = f;
      return;
    }
    case 'state': {
      let s = 0;
      for (const n of value.split(',')) {
        const v = CTSTATE[n.toUpperCase() as CtStateName];
        if (v === undefined) bad(`conntrack states ${Object.keys(CTSTATE).join(', ')}`);
        s |= v;
      }
      p.state = s;
      return;
    }
    default:
      bad(`one of the keys ${KEYS.join(', ')}`);
  }
}

/** Options of {@link parsePacket}, {@link packetFromJson} and {@link parsePacketLine}. */
export interface PacketParseOptions {
  /**
   * Require the keys no default can stand for: `proto`, `src`, `dst`, and
   * `dport` for protocols with ports (tcp, udp, sctp, udplite). Default
   * false: missing keys take {@link DEFAULT_PACKET}. The CLI requires them.
   */
  complete?: boolean;
}

/** Protocols whose packets have ports (what `--dport` and multiport look at). */
const PORT_PROTOCOLS = new Set([6, 17, 132, 136]);

/** What each required key holds, for messages. */
const REQUIRED: Record<string, string> = {
  proto: 'a proto=NAME|NUMBER key (tcp, udp, icmp, ...)',
  src: 'a src=ADDR key (the source address)',
  dst: 'a dst=ADDR key (the destination address)',
  dport: 'a dport=PORT key (the destination port of a tcp, udp, sctp or udplite packet)',
};

/** Throws MissingPacketKey for the first required key not in `given`. */
function requireKeys(p: Packet, given: ReadonlySet<string>, pos: InputPosition | undefined): void {
  const need = ['proto', 'src', 'dst', ...(PORT_PROTOCOLS.has(p.proto) ? ['dport'] : [])];
  const missing = need.find((k) => !given.has(k));
  if (missing) throw new InputError('MissingPacketKey', missing, `${REQUIRED[missing]}; a packet needs proto, src and dst, and dport for tcp, udp, sctp and udplite`, pos);
}

function duplicate(key: string, value: string, pos: InputPosition | undefined, first: string): never {
  throw new InputError('DuplicatePacketKey', `${key}=${value}`, `each key once (${key}= was given ${first})`, pos);
}

/**
 * Parses `proto=tcp src=10.0.0.1 dst=... sport=.. dport=.. in=.. out=.. mark=0x0 state=NEW len=60`.
 * A key given twice is an error; missing keys take {@link DEFAULT_PACKET}
 * (see {@link parseCompletePacket} for a packet that must name them).
 */
export function parsePacket(text: string): Packet {
  return parseText(text, {});
}

/**
 * {@link parsePacket}, but the keys no default can stand for must be given
 * ({@link PacketParseOptions.complete}): what `cnikit iptables trace --packet` accepts.
 */
export function parseCompletePacket(text: string): Packet {
  return parseText(text, { complete: true });
}

function parseText(text: string, opts: PacketParseOptions): Packet {
  const p: Packet = { ...DEFAULT_PACKET };
  const seen = new Map<string, number>();
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const eq = m[0].indexOf('=');
    if (eq <= 0) throw new InputError('BadPacket', m[0], 'KEY=VALUE', { char: m.index });
    const key = m[0].slice(0, eq);
    const at = seen.get(key);
    if (at !== undefined) duplicate(key, m[0].slice(eq + 1), { char: m.index }, `at char ${at}`);
    seen.set(key, m.index);
    field(p, key, m[0].slice(eq + 1), { char: m.index });
  }
  if (opts.complete) requireKeys(p, new Set(seen.keys()), undefined);
  return p;
}

/** Builds a packet from a JSON object with the same keys as {@link parsePacket} (strings or numbers). */
export function packetFromJson(o: unknown, pos: InputPosition, opts: PacketParseOptions = {}): Packet {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new InputError('BadPacket', JSON.stringify(o), 'a JSON object of packet keys', pos);
  const p: Packet = { ...DEFAULT_PACKET };
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new InputError('BadPacket', `${k}=${JSON.stringify(v)}`, 'a string or number value', pos);
    field(p, k, String(v), pos);
  }
  if (opts.complete) requireKeys(p, new Set(Object.keys(o)), pos);
  return p;
}

/**
 * Parses one JSON line of packet keys (`{"proto":"tcp","dst":"10.0.0.1",...}`).
 * Unlike `JSON.parse`, which keeps the last of two equal keys, a key given
 * twice is an error (DuplicatePacketKey).
 */
export function parsePacketLine(line: string, pos: InputPosition, opts: PacketParseOptions = {}): Packet {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    throw new InputError('BadPacket', line.slice(0, 80), 'a JSON object per line', pos);
  }
  const p = packetFromJson(obj, pos, opts);
  // packetFromJson accepted only string and number values, so the object is
  // flat and a string followed by ':' can only be a key.
  const seen = new Set<string>();
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)) {
    const key = JSON.parse(`"${m[1]}"`) as string;
    if (seen.has(key)) duplicate(key, String((obj as Record<string, unknown>)[key]), pos, 'earlier on the line');
    seen.add(key);
  }
  return p;
}

/** Formats a packet in the `--packet` syntax. */
export function formatPacket(p: Packet): string {
  const states = Object.entries(CTSTATE)
    .filter(([, v]) => p.state & v)
    .map(([k]) => k)
    .join(',');
  const flags = p.proto === 6 && p.tcpFlags !== undefined ? ` flags=${Object.entries(TCP_FLAGS).filter(([, v]) => p.tcpFlags! & v).map(([k]) => k).join(',') || '0'}` : '';
  const l4 = p.proto === 1 ? `type=${p.icmpType} code=${p.icmpCode}` : `sport=${p.sport} dport=${p.dport}${flags}`;
  return `proto=${protoName(p.proto)} src=${formatIPv4(p.src)} dst=${formatIPv4(p.dst)} ${l4} in=${p.in} out=${p.out} mark=0x${p.mark.toString(16)} state=${states || '0'} len=${p.len}`;
}

