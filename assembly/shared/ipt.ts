// Layout of the compiled iptables program and packet batches, shared by the
// AssemblyScript engine (assembly/ipt/) and the TypeScript compiler
// (src/iptables/compile.ts). Plain constants only: this file is compiled by
// both AssemblyScript and tsc. All offsets count 32-bit words.

// ---- program header (word index from the program's base) ----
export const H_RULES = 0; // word offset of the rule records
export const H_NRULES = 1;
export const H_HOOKS = 2; // word offset of the hook table
export const H_SETS = 3; // word offset of the set records
export const H_NSETS = 4;
export const H_ADDRS = 5; // word offset of the local-route table (addrtype)
export const H_NADDRS = 6;
export const H_CHUNKS = 7; // word offset of the classification chunk records
export const H_NCHUNKS = 8;
export const H_LO_IFACE = 9; // interned index of interface "lo"
export const H_SCRATCH_WORDS = 10; // words of scratch the chunks' caches need
export const H_STACK = 11; // jump stack depth needed (number of chains + 1)
export const H_CONNTRACK = 12; // 1 when conntrack runs in the namespace (else nat is never consulted)
export const HEADER_WORDS = 16;

// ---- rule record ----
export const RULE_STRIDE = 8;
export const R_OPS = 0; // word offset of the first op
export const R_NOPS = 1;
export const R_TARGET = 2;
export const R_A = 3;
export const R_B = 4;
export const R_C = 5;
export const R_CHUNK = 6; // classification chunk holding this rule, or -1

// ---- targets ----
export const T_NONE = 0; // count and continue (also LOG, TRACE, CT without --notrack)
export const T_ACCEPT = 1;
export const T_DROP = 2;
export const T_REJECT = 3;
export const T_RETURN = 4;
export const T_JUMP = 5; // A = first rule of the chain
export const T_GOTO = 6; // A = first rule of the chain
export const T_MARK = 7; // mark = (mark & ~B) ^ A
export const T_NOTRACK = 8;
export const T_DNAT = 9; // A = address, B = port (0 keeps)
export const T_SNAT = 10; // A = address, B = port (0 keeps)
export const T_MASQUERADE = 11; // B = port (0 keeps); address from the packet's P_OUTADDR

// ---- match ops: [code | neg << 8, a, b, c] ----
export const OP_STRIDE = 4;
export const OP_NEG = 256;
export const OP_SRC = 1; // a..b address range
export const OP_DST = 2;
export const OP_PROTO = 3; // a = protocol, 0 = any
export const OP_IN = 4; // a..b interned interface range
export const OP_OUT = 5;
export const OP_SPORT = 6; // a..b port range, c = protocol the packet must have
export const OP_DPORT = 7;
export const OP_MPORT = 8; // a = dir (0 src, 1 dst, 2 any), b = word offset of [lo, hi] pairs, c = pair count
export const OP_ICMP = 9; // a = type (255 any), b..c code range
export const OP_SET = 10; // a = set id, b = bit i set: dimension i takes the destination; SET_FEW_FLAGS: never a member
export const SET_FEW_FLAGS = 65536;
export const OP_MARK = 11; // (mark & b) == a
export const OP_CTSTATE = 12; // (state & a) != 0
export const OP_ADDRTYPE = 13; // a = src types, b = dst types, c = AT_* flags
export const OP_RPF = 14; // a = RPF_* flags
export const OP_NEVER = 15;
export const OP_TCPFLAGS = 16; // (flags & a) == b, packet must be TCP

export const AT_SRC = 1;
export const AT_DST = 2;
export const AT_SRC_NEG = 4;
export const AT_DST_NEG = 8;
export const AT_LIMIT_IN = 16;
export const AT_LIMIT_OUT = 32;

export const RPF_LOOSE = 1;
export const RPF_ACCEPT_LOCAL = 2;
export const RPF_INVERT = 4;

// ---- hook table: 5 hooks x 4 table slots x [first rule or -1, policy rule, table id] ----
export const HOOK_SLOTS = 4;
export const SLOT_STRIDE = 3;
export const TABLE_RAW = 0; // raw 0, mangle 1, nat 2, filter 3
export const TABLE_NAT = 2;

// ---- sets: [type, word offset of ranges, range count, 0]; a range is [loHi, loLo, hiHi, hiLo] ----
export const SET_STRIDE = 4;
export const SET_NET = 0; // hash:net, hash:ip: key = address
export const SET_IPPORT = 1; // hash:ip,port: key = ip * 2^18 + protoIndex * 2^16 + port
export const SET_PORT = 2; // bitmap:port: key = port

// ---- local routes (addrtype): [lo, hi, type bit, interned device] ----
export const ADDR_STRIDE = 4;
export const ADDR_UNICAST = 2;
export const ADDR_LOCAL = 4;
export const ADDR_BROADCAST = 8;
export const ADDR_MULTICAST = 32;

// ---- classification chunks (bit vectors per dimension) ----
export const DIMS = 7; // src, dst, proto, sport, dport, in, out
export const CHUNK_STRIDE = 4 + 3 * DIMS;
export const C_START = 0; // first rule
export const C_END = 1; // one past the last rule
export const C_WORDS = 2; // words per bit vector
export const C_CACHE = 3; // word offset of the cache in the scratch area: [stamp, vector...]
export const C_DIM = 4; // per dim: [word offset of bounds, bound count (0 = unconstrained), word offset of vectors]

// ---- packet records (in and out) ----
export const PKT_STRIDE = 20;
export const P_SRC = 0;
export const P_DST = 1;
export const P_PROTO = 2;
export const P_SPORT = 3;
export const P_DPORT = 4;
export const P_ITYPE = 5;
export const P_ICODE = 6;
export const P_IN = 7; // interned
export const P_OUT = 8; // interned
export const P_MARK = 9;
export const P_STATE = 10; // conntrack state bits (CTSTATE of src/iptables/model.ts)
export const P_LEN = 11;
export const P_OUTADDR = 12; // address of the output interface (MASQUERADE)
export const P_RPF = 13; // bit 0 strict, bit 1 loose reverse-path check passes
export const P_VERDICT = 14; // out
export const P_RULE = 15; // out: deciding rule, -1 none
export const P_TCPFLAGS = 16; // TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32)

export const V_ACCEPT = 1;
export const V_DROP = 2;
export const V_REJECT = 3;

export const ST_INVALID = 1;
export const ST_RELATED = 4;
export const ST_NEW = 8;
export const ST_UNTRACKED = 16;
export const ST_SNAT = 32;
export const ST_DNAT = 64;

export const MODE_LINEAR = 0;
export const MODE_CLASSIFIED = 1;

export const IPT_OK = 0;
export const IPT_BAD_HOOK = 1;
export const IPT_STACK_OVERFLOW = 2;
