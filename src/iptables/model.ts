/**
 * The loaded form of an `iptables-save` dump: tables, chains, rules with
 * their matches and targets, each rule remembering the line it came from.
 *
 * IPv4 only (this is `iptables`, not `ip6tables`). Addresses are unsigned
 * 32-bit numbers, marks unsigned 32-bit numbers.
 */

/** Tables in the order the kernel registers their hooks (raw -300, mangle -150, nat -100/+100, filter 0). */
export const TABLES = ['raw', 'mangle', 'nat', 'filter'] as const;
/** A netfilter table name. */
export type TableName = (typeof TABLES)[number];

/** The five IPv4 netfilter hooks. */
export const HOOKS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;
/** A netfilter hook (also the name of the built-in chain on it). */
export type Hook = (typeof HOOKS)[number];

/** Built-in chains of each table (`iptables -t T -L`). */
export const BUILTIN_CHAINS: Record<TableName, readonly Hook[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/**
 * Tables a packet meets on each hook, in kernel priority order
 * (include/uapi/linux/netfilter_ipv4.h: RAW -300, CONNTRACK -200, MANGLE -150,
 * NAT_DST -100, FILTER 0, NAT_SRC 100). The security table is not modelled.
 */
export const HOOK_TABLES: Record<Hook, readonly TableName[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'nat'],
  FORWARD: ['mangle', 'filter'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter'],
  POSTROUTING: ['mangle', 'nat'],
};

/** Conntrack states as bits (the `--ctstate` names). DNAT/SNAT are the virtual states. */
export const CTSTATE = { INVALID: 1, ESTABLISHED: 2, RELATED: 4, NEW: 8, UNTRACKED: 16, SNAT: 32, DNAT: 64 } as const;
/** A conntrack state name. */
export type CtStateName = keyof typeof CTSTATE;

/** Address types of `-m addrtype` (RTN_* of linux/rtnetlink.h) as bits. */
export const ADDRTYPE = {
  UNSPEC: 1 << 0,
  UNICAST: 1 << 1,
  LOCAL: 1 << 2,
  BROADCAST: 1 << 3,
  ANYCAST: 1 << 4,
  MULTICAST: 1 << 5,
  BLACKHOLE: 1 << 6,
  UNREACHABLE: 1 << 7,
  PROHIBIT: 1 << 8,
  THROW: 1 << 9,
  NAT: 1 << 10,
  XRESOLVE: 1 << 11,
} as const;
/** An address type name. */
export type AddrTypeName = keyof typeof ADDRTYPE;

/** An inclusive range of port numbers. */
export type PortRange = readonly [number, number];

/** One condition of a rule. `neg` is the `!` in front of it. */
export type Match =
  | { kind: 'src' | 'dst'; addr: number; len: number; neg: boolean }
  | { kind: 'proto'; proto: number; neg: boolean }
  | { kind: 'iface'; dir: 'in' | 'out'; name: string; wildcard: boolean; neg: boolean }
  | { kind: 'port'; module: 'tcp' | 'udp'; dir: 'src' | 'dst'; lo: number; hi: number; neg: boolean }
  | { kind: 'tcpflags'; mask: number; comp: number; neg: boolean }
  | { kind: 'multiport'; dir: 'src' | 'dst' | 'any'; ports: PortRange[]; neg: boolean }
  | { kind: 'icmp'; type: number; codeLo: number; codeHi: number; text: string; neg: boolean }
  | { kind: 'set'; name: string; flags: ('src' | 'dst')[]; neg: boolean }
  | { kind: 'mark'; value: number; mask: number; neg: boolean }
  | { kind: 'ctstate'; module: 'conntrack' | 'state'; states: number; neg: boolean }
  | {
      kind: 'addrtype';
      src?: { types: number; neg: boolean };
      dst?: { types: number; neg: boolean };
      limitIn: boolean;
      limitOut: boolean;
      neg: false;
    }
  | { kind: 'comment'; text: string; neg: false }
  | { kind: 'rpfilter'; loose: boolean; validmark: boolean; acceptLocal: boolean; invert: boolean; neg: false }
  | { kind: 'never'; token: string; neg: false };

/** What a rule does when it matches. */
export type Target =
  | { kind: 'none' }
  | { kind: 'ACCEPT' | 'DROP' | 'RETURN' | 'NOTRACK' | 'TRACE' }
  | { kind: 'REJECT'; with: string }
  | { kind: 'jump' | 'goto'; chain: string }
  | { kind: 'MARK'; value: number; mask: number }
  | { kind: 'LOG'; options: string[] }
  | { kind: 'CT'; notrack: boolean; options: string[] }
  | { kind: 'MASQUERADE'; portLo: number; portHi: number; options: string[] }
  | { kind: 'SNAT' | 'DNAT'; addr: number; addrHi: number; portLo: number; portHi: number; options: string[] };

/** Packet and byte counters, as `[pkts:bytes]` in `iptables-save -c`. */
export interface Counters {
  packets: number;
  bytes: number;
}

/** One `-A` line. */
export interface Rule {
  readonly matches: readonly Match[];
  readonly target: Target;
  /** 1-based line in the loaded file. */
  readonly line: number;
  /** The `-m comment` texts, joined with "; " (empty when none). */
  readonly comment: string;
  /** Counters from a `[pkts:bytes]` prefix (zero when absent). */
  readonly counters: Counters;
  /** Set (lenient loading) when a construct was not understood: the rule never matches. */
  readonly unsupported?: string;
  /** The rule text after `-A CHAIN ` as written in the file (kept for lenient rules). */
  readonly text: string;
}

/** A chain: built-in ones have a policy. */
export interface Chain {
  readonly name: string;
  /** `ACCEPT`/`DROP` for built-in chains, undefined for user chains. */
  readonly policy?: 'ACCEPT' | 'DROP';
  readonly counters: Counters;
  readonly rules: Rule[];
  /** Line of the `:CHAIN` declaration. */
  readonly line: number;
}

/** One `*table` ... `COMMIT` block. */
export interface Table {
  readonly name: TableName;
  /** Chains in declaration order. */
  readonly chains: Map<string, Chain>;
}

/** A whole loaded dump. Tables absent from the file are not registered (the kernel skips them). */
export interface Ruleset {
  readonly tables: Map<TableName, Table>;
  /** Lenient loading: what was not understood, per rule. */
  readonly warnings: readonly string[];
  /** Where it was read from (for messages). */
  readonly file: string;
}

/** TCP flag bits as `--tcp-flags` names them (libxt_tcp). */
export const TCP_FLAGS = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32 } as const;

/** Protocol names `-p` accepts (/etc/protocols subset) and numbers. */
export const PROTOCOLS: Record<string, number> = { all: 0, icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, sctp: 132, udplite: 136, ipip: 4 };

/** Name of a protocol number as iptables-save prints it. */
export function protoName(p: number): string {
  for (const [k, v] of Object.entries(PROTOCOLS)) if (v === p && k !== 'ipip') return k;
  return String(p);
}
