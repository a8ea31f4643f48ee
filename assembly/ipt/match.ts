// One match op against one packet record: numbers in, a boolean out.
// Each case mirrors the kernel match the op was compiled from (see
// src/iptables/reference.ts matchOne, the reference it is tested against).
import {
  OP_STRIDE, OP_NEG, OP_SRC, OP_DST, OP_PROTO, OP_IN, OP_OUT, OP_SPORT, OP_DPORT, OP_MPORT, OP_ICMP, OP_SET, OP_MARK,
  OP_CTSTATE, OP_ADDRTYPE, OP_RPF, OP_TCPFLAGS, P_TCPFLAGS, P_SRC, P_DST, P_PROTO, P_SPORT, P_DPORT, P_ITYPE, P_ICODE, P_IN, P_OUT, P_MARK,
  P_STATE, P_RPF, H_SETS, H_ADDRS, H_NADDRS, H_LO_IFACE, SET_STRIDE, SET_NET, SET_PORT, ADDR_STRIDE,
  ADDR_UNICAST, ADDR_LOCAL, ADDR_BROADCAST, ADDR_MULTICAST, AT_SRC, AT_DST, AT_SRC_NEG, AT_DST_NEG, AT_LIMIT_IN,
  AT_LIMIT_OUT, SET_FEW_FLAGS, RPF_LOOSE, RPF_ACCEPT_LOCAL, RPF_INVERT,
} from "../shared/ipt";

@inline function w(base: usize, word: i32): i32 {
  return load<i32>(base + (<usize>word << 2));
}

@inline function inRange(v: u32, lo: u32, hi: u32): bool {
  return v >= lo && v <= hi;
}

/** Binary search of a u64 key in a set's sorted [loHi, loLo, hiHi, hiLo] ranges. */
function setHas(prog: usize, set: i32, key: u64): bool {
  const rec = prog + (<usize>(w(prog, H_SETS) + set * SET_STRIDE) << 2);
  const ranges = prog + (<usize>load<i32>(rec, 4) << 2);
  let lo = 0;
  let hi = load<i32>(rec, 8) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = ranges + (<usize>mid << 4);
    const a = (<u64>load<u32>(r) << 32) | <u64>load<u32>(r, 4);
    const b = (<u64>load<u32>(r, 8) << 32) | <u64>load<u32>(r, 12);
    if (key < a) hi = mid - 1;
    else if (key > b) lo = mid + 1;
    else return true;
  }
  return false;
}

function protoIndex(p: i32): i32 {
  if (p == 6) return 0;
  if (p == 17) return 1;
  if (p == 132) return 2;
  if (p == 136) return 3;
  return -1;
}

function setMatch(prog: usize, pkt: usize, set: i32, dstBits: i32): bool {
  if (dstBits & SET_FEW_FLAGS) return false;
  const rec = prog + (<usize>(w(prog, H_SETS) + set * SET_STRIDE) << 2);
  const type = load<i32>(rec);
  const ip: u32 = (dstBits & 1) ? load<u32>(pkt, P_DST << 2) : load<u32>(pkt, P_SRC << 2);
  if (type == SET_NET) return setHas(prog, set, <u64>ip);
  const pi = protoIndex(load<i32>(pkt, P_PROTO << 2));
  if (pi < 0) return false;
  if (type == SET_PORT) {
    const port: u32 = (dstBits & 1) ? load<u32>(pkt, P_DPORT << 2) : load<u32>(pkt, P_SPORT << 2);
    return setHas(prog, set, <u64>port);
  }
  const port: u32 = (dstBits & 2) ? load<u32>(pkt, P_DPORT << 2) : load<u32>(pkt, P_SPORT << 2);
  return setHas(prog, set, (<u64>ip << 18) | (<u64>pi << 16) | <u64>port);
}

/** RTN type bit of an address (inet_dev_addr_type); dev -1 = no device restriction. */
export function addrType(prog: usize, a: u32, dev: i32): i32 {
  if ((a >>> 24) == 0 || a == 0xffffffff) return ADDR_BROADCAST;
  if ((a >>> 28) == 14) return ADDR_MULTICAST;
  const base = prog + (<usize>w(prog, H_ADDRS) << 2);
  const n = w(prog, H_NADDRS);
  for (let i = 0; i < n; i++) {
    const e = base + (<usize>(i * ADDR_STRIDE) << 2);
    if (inRange(a, load<u32>(e), load<u32>(e, 4))) {
      return dev < 0 || dev == load<i32>(e, 12) ? load<i32>(e, 8) : ADDR_UNICAST;
    }
  }
  return ADDR_UNICAST;
}

/** Whether op `op` (byte address) matches the packet record at `pkt`. */
export function matchOp(prog: usize, op: usize, pkt: usize): bool {
  const head = load<i32>(op);
  const neg = (head & OP_NEG) != 0;
  const a = load<u32>(op, 4);
  const b = load<u32>(op, 8);
  const c = load<u32>(op, 12);
  let r = false;
  switch (head & 255) {
    case OP_SRC: r = inRange(load<u32>(pkt, P_SRC << 2), a, b); break;
    case OP_DST: r = inRange(load<u32>(pkt, P_DST << 2), a, b); break;
    case OP_PROTO: r = a == 0 || load<u32>(pkt, P_PROTO << 2) == a; break;
    case OP_IN: r = inRange(load<u32>(pkt, P_IN << 2), a, b); break;
    case OP_OUT: r = inRange(load<u32>(pkt, P_OUT << 2), a, b); break;
    case OP_SPORT:
      if (load<u32>(pkt, P_PROTO << 2) != c) return false;
      r = inRange(load<u32>(pkt, P_SPORT << 2), a, b);
      break;
    case OP_DPORT:
      if (load<u32>(pkt, P_PROTO << 2) != c) return false;
      r = inRange(load<u32>(pkt, P_DPORT << 2), a, b);
      break;
    case OP_MPORT: {
      if (protoIndex(load<i32>(pkt, P_PROTO << 2)) < 0) return false;
      const sp = load<u32>(pkt, P_SPORT << 2);
      const dp = load<u32>(pkt, P_DPORT << 2);
      const pairs = prog + (<usize>b << 2);
      for (let i: u32 = 0; i < c; i++) {
        const lo = load<u32>(pairs + (<usize>i << 3));
        const hi = load<u32>(pairs + (<usize>i << 3), 4);
        if ((a != 1 && inRange(sp, lo, hi)) || (a != 0 && inRange(dp, lo, hi))) { r = true; break; }
      }
      break;
    }
    case OP_ICMP:
      if (load<u32>(pkt, P_PROTO << 2) != 1) return false;
      r = a == 255 || (load<u32>(pkt, P_ITYPE << 2) == a && inRange(load<u32>(pkt, P_ICODE << 2), b, c));
      break;
    case OP_TCPFLAGS:
      if (load<u32>(pkt, P_PROTO << 2) != 6) return false;
      r = (load<u32>(pkt, P_TCPFLAGS << 2) & a) == b;
      break;
    case OP_SET: r = setMatch(prog, pkt, <i32>a, <i32>b); break;
    case OP_MARK: r = (load<u32>(pkt, P_MARK << 2) & b) == a; break;
    case OP_CTSTATE: r = (load<u32>(pkt, P_STATE << 2) & a) != 0; break;
    case OP_ADDRTYPE: {
      const dev = (c & AT_LIMIT_IN) ? load<i32>(pkt, P_IN << 2) : (c & AT_LIMIT_OUT) ? load<i32>(pkt, P_OUT << 2) : -1;
      if (c & AT_SRC) {
        const hit = (addrType(prog, load<u32>(pkt, P_SRC << 2), dev) & a) != 0;
        if (hit == ((c & AT_SRC_NEG) != 0)) return false;
      }
      if (c & AT_DST) {
        const hit = (addrType(prog, load<u32>(pkt, P_DST << 2), dev) & b) != 0;
        if (hit == ((c & AT_DST_NEG) != 0)) return false;
      }
      return true;
    }
    case OP_RPF: {
      let ok = load<i32>(pkt, P_IN << 2) == w(prog, H_LO_IFACE) || (load<i32>(pkt, P_RPF << 2) & ((a & RPF_LOOSE) ? 2 : 1)) != 0;
      if (!ok && (a & RPF_ACCEPT_LOCAL) && addrType(prog, load<u32>(pkt, P_SRC << 2), -1) == ADDR_LOCAL) ok = true;
      return ok != ((a & RPF_INVERT) != 0);
    }
    default: return false; // OP_NEVER
  }
  return r != neg;
}

/** Whether all `n` ops from word offset `first` match. */
export function matchAll(prog: usize, first: i32, n: i32, pkt: usize): bool {
  let op = prog + (<usize>first << 2);
  for (let i = 0; i < n; i++) {
    if (!matchOp(prog, op, pkt)) return false;
    op += OP_STRIDE << 2;
  }
  return true;
}
