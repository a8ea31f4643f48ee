/**
 * The WASM iptables engine: compiles a ruleset once, copies the program into
 * WASM memory, then walks batches of packets in one call each, keeping
 * per-rule counters in WASM memory.
 *
 * ```ts
 * const core = await createCore();
 * const eng = new IptEngine(core, ruleset, { ipsets, ctx });
 * const [r] = eng.walk('FORWARD', [parsePacket('proto=tcp dport=80 in=cali1')]);
 * ```
 */
import * as L from '../../assembly/shared/ipt.js';
import { InputError } from '../core/errors.js';
import type { Core } from '../core/core.js';
import { HOOKS, type Chain, type Counters, type Hook, type Rule, type Ruleset } from './model.js';
import { compile, type CompileOptions, type Program } from './compile.js';
import { ifaceAddr, onHook, rpfBits, type IptContext, type Packet } from './packet.js';
import type { IpSets } from './ipset.js';
import type { CounterMap, RuleRef, Verdict } from './reference.js';

interface IptExports {
  ipt_eval(prog: number, ctr: number, stack: number, scratch: number, pkts: number, n: number, hook: number, mode: number): number;
}

/** Options of {@link IptEngine}. */
export interface EngineOptions extends CompileOptions {
  ipsets?: IpSets;
  ctx?: IptContext;
}

/** Which evaluation: the classification chunks (default) or a scan of every rule (baseline). */
export type EvalMode = 'classified' | 'linear';

/** Result of one packet. */
export interface EngineResult {
  verdict: Verdict;
  /** Deciding rule (program index -> loaded rule), undefined if no table was walked. */
  rule?: RuleRef;
  /** The packet after the walk (mark, addresses, ports, state changed by targets). */
  packet: Packet;
}

/** Packets per WASM call. */
export const BATCH = 4096;
/** Verdict names by the code the WASM engine writes in a record (0 no rule decided: accept, 1 accept, 2 drop, 3 reject). */
export const VERDICTS: readonly Verdict[] = ['ACCEPT', 'ACCEPT', 'DROP', 'REJECT'];

/** A compiled ruleset living in one core's memory. */
export class IptEngine {
  readonly program: Program;
  private readonly ex: IptExports;
  private readonly prog: number;
  private readonly ctr: number;
  private readonly stack: number;
  private readonly scratch: number;
  private readonly batch: number;
  private readonly ctx: IptContext;
  private readonly outAddr = new Map<string, number>();
  private disposed = false;

  constructor(
    readonly core: Core,
    readonly ruleset: Ruleset,
    opts: EngineOptions = {},
  ) {
    this.ctx = opts.ctx ?? {};
    this.program = compile(ruleset, opts.ipsets, this.ctx, opts);
    this.ex = core.exports as unknown as IptExports;
    const n = this.program.refs.length;
    this.prog = core.alloc(this.program.words.byteLength);
    this.ctr = core.alloc(n * 16);
    this.stack = core.alloc(this.program.stackDepth * 4);
    this.scratch = core.alloc(Math.max(16, this.program.scratchWords * 4));
    this.batch = core.alloc(BATCH * L.PKT_STRIDE * 4);
    core.i32.set(this.program.words, this.prog >> 2);
    core.exports.zero(this.ctr, n * 16);
    core.exports.zero(this.scratch, Math.max(16, this.program.scratchWords * 4));
  }

  /** Writes `p`, as `hook` sees it, as a packet record at word `off` of `rec` (validated). */
  encode(hook: Hook, packet: Packet, rec: Int32Array, off: number): void {
    const p = onHook(hook, packet);
    for (const k of ['src', 'dst', 'mark'] as const) if (!Number.isInteger(p[k]) || p[k] < 0 || p[k] > 0xffffffff) bad(k, p[k], 'an unsigned 32-bit integer');
    for (const k of ['sport', 'dport', 'len'] as const) if (!Number.isInteger(p[k]) || p[k] < 0 || p[k] > 65535) bad(k, p[k], 'an integer 0..65535');
    for (const k of ['proto', 'icmpType', 'icmpCode'] as const) if (!Number.isInteger(p[k]) || p[k] < 0 || p[k] > 255) bad(k, p[k], 'an integer 0..255');
    if (!Number.isInteger(p.state) || p.state < 0 || p.state > 127) bad('state', p.state, 'conntrack state bits 0..127');
    for (const k of ['in', 'out'] as const) if (typeof p[k] !== 'string' || p[k].length > 15) bad(k, p[k], 'an interface name of at most 15 characters');
    const ifs = this.program.ifaces;
    let oa = this.outAddr.get(p.out);
    if (oa === undefined) {
      oa = ifaceAddr(this.ctx, p.out);
      this.outAddr.set(p.out, oa);
    }
    rec[off + L.P_SRC] = p.src;
    rec[off + L.P_DST] = p.dst;
    rec[off + L.P_PROTO] = p.proto;
    rec[off + L.P_SPORT] = p.sport;
    rec[off + L.P_DPORT] = p.dport;
    rec[off + L.P_ITYPE] = p.icmpType;
    rec[off + L.P_ICODE] = p.icmpCode;
    rec[off + L.P_IN] = ifs.of(p.in);
    rec[off + L.P_OUT] = ifs.of(p.out);
    rec[off + L.P_MARK] = p.mark;
    rec[off + L.P_STATE] = p.state;
    rec[off + L.P_LEN] = p.len;
    rec[off + L.P_OUTADDR] = oa;
    rec[off + L.P_RPF] = rpfBits(p, this.ctx);
    const tf = p.tcpFlags ?? 2;
    if (!Number.isInteger(tf) || tf < 0 || tf > 63) bad('tcpFlags', tf, 'TCP flag bits 0..63');
    rec[off + L.P_TCPFLAGS] = tf;
    rec[off + L.P_VERDICT] = 0;
    rec[off + L.P_RULE] = -1;
  }

  /**
   * Walks already encoded records (`PKT_STRIDE` words each) in place: the
   * verdict, deciding rule and changed fields are written back into `recs`.
   * The fast path for large batches (see {@link encode}).
   */
  evalRecords(hook: Hook, recs: Int32Array, count: number, mode: EvalMode = 'classified'): void {
    this.alive();
    const h = HOOKS.indexOf(hook);
    if (h < 0) bad('hook', hook, `one of ${HOOKS.join(', ')}`);
    if (count * L.PKT_STRIDE > recs.length) bad('count', count, `at most ${Math.floor(recs.length / L.PKT_STRIDE)} records`);
    const m = mode === 'linear' ? L.MODE_LINEAR : L.MODE_CLASSIFIED;
    for (let done = 0; done < count; done += BATCH) {
      const k = Math.min(BATCH, count - done);
      const view = recs.subarray(done * L.PKT_STRIDE, (done + k) * L.PKT_STRIDE);
      this.core.i32.set(view, this.batch >> 2);
      const rc = this.core.guard(() => this.ex.ipt_eval(this.prog, this.ctr, this.stack, this.scratch, this.batch, k, h, m));
      if (rc !== L.IPT_OK) throw new Error(`ipt_eval returned ${rc}`);
      view.set(this.core.i32.subarray(this.batch >> 2, (this.batch >> 2) + k * L.PKT_STRIDE));
    }
  }

  /**
   * A view of the engine's own batch buffer in WASM memory ({@link BATCH}
   * records of `PKT_STRIDE` words): fill it with {@link encode}, run
   * {@link evalInPlace}, read the results from it, with no copies. Take a
   * fresh view after anything that may grow memory (views detach on growth).
   */
  recordsView(): Int32Array {
    this.alive();
    return this.core.i32.subarray(this.batch >> 2, (this.batch >> 2) + BATCH * L.PKT_STRIDE);
  }

  /** Walks the first `count` records of {@link recordsView} in place. */
  evalInPlace(hook: Hook, count: number, mode: EvalMode = 'classified'): void {
    this.alive();
    const h = HOOKS.indexOf(hook);
    if (h < 0) bad('hook', hook, `one of ${HOOKS.join(', ')}`);
    if (!Number.isInteger(count) || count < 0 || count > BATCH) bad('count', count, `0..${BATCH} records`);
    const rc = this.core.guard(() => this.ex.ipt_eval(this.prog, this.ctr, this.stack, this.scratch, this.batch, count, h, mode === 'linear' ? L.MODE_LINEAR : L.MODE_CLASSIFIED));
    if (rc !== L.IPT_OK) throw new Error(`ipt_eval returned ${rc}`);
  }

  /** Walks packets through `hook` and returns a result per packet. */
  walk(hook: Hook, packets: readonly Packet[], mode: EvalMode = 'classified'): EngineResult[] {
    const recs = new Int32Array(packets.length * L.PKT_STRIDE);
    packets.forEach((p, i) => this.encode(hook, p, recs, i * L.PKT_STRIDE));
    this.evalRecords(hook, recs, packets.length, mode);
    return packets.map((p, i) => this.result(recs, i * L.PKT_STRIDE, onHook(hook, p)));
  }

  /** Decodes the result of the record at word `off` (`orig` supplies the fields WASM does not change). */
  result(recs: Int32Array, off: number, orig: Packet): EngineResult {
    const rule = recs[off + L.P_RULE];
    return {
      verdict: VERDICTS[recs[off + L.P_VERDICT]],
      rule: rule >= 0 ? this.program.refs[rule] : undefined,
      packet: {
        ...orig,
        src: recs[off + L.P_SRC] >>> 0,
        dst: recs[off + L.P_DST] >>> 0,
        sport: recs[off + L.P_SPORT],
        dport: recs[off + L.P_DPORT],
        mark: recs[off + L.P_MARK] >>> 0,
        state: recs[off + L.P_STATE],
        rpf: recs[off + L.P_RPF],
      },
    };
  }

  /** Counters so far, keyed like {@link ReferenceEngine.counters} (only non-zero entries). */
  counters(): CounterMap {
    this.alive();
    const f = new Float64Array(this.core.exports.memory.buffer, this.ctr, this.program.refs.length * 2);
    const out: CounterMap = new Map();
    this.program.keys.forEach((k, i) => {
      if (k && f[2 * i] > 0) out.set(k, { packets: f[2 * i], bytes: f[2 * i + 1] });
    });
    return out;
  }

  /** Counter of one rule or built-in chain. */
  counter(key: Rule | Chain): Counters {
    return this.counters().get(key) ?? { packets: 0, bytes: 0 };
  }

  /** Zeroes the counters. */
  resetCounters(): void {
    this.alive();
    this.core.exports.zero(this.ctr, this.program.refs.length * 16);
  }

  private alive(): void {
    if (this.disposed) throw new InputError('Disposed', 'IptEngine', 'an engine that was not disposed');
  }

  /** Frees the engine's WASM memory; the engine cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of [this.prog, this.ctr, this.stack, this.scratch, this.batch]) this.core.free(p);
  }
}

function bad(key: string, v: unknown, expected: string): never {
  throw new InputError('BadPacket', `${key}=${String(v)}`, expected);
}
