/**
 * The reference interpreter: a plain recursive walk of the loaded rules, the
 * way net/ipv4/netfilter/ip_tables.c ipt_do_table reads them, written to be
 * obviously right rather than fast. The WASM engine is tested against it.
 *
 * Model:
 * - Tables in kernel priority order per hook ({@link HOOK_TABLES}). A table
 *   absent from the dump is not registered, so the packet skips it.
 * - `nat` is only consulted for a connection's first packet: the kernel runs
 *   the nat chains when the conntrack entry has no NAT binding yet, i.e. for
 *   state NEW (or RELATED) and never for INVALID/UNTRACKED packets. Later
 *   packets of a connection get the stored binding applied, which this model
 *   does not know: they pass nat unchanged. When no loaded rule needs
 *   conntrack the kernel does not track in the namespace at all
 *   ({@link conntrackRuns}), and nat is never consulted.
 * - A rule's counters count when all its matches match, before its target.
 *   A built-in chain's counters count the packets its policy decided.
 * - `-j CHAIN` pushes a return point, `-g CHAIN` does not; RETURN (or falling
 *   off a user chain) pops; with nothing to pop, the built-in chain's policy
 *   decides.
 * - ACCEPT ends the table, DROP/REJECT end the hook walk. NAT targets apply
 *   their address change (first address/port of a range) and accept.
 *   MARK changes the mark seen by the next rules. NOTRACK / CT --notrack make
 *   the packet UNTRACKED. LOG, TRACE and other CT options only continue.
 */
import type { Step, Trace } from '../core/trace.js';
import { ADDRTYPE, CTSTATE, HOOK_TABLES, type Chain, type Counters, type Hook, type Match, type Rule, type Ruleset, type Table, type TableName } from './model.js';
import { checkHookPath, formatPacket, ifaceAddr, localRoutes, onHook, onPathHook, rpfBits, type IptContext, type LocalRoute, type Packet } from './packet.js';
import { applyMark } from './target.js';
import { ipPortKey, setHas, SET_DIMS, SET_PROTO_INDEX, type IpSets } from './ipset.js';
import { ruleText } from './save.js';
import { conntrackRuns } from './conntrack.js';

/** Which rule decided: a rule of a chain, or (`policy`) the chain's policy. */
export interface RuleRef {
  table: TableName;
  chain: string;
  /** 0-based rule index in the chain; for a policy, the number of rules. */
  index: number;
  /** Source line (the `:CHAIN` line for a policy). */
  line: number;
  policy: boolean;
}

/** Final verdict of a hook walk. */
export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT';

/** What a hook walk decided and how the packet leaves it. */
export interface WalkResult {
  verdict: Verdict;
  /** The rule or policy that ended the last table walked (undefined when no table was walked). */
  rule?: RuleRef;
  /** The packet after the walk (mark, NAT addresses, state). */
  packet: Packet;
}

/** One hook of a {@link ReferenceEngine.tracePath} walk: the packet as the hook saw it and what it decided. */
export interface PathWalk {
  hook: Hook;
  packet: Packet;
  result: WalkResult;
}

/** Counters per rule and per built-in chain (policy), keyed by the loaded objects. */
export type CounterMap = Map<Rule | Chain, Counters>;

type Outcome = { kind: 'verdict'; verdict: Verdict; rule: RuleRef } | { kind: 'return' };

/** The reference interpreter bound to one ruleset, its sets and host context. */
export class ReferenceEngine {
  /** Counters added by the walks so far (start at zero). */
  readonly counters: CounterMap = new Map();
  private readonly routes: LocalRoute[];
  /** Whether conntrack runs in the namespace (else nat is never consulted). */
  private readonly tracking: boolean;

  constructor(
    readonly ruleset: Ruleset,
    readonly ipsets: IpSets = new Map(),
    readonly ctx: IptContext = {},
  ) {
    this.routes = localRoutes(ctx);
    this.tracking = conntrackRuns(ruleset, ctx);
  }

  /** Walks `packet` through `hook`; `steps`, when given, receives every step. */
  walk(hook: Hook, packet: Packet, steps?: Step[]): WalkResult {
    const p: Packet = { ...onHook(hook, packet), rpf: rpfBits(packet, this.ctx) };
    let last: RuleRef | undefined;
    for (const tname of HOOK_TABLES[hook]) {
      const table = this.ruleset.tables.get(tname);
      const chain = table?.chains.get(hook);
      if (!table || !chain) continue;
      if (tname === 'nat' && !this.tracking) {
        steps?.push({ kind: 'table', detail: `*nat ${hook}`, action: 'SKIPPED', data: { table: tname, chain: hook, reason: 'no loaded rule needs conntrack, so the kernel does not track packets here and nat is never consulted' } });
        continue;
      }
      if (tname === 'nat' && !natApplies(p.state)) {
        steps?.push({ kind: 'table', detail: `*nat ${hook}`, action: 'SKIPPED', data: { table: tname, chain: hook, reason: 'nat is consulted only for the first packet of a connection (state NEW/RELATED)' } });
        continue;
      }
      steps?.push({ kind: 'table', detail: `*${tname} ${hook}`, action: 'ENTER', data: { table: tname, chain: hook } });
      // raw runs before conntrack (-300 < -200): the packet has no conntrack entry
      // yet, so state matches see INVALID (or UNTRACKED once NOTRACK ran).
      const described = p.state;
      if (tname === 'raw') p.state = CTSTATE.INVALID;
      let out = this.runChain(table, chain, p, steps);
      if (tname === 'raw' && p.state !== CTSTATE.UNTRACKED) p.state = described;
      if (out.kind === 'return') {
        const ref: RuleRef = { table: tname, chain: hook, index: chain.rules.length, line: chain.line, policy: true };
        this.count(chain, p.len);
        steps?.push({ kind: 'policy', detail: `:${hook} ${chain.policy}`, action: chain.policy!, data: { ...ref, mark: hex(p.mark) } });
        out = { kind: 'verdict', verdict: chain.policy!, rule: ref };
      }
      last = out.rule;
      if (out.verdict !== 'ACCEPT') return { verdict: out.verdict, rule: last, packet: p };
    }
    return { verdict: 'ACCEPT', rule: last, packet: p };
  }

  /** Walks and returns the Batfish-shaped trace. */
  trace(hook: Hook, packet: Packet): Trace & { result: WalkResult } {
    const steps: Step[] = [];
    const result = this.walk(hook, packet, steps);
    const disposition = result.verdict === 'ACCEPT' ? 'ACCEPTED' : 'DENIED';
    steps.push({ kind: 'verdict', detail: result.rule ? `${result.verdict} by ${describe(result.rule)}` : `${result.verdict} (no table on ${hook})`, action: result.verdict, data: { rule: result.rule ?? null, packet: result.packet } });
    return { disposition, hops: [{ node: `netfilter ${hook}`, steps }], result };
  }

  /**
   * Walks hook after hook (e.g. PREROUTING, FORWARD, POSTROUTING for a
   * forwarded packet), each hook seeing the packet as the previous one left
   * it (mark, NAT, state) with the interfaces the kernel gives that hook
   * ({@link onPathHook}: FORWARD sees `out` although PREROUTING did not),
   * until one does not accept. One hop per hook walked; `walks` has the
   * packet each hook saw and what it decided. `hooks` must be a path a
   * packet takes ({@link checkHookPath}), else an InputError.
   */
  tracePath(hooks: readonly Hook[], packet: Packet): Trace & { result: WalkResult; walks: PathWalk[] } {
    checkHookPath(hooks);
    const hops: { node: string; steps: Step[] }[] = [];
    const walks: PathWalk[] = [];
    let carried = packet;
    let result: WalkResult = { verdict: 'ACCEPT', packet };
    for (const hook of hooks) {
      const seen = onPathHook(hook, hooks, carried, packet);
      const t = this.trace(hook, seen);
      hops.push(t.hops[0] as { node: string; steps: Step[] });
      result = t.result;
      walks.push({ hook, packet: seen, result });
      if (result.verdict !== 'ACCEPT') break;
      carried = result.packet;
    }
    return { disposition: result.verdict === 'ACCEPT' ? 'ACCEPTED' : 'DENIED', hops, result, walks };
  }

  private count(key: Rule | Chain, len: number): void {
    const c = this.counters.get(key) ?? { packets: 0, bytes: 0 };
    this.counters.set(key, { packets: c.packets + 1, bytes: c.bytes + len });
  }

  private runChain(table: Table, chain: Chain, p: Packet, steps?: Step[]): Outcome {
    for (let index = 0; index < chain.rules.length; index++) {
      const rule = chain.rules[index];
      const ok = rule.matches.every((m) => this.matchOne(m, p));
      const markBefore = p.mark;
      const ref: RuleRef = { table: table.name, chain: chain.name, index, line: rule.line, policy: false };
      const step = (action: string, extra: Record<string, unknown> = {}): void => {
        steps?.push({ kind: 'rule', detail: `-A ${chain.name} ${ruleText(rule)}`, action, data: { ...ref, comment: rule.comment, matched: ok, markBefore: hex(markBefore), markAfter: hex(p.mark), ...extra } });
      };
      if (!ok) {
        step('NO_MATCH');
        continue;
      }
      this.count(rule, p.len);
      const t = rule.target;
      switch (t.kind) {
        case 'ACCEPT':
        case 'DROP':
        case 'REJECT':
          step(t.kind);
          return { kind: 'verdict', verdict: t.kind, rule: ref };
        case 'RETURN':
          step('RETURN');
          return { kind: 'return' };
        case 'jump':
        case 'goto': {
          step(`${t.kind === 'jump' ? 'JUMP' : 'GOTO'} ${t.chain}`);
          const out = this.runChain(table, table.chains.get(t.chain)!, p, steps);
          if (out.kind === 'verdict' || t.kind === 'goto') return out;
          steps?.push({ kind: 'return', detail: `back in ${chain.name} after rule ${index}`, action: 'CONTINUE', data: { table: table.name, chain: chain.name } });
          continue;
        }
        case 'MARK':
          p.mark = applyMark(p.mark, t);
          step('MARK');
          continue;
        case 'NOTRACK':
          p.state = CTSTATE.UNTRACKED;
          step('NOTRACK');
          continue;
        case 'CT':
          if (t.notrack) p.state = CTSTATE.UNTRACKED;
          step('CT');
          continue;
        case 'DNAT':
        case 'SNAT':
        case 'MASQUERADE': {
          const before = formatPacket(p);
          const verdict = this.nat(t, p);
          step(verdict === 'ACCEPT' ? t.kind : 'DROP', { packetBefore: before, packetAfter: formatPacket(p) });
          return { kind: 'verdict', verdict, rule: ref };
        }
        default:
          // none, LOG, TRACE: count and continue.
          step(t.kind === 'none' ? 'COUNT' : t.kind);
          continue;
      }
    }
    return { kind: 'return' };
  }

  private nat(t: Extract<Rule['target'], { kind: 'DNAT' | 'SNAT' | 'MASQUERADE' }>, p: Packet): Verdict {
    const ports = p.proto === 6 || p.proto === 17;
    if (t.kind === 'DNAT') {
      const before = [p.dst, p.dport];
      p.dst = t.addr;
      if (ports && t.portLo) p.dport = t.portLo;
      if (before[0] !== p.dst || before[1] !== p.dport) p.state |= CTSTATE.DNAT;
      return 'ACCEPT';
    }
    const before = [p.src, p.sport];
    if (t.kind === 'SNAT') p.src = t.addr;
    else {
      // MASQUERADE: the out interface's address; without one the kernel drops.
      const a = ifaceAddr(this.ctx, p.out);
      if (a === 0) return 'DROP';
      p.src = a;
    }
    if (ports && t.portLo) p.sport = t.portLo;
    if (before[0] !== p.src || before[1] !== p.sport) p.state |= CTSTATE.SNAT;
    return 'ACCEPT';
  }

  /** One match, as the kernel module's match function decides it. */
  matchOne(m: Match, p: Packet): boolean {
    switch (m.kind) {
      case 'src':
      case 'dst': {
        const a = m.kind === 'src' ? p.src : p.dst;
        const mask = m.len === 0 ? 0 : (0xffffffff << (32 - m.len)) >>> 0;
        return (((a & mask) >>> 0) === m.addr) !== m.neg;
      }
      case 'proto':
        return (m.proto === 0 || p.proto === m.proto) !== m.neg;
      case 'iface': {
        const name = m.dir === 'in' ? p.in : p.out;
        const ok = m.wildcard ? name.startsWith(m.name) : name === m.name;
        return ok !== m.neg;
      }
      case 'port': {
        if (p.proto !== (m.module === 'tcp' ? 6 : 17)) return false;
        const v = m.dir === 'src' ? p.sport : p.dport;
        return (v >= m.lo && v <= m.hi) !== m.neg;
      }
      case 'tcpflags':
        if (p.proto !== 6) return false;
        return (((p.tcpFlags ?? 2) & m.mask) === m.comp) !== m.neg;
      case 'multiport': {
        if (p.proto !== 6 && p.proto !== 17 && p.proto !== 132 && p.proto !== 136) return false;
        const hit = m.ports.some(([lo, hi]) => (m.dir !== 'dst' && p.sport >= lo && p.sport <= hi) || (m.dir !== 'src' && p.dport >= lo && p.dport <= hi));
        return hit !== m.neg;
      }
      case 'icmp':
        if (p.proto !== 1) return false;
        return (m.type === 255 || (p.icmpType === m.type && p.icmpCode >= m.codeLo && p.icmpCode <= m.codeHi)) !== m.neg;
      case 'set':
        return this.setMatch(m, p) !== m.neg;
      case 'mark':
        return (((p.mark & m.mask) >>> 0) === m.value) !== m.neg;
      case 'ctstate':
        return ((p.state & m.states) !== 0) !== m.neg;
      case 'addrtype': {
        const dev = m.limitIn ? p.in : m.limitOut ? p.out : undefined;
        if (m.src && ((this.addrType(p.src, dev) & m.src.types) !== 0) === m.src.neg) return false;
        if (m.dst && ((this.addrType(p.dst, dev) & m.dst.types) !== 0) === m.dst.neg) return false;
        return true;
      }
      case 'rpfilter': {
        // xt_rpfilter: loopback passes; otherwise the reverse route check (simplified, see IptContext.rpfilter).
        let ok = p.in === 'lo' || ((p.rpf ?? 3) & (m.loose ? 2 : 1)) !== 0;
        if (!ok && m.acceptLocal && this.addrType(p.src, undefined) === ADDRTYPE.LOCAL) ok = true;
        return ok !== m.invert;
      }
      case 'comment':
        return true;
      case 'never':
        return false;
    }
  }

  /**
   * The RTN_* type of an address as inet_addr_type / inet_dev_addr_type
   * give it: 0.0.0.0/8 and 255.255.255.255 are broadcast, 224/4 multicast,
   * then the local table (longest prefix), restricted to `dev` when given;
   * everything else unicast.
   */
  addrType(a: number, dev: string | undefined): number {
    if (a >>> 24 === 0 || a === 0xffffffff) return ADDRTYPE.BROADCAST;
    if (a >>> 28 === 14) return ADDRTYPE.MULTICAST;
    for (const r of this.routes) if (a >= r.lo && a <= r.hi) return dev === undefined || dev === r.dev ? ADDRTYPE[r.type] : ADDRTYPE.UNICAST;
    return ADDRTYPE.UNICAST;
  }

  private setMatch(m: Extract<Match, { kind: 'set' }>, p: Packet): boolean {
    const set = this.ipsets.get(m.name)!;
    // ip_set_test: fewer src/dst flags than the set has dimensions never matches.
    if (m.flags.length < SET_DIMS[set.type]) return false;
    const ip = m.flags[0] === 'src' ? p.src : p.dst;
    switch (set.type) {
      case 'hash:net':
      case 'hash:ip':
        return setHas(set, ip);
      case 'bitmap:port':
        if (SET_PROTO_INDEX[p.proto] === undefined) return false;
        return setHas(set, m.flags[0] === 'src' ? p.sport : p.dport);
      case 'hash:ip,port':
        if (SET_PROTO_INDEX[p.proto] === undefined) return false;
        return setHas(set, ipPortKey(ip, p.proto, m.flags[1] === 'src' ? p.sport : p.dport));
    }
  }
}

/** Whether the nat table is consulted for a packet in conntrack state `state`. */
export function natApplies(state: number): boolean {
  return (state & (CTSTATE.NEW | CTSTATE.RELATED)) !== 0 && (state & (CTSTATE.INVALID | CTSTATE.UNTRACKED)) === 0;
}

/** `filter FORWARD rule 3 (line 70)` / `filter FORWARD policy (line 50)`. */
export function describe(r: RuleRef): string {
  return r.policy ? `${r.table} ${r.chain} policy (line ${r.line})` : `${r.table} ${r.chain} rule ${r.index} (line ${r.line})`;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

