// Compiled iptables engine: walks batches of packet records
// through the flat program src/iptables/compile.ts writes, with the
// jump/goto/RETURN stack of ipt_do_table. Numbers and pointers only; the
// wrapper validates the program and packets before calling.
import {
  H_RULES, H_HOOKS, RULE_STRIDE, R_OPS, R_NOPS, R_TARGET, R_A, R_B, R_CHUNK, HOOK_SLOTS, SLOT_STRIDE, TABLE_NAT, TABLE_RAW,
  T_NONE, T_ACCEPT, T_DROP, T_REJECT, T_RETURN, T_JUMP, T_GOTO, T_MARK, T_NOTRACK, T_DNAT, T_SNAT, T_MASQUERADE,
  PKT_STRIDE, P_SRC, P_DST, P_PROTO, P_SPORT, P_DPORT, P_MARK, P_STATE, P_LEN, P_OUTADDR, P_VERDICT, P_RULE,
  V_ACCEPT, V_DROP, V_REJECT, ST_INVALID, ST_RELATED, ST_NEW, ST_UNTRACKED, ST_SNAT, ST_DNAT, MODE_CLASSIFIED,
  IPT_OK, IPT_BAD_HOOK, IPT_STACK_OVERFLOW, H_STACK, H_CONNTRACK,
} from "../shared/ipt";
import { matchAll } from "./match";
import { chunkNext } from "./bv";

// Identifies a packet's field values for the chunk caches; bumped per packet and per NAT rewrite.
let stamp: i32 = 1;

@inline function f(pkt: usize, k: i32): i32 { return load<i32>(pkt + (<usize>k << 2)); }
@inline function setf(pkt: usize, k: i32, v: i32): void { store<i32>(pkt + (<usize>k << 2), v); }

/** Applies a NAT target; returns the verdict (MASQUERADE without an address drops). */
function nat(pkt: usize, t: i32, a: i32, b: i32): i32 {
  const ports = f(pkt, P_PROTO) == 6 || f(pkt, P_PROTO) == 17;
  if (t == T_DNAT) {
    const d = f(pkt, P_DST), dp = f(pkt, P_DPORT);
    setf(pkt, P_DST, a);
    if (ports && b != 0) setf(pkt, P_DPORT, b);
    if (d != f(pkt, P_DST) || dp != f(pkt, P_DPORT)) setf(pkt, P_STATE, f(pkt, P_STATE) | ST_DNAT);
  } else {
    const s = f(pkt, P_SRC), sp = f(pkt, P_SPORT);
    if (t == T_SNAT) setf(pkt, P_SRC, a);
    else {
      if (f(pkt, P_OUTADDR) == 0) return V_DROP;
      setf(pkt, P_SRC, f(pkt, P_OUTADDR));
    }
    if (ports && b != 0) setf(pkt, P_SPORT, b);
    if (s != f(pkt, P_SRC) || sp != f(pkt, P_SPORT)) setf(pkt, P_STATE, f(pkt, P_STATE) | ST_SNAT);
  }
  return V_ACCEPT;
}

/**
 * Walks `n` packet records at `pkts` through hook `hook` (0 PREROUTING ..
 * 4 POSTROUTING). Writes P_VERDICT / P_RULE and the changed fields back into
 * each record and adds to the f64 [packets, bytes] counters at `ctr`.
 * `mode` 0 scans every rule, 1 uses the classification chunks. `stack` holds
 * H_STACK i32 slots, `scratch` the chunk caches. Returns IPT_OK.
 */
export function ipt_eval(prog: usize, ctr: usize, stack: usize, scratch: usize, pkts: usize, n: i32, hook: i32, mode: i32): i32 {
  if (hook < 0 || hook > 4) return IPT_BAD_HOOK;
  const rules = prog + (<usize>load<i32>(prog, H_RULES << 2) << 2);
  const slots = prog + (<usize>(load<i32>(prog, H_HOOKS << 2) + hook * HOOK_SLOTS * SLOT_STRIDE) << 2);
  const maxDepth = load<i32>(prog, H_STACK << 2);
  const classified = mode == MODE_CLASSIFIED;
  // Without conntrack in the namespace no packet has an entry: nf_nat_inet_fn skips the nat chains.
  const tracking = load<i32>(prog, H_CONNTRACK << 2) != 0;
  for (let i = 0; i < n; i++) {
    const pkt = pkts + (<usize>(i * PKT_STRIDE) << 2);
    stamp++;
    let verdict = V_ACCEPT;
    let decided = -1;
    for (let t = 0; t < HOOK_SLOTS && verdict == V_ACCEPT; t++) {
      const slot = slots + (<usize>(t * SLOT_STRIDE) << 2);
      let pc = load<i32>(slot);
      if (pc < 0) continue;
      if (load<i32>(slot, 8) == TABLE_NAT) {
        const st = f(pkt, P_STATE);
        if (!tracking) continue;
        if ((st & (ST_NEW | ST_RELATED)) == 0 || (st & (ST_INVALID | ST_UNTRACKED)) != 0) continue;
      }
      const underflow = load<i32>(slot, 4);
      // raw runs before conntrack: state matches see INVALID (UNTRACKED after NOTRACK).
      const raw = load<i32>(slot, 8) == TABLE_RAW;
      const described = f(pkt, P_STATE);
      if (raw) setf(pkt, P_STATE, ST_INVALID);
      let sp = 0;
      while (true) {
        let rule = rules + (<usize>(pc * RULE_STRIDE) << 2);
        const ch = load<i32>(rule, R_CHUNK << 2);
        if (classified && ch >= 0) {
          const next = chunkNext(prog, scratch, ch, pc, pkt, stamp);
          if (next != pc) {
            pc = next;
            rule = rules + (<usize>(pc * RULE_STRIDE) << 2);
            // The chunk's end is the first rule after it: evaluate it normally.
            if (load<i32>(rule, R_CHUNK << 2) != ch && !matchAll(prog, load<i32>(rule, R_OPS << 2), load<i32>(rule, R_NOPS << 2), pkt)) { pc++; continue; }
          }
        } else if (!matchAll(prog, load<i32>(rule, R_OPS << 2), load<i32>(rule, R_NOPS << 2), pkt)) {
          pc++;
          continue;
        }
        const c = ctr + (<usize>pc << 4);
        store<f64>(c, load<f64>(c) + 1.0);
        store<f64>(c, load<f64>(c, 8) + <f64>f(pkt, P_LEN), 8);
        const target = load<i32>(rule, R_TARGET << 2);
        if (target == T_NONE) { pc++; continue; }
        if (target == T_ACCEPT) { decided = pc; break; }
        if (target == T_DROP || target == T_REJECT) { decided = pc; verdict = target == T_DROP ? V_DROP : V_REJECT; break; }
        if (target == T_RETURN) { pc = sp == 0 ? underflow : load<i32>(stack + (<usize>(--sp) << 2)); continue; }
        if (target == T_JUMP) {
          if (sp >= maxDepth) return IPT_STACK_OVERFLOW;
          store<i32>(stack + (<usize>(sp++) << 2), pc + 1);
          pc = load<i32>(rule, R_A << 2);
          continue;
        }
        if (target == T_GOTO) { pc = load<i32>(rule, R_A << 2); continue; }
        if (target == T_MARK) {
          setf(pkt, P_MARK, (f(pkt, P_MARK) & ~load<i32>(rule, R_B << 2)) ^ load<i32>(rule, R_A << 2));
          pc++;
          continue;
        }
        if (target == T_NOTRACK) { setf(pkt, P_STATE, ST_UNTRACKED); pc++; continue; }
        // DNAT, SNAT, MASQUERADE: rewrite, then accept (or drop) for this table.
        verdict = nat(pkt, target, load<i32>(rule, R_A << 2), load<i32>(rule, R_B << 2));
        stamp++;
        decided = pc;
        break;
      }
      if (raw && f(pkt, P_STATE) != ST_UNTRACKED) setf(pkt, P_STATE, described);
    }
    setf(pkt, P_VERDICT, verdict);
    setf(pkt, P_RULE, decided);
  }
  return IPT_OK;
}
