/**
 * Compiles a loaded ruleset into the flat program the WASM engine runs
 * (layout in assembly/shared/ipt.ts): one record per rule in table, chain,
 * rule order, each chain closed by a pseudo-rule (the policy of a built-in
 * chain, an implicit RETURN for a user chain, as ip_tables lays out its
 * blob); match ops as numeric ranges and masks; jumps as rule indices;
 * interfaces and sets as numbers.
 */
import * as L from '../../assembly/shared/ipt.js';
import { HOOKS, HOOK_TABLES, TABLES, type Chain, type Match, type Rule, type Ruleset, type TableName } from './model.js';
import type { RuleRef } from './reference.js';
import { IfaceIndex } from './iface.js';
import { localRoutes, type IptContext } from './packet.js';
import { SET_DIMS, type IpSets } from './ipset.js';
import { buildChunks, type OpRec } from './classify.js';
import { conntrackRuns } from './conntrack.js';

/** A compiled program and the maps back to the loaded objects. */
export interface Program {
  /** The words to copy into WASM memory. */
  readonly words: Int32Array;
  /** What each program rule is (policy pseudo-rules have `policy: true`; user chain ends are `undefined`). */
  readonly refs: readonly (RuleRef | undefined)[];
  /** The loaded object whose counters each program rule holds. */
  readonly keys: readonly (Rule | Chain | undefined)[];
  readonly ifaces: IfaceIndex;
  /** Words of scratch memory the classification caches need. */
  readonly scratchWords: number;
  /** Jump stack slots needed. */
  readonly stackDepth: number;
  /** Number of classification chunks and rules they cover. */
  readonly chunks: number;
  readonly chunkedRules: number;
}

/** Options of {@link compile}. */
export interface CompileOptions {
  /** Build classification chunks. Default `true`. */
  classify?: boolean;
  /** Rules per chunk (bit-vector width). Default 1024. */
  chunkRules?: number;
  /** Shortest run of simple rules worth a chunk. Default 16 (below that a scan is as fast). */
  minRun?: number;
}

function ipRange(addr: number, len: number): [number, number] {
  const host = len === 0 ? 0xffffffff : len === 32 ? 0 : (0xffffffff >>> len) >>> 0;
  return [addr >>> 0, (addr | host) >>> 0];
}

const SET_TYPE = { 'hash:net': L.SET_NET, 'hash:ip': L.SET_NET, 'hash:ip,port': L.SET_IPPORT, 'bitmap:port': L.SET_PORT } as const;

/** Compiles `rs` (sets and host context as the reference engine takes them). */
export function compile(rs: Ruleset, ipsets: IpSets = new Map(), ctx: IptContext = {}, opts: CompileOptions = {}): Program {
  const routes = localRoutes(ctx);
  // Interface names: every pattern in the rules, plus host interfaces and lo.
  const exact = new Set<string>(['lo', ...routes.map((r) => r.dev), ...(ctx.interfaces ?? []).map((i) => i.name)]);
  const prefixes = new Set<string>();
  for (const t of rs.tables.values())
    for (const c of t.chains.values())
      for (const r of c.rules) for (const m of r.matches) if (m.kind === 'iface') (m.wildcard ? prefixes : exact).add(m.name);
  const ifaces = new IfaceIndex(exact, prefixes);
  const setIds = new Map<string, number>([...ipsets.keys()].map((k, i) => [k, i]));

  // Pass 1: rule indices of chain starts.
  const start = new Map<string, number>();
  let n = 0;
  let chainCount = 0;
  for (const tn of TABLES) {
    const t = rs.tables.get(tn);
    if (!t) continue;
    for (const c of t.chains.values()) {
      start.set(`${tn}/${c.name}`, n);
      n += c.rules.length + 1;
      chainCount++;
    }
  }
  const refs: (RuleRef | undefined)[] = [];
  const keys: (Rule | Chain | undefined)[] = [];
  const ops: OpRec[][] = [];
  const targets: number[][] = [];
  const mport: number[] = [];
  for (const tn of TABLES) {
    const t = rs.tables.get(tn);
    if (!t) continue;
    for (const c of t.chains.values()) {
      c.rules.forEach((r, index) => {
        refs.push({ table: tn, chain: c.name, index, line: r.line, policy: false });
        keys.push(r);
        ops.push(r.matches.flatMap((m) => opOf(m, ifaces, setIds, ipsets, mport)));
        targets.push(targetOf(r, tn, start));
      });
      refs.push(c.policy ? { table: tn, chain: c.name, index: c.rules.length, line: c.line, policy: true } : undefined);
      keys.push(c.policy ? c : undefined);
      ops.push([]);
      targets.push([c.policy === 'DROP' ? L.T_DROP : c.policy ? L.T_ACCEPT : L.T_RETURN, 0, 0, 0]);
    }
  }

  // Layout.
  const totalOps = ops.reduce((s, o) => s + o.length, 0);
  const rulesOff = L.HEADER_WORDS;
  const hooksOff = rulesOff + n * L.RULE_STRIDE;
  const opsOff = hooksOff + HOOKS.length * L.HOOK_SLOTS * L.SLOT_STRIDE;
  const mportOff = opsOff + totalOps * L.OP_STRIDE;
  const setsOff = mportOff + mport.length;
  const setList = [...ipsets.values()];
  let rangesOff = setsOff + setList.length * L.SET_STRIDE;
  const rangeWords = setList.reduce((s, x) => s + x.ranges.length * 4, 0);
  const addrsOff = rangesOff + rangeWords;
  const chunkBase = align4(addrsOff + routes.length * L.ADDR_STRIDE);
  const chunks = opts.classify === false ? { words: new Int32Array(0), records: 0, scratchWords: 0, ruleChunk: new Int32Array(n).fill(-1), covered: 0 } : buildChunks(ops, refs, chunkBase, ifaces.max, opts.chunkRules ?? 1024, opts.minRun ?? 16);
  const words = new Int32Array(chunkBase + chunks.words.length);
  words.set(chunks.words, chunkBase);
  const h = (k: number, v: number): void => void (words[k] = v);
  h(L.H_RULES, rulesOff);
  h(L.H_NRULES, n);
  h(L.H_HOOKS, hooksOff);
  h(L.H_SETS, setsOff);
  h(L.H_NSETS, setList.length);
  h(L.H_ADDRS, addrsOff);
  h(L.H_NADDRS, routes.length);
  h(L.H_CHUNKS, chunkBase);
  h(L.H_NCHUNKS, chunks.records);
  h(L.H_LO_IFACE, ifaces.of('lo'));
  h(L.H_SCRATCH_WORDS, chunks.scratchWords);
  h(L.H_STACK, chainCount + 1);
  h(L.H_CONNTRACK, conntrackRuns(rs, ctx) ? 1 : 0);
  let op = opsOff;
  for (let i = 0; i < n; i++) {
    const r = rulesOff + i * L.RULE_STRIDE;
    words[r + L.R_OPS] = op;
    words[r + L.R_NOPS] = ops[i].length;
    words.set(targets[i], r + L.R_TARGET);
    words[r + L.R_CHUNK] = chunks.ruleChunk[i];
    for (const o of ops[i]) {
      words.set([o.code | (o.neg ? L.OP_NEG : 0), o.a, o.b, o.c], op);
      if (o.op === L.OP_MPORT) words[op + 2] = mportOff + o.b;
      op += L.OP_STRIDE;
    }
  }
  HOOKS.forEach((hook, hi) => {
    const tables = HOOK_TABLES[hook];
    for (let s = 0; s < L.HOOK_SLOTS; s++) {
      const at = hooksOff + (hi * L.HOOK_SLOTS + s) * L.SLOT_STRIDE;
      const tn = tables[s] as TableName | undefined;
      const chain = tn ? rs.tables.get(tn)?.chains.get(hook) : undefined;
      if (!tn || !chain) {
        words.set([-1, -1, -1], at);
        continue;
      }
      const first = start.get(`${tn}/${hook}`)!;
      words.set([first, first + chain.rules.length, TABLES.indexOf(tn)], at);
    }
  });
  words.set(mport, mportOff);
  setList.forEach((s, i) => {
    words.set([SET_TYPE[s.type], rangesOff, s.ranges.length, 0], setsOff + i * L.SET_STRIDE);
    for (const [lo, hi] of s.ranges) {
      words.set([Math.floor(lo / 2 ** 32), lo >>> 0, Math.floor(hi / 2 ** 32), hi >>> 0], rangesOff);
      rangesOff += 4;
    }
  });
  routes.forEach((r, i) => words.set([r.lo, r.hi, r.type === 'LOCAL' ? L.ADDR_LOCAL : L.ADDR_BROADCAST, ifaces.of(r.dev)], addrsOff + i * L.ADDR_STRIDE));
  // MPORT ops were written with the pair offset relative to the pair area; fixed above.
  return { words, refs, keys, ifaces, scratchWords: chunks.scratchWords, stackDepth: chainCount + 1, chunks: chunks.records, chunkedRules: chunks.covered };
}

function align4(x: number): number {
  return (x + 3) & ~3;
}

function opOf(m: Match, ifaces: IfaceIndex, setIds: Map<string, number>, sets: IpSets, mport: number[]): OpRec[] {
  const rec = (op: number, a: number, b = 0, c = 0): OpRec[] => [{ op, code: op, a, b, c, neg: m.neg }];
  switch (m.kind) {
    case 'src':
    case 'dst':
      return rec(m.kind === 'src' ? L.OP_SRC : L.OP_DST, ...ipRange(m.addr, m.len));
    case 'proto':
      return rec(L.OP_PROTO, m.proto);
    case 'iface':
      return rec(m.dir === 'in' ? L.OP_IN : L.OP_OUT, ...ifaces.range(m.name, m.wildcard));
    case 'port':
      return rec(m.dir === 'src' ? L.OP_SPORT : L.OP_DPORT, m.lo, m.hi, m.module === 'tcp' ? 6 : 17);
    case 'tcpflags':
      return rec(L.OP_TCPFLAGS, m.mask, m.comp);
    case 'multiport': {
      const off = mport.length;
      for (const [lo, hi] of m.ports) mport.push(lo, hi);
      return [{ op: L.OP_MPORT, code: L.OP_MPORT, a: m.dir === 'src' ? 0 : m.dir === 'dst' ? 1 : 2, b: off, c: m.ports.length, neg: m.neg, pairs: m.ports }];
    }
    case 'icmp':
      return rec(L.OP_ICMP, m.type, m.codeLo, m.codeHi);
    case 'set':
      return rec(L.OP_SET, setIds.get(m.name)!, m.flags.reduce((bits, f, i) => bits | (f === 'dst' ? 1 << i : 0), 0) | (m.flags.length < SET_DIMS[sets.get(m.name)!.type] ? L.SET_FEW_FLAGS : 0));
    case 'mark':
      return rec(L.OP_MARK, m.value | 0, m.mask | 0);
    case 'ctstate':
      return rec(L.OP_CTSTATE, m.states);
    case 'addrtype': {
      let c = m.limitIn ? L.AT_LIMIT_IN : m.limitOut ? L.AT_LIMIT_OUT : 0;
      if (m.src) c |= L.AT_SRC | (m.src.neg ? L.AT_SRC_NEG : 0);
      if (m.dst) c |= L.AT_DST | (m.dst.neg ? L.AT_DST_NEG : 0);
      return rec(L.OP_ADDRTYPE, m.src?.types ?? 0, m.dst?.types ?? 0, c);
    }
    case 'rpfilter':
      return rec(L.OP_RPF, (m.loose ? L.RPF_LOOSE : 0) | (m.acceptLocal ? L.RPF_ACCEPT_LOCAL : 0) | (m.invert ? L.RPF_INVERT : 0));
    case 'comment':
      return [];
    case 'never':
      return rec(L.OP_NEVER, 0);
  }
}

function targetOf(r: Rule, tn: TableName, start: Map<string, number>): number[] {
  const t = r.target;
  switch (t.kind) {
    case 'ACCEPT':
      return [L.T_ACCEPT, 0, 0, 0];
    case 'DROP':
      return [L.T_DROP, 0, 0, 0];
    case 'REJECT':
      return [L.T_REJECT, 0, 0, 0];
    case 'RETURN':
      return [L.T_RETURN, 0, 0, 0];
    case 'jump':
    case 'goto':
      return [t.kind === 'jump' ? L.T_JUMP : L.T_GOTO, start.get(`${tn}/${t.chain}`)!, 0, 0];
    case 'MARK':
      return [L.T_MARK, t.value | 0, t.mask | 0, 0];
    case 'NOTRACK':
      return [L.T_NOTRACK, 0, 0, 0];
    case 'CT':
      return [t.notrack ? L.T_NOTRACK : L.T_NONE, 0, 0, 0];
    case 'DNAT':
    case 'SNAT':
      return [t.kind === 'DNAT' ? L.T_DNAT : L.T_SNAT, t.addr | 0, t.portLo, 0];
    case 'MASQUERADE':
      return [L.T_MASQUERADE, 0, t.portLo, 0];
    default:
      return [L.T_NONE, 0, 0, 0];
  }
}
