/**
 * `cnikit iptables trace` (one packet, every rule it meets) and
 * `cnikit iptables verdicts` (a JSON-lines stream of packets through the
 * WASM engine, one JSON verdict per line).
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { checkOutput, openInput, readInputText, write, writeOutput, type Io } from './io.js';
import { InputError } from '../core/errors.js';
import { createCore } from '../core/core.js';
import * as L from '../../assembly/shared/ipt.js';
import { HOOKS, type Hook, type Ruleset } from '../iptables/model.js';
import { parseRuleset } from '../iptables/parse.js';
import { saveRuleset } from '../iptables/save.js';
import { parseIpsets, type IpSets } from '../iptables/ipset.js';
import { checkHookPath, formatPacket, parseCompletePacket, parsePacketLine, type IptContext } from '../iptables/packet.js';
import { forFlag, markRequiredInHelp } from './flags.js';
import { ReferenceEngine, describe } from '../iptables/reference.js';
import { BATCH, IptEngine, VERDICTS } from '../iptables/engine.js';
import { formatIPv4 } from '../net/ip.js';
import type { Step } from '../core/trace.js';

interface Common {
  rules: string;
  ipsets?: string;
  hook: string;
  lenient?: boolean;
  iface: string[];
  conntrack?: boolean;
}

/** Loads rules, sets and host context from the common options; warnings go to stderr. */
async function load(o: Common, io: Io, path = false): Promise<{ rs: Ruleset; ipsets: IpSets; ctx: IptContext; hook: Hook; hooks: Hook[] }> {
  const hooks = o.hook.split(',') as Hook[];
  for (const h of hooks) if (!HOOKS.includes(h)) throw new InputError('BadHook', o.hook, `a hook${path ? ' or a comma-separated path of hooks' : ''}: ${HOOKS.join(', ')}`);
  if (!path && hooks.length !== 1) throw new InputError('BadHook', o.hook, `one hook: ${HOOKS.join(', ')}`);
  checkHookPath(hooks);
  const ipsets = o.ipsets ? parseIpsets(await readInputText(io, '--ipsets', o.ipsets), o.ipsets) : new Map();
  const rs = parseRuleset(await readInputText(io, '--rules', o.rules), { file: o.rules, lenient: !!o.lenient, ipsets });
  for (const w of rs.warnings) io.stderr.write(`cnikit: warning: ${w}\n`);
  const ctx: IptContext = { interfaces: [], ...(o.conntrack ? { conntrack: true } : {}) };
  for (const spec of o.iface) {
    const m = /^([^=\s]{1,15})=(\S+)$/.exec(spec);
    if (!m) throw new InputError('BadIface', spec, 'NAME=ADDR/LEN (a host interface and its address)');
    const existing = ctx.interfaces!.find((i) => i.name === m[1]);
    if (existing) existing.addrs.push(m[2]);
    else ctx.interfaces!.push({ name: m[1], addrs: [m[2]] });
  }
  return { rs, ipsets, ctx, hook: hooks[0], hooks };
}

function stepLine(s: Step): string {
  if (s.kind === 'rule' && s.data) {
    const d = s.data;
    const marks = d.markBefore !== d.markAfter ? `  mark ${String(d.markBefore)} -> ${String(d.markAfter)}` : '';
    const nat = d.packetAfter !== undefined && d.packetAfter !== d.packetBefore ? `  now ${String(d.packetAfter)}` : '';
    return `  [${String(d.table)} ${String(d.chain)} #${String(d.index)} line ${String(d.line)}] ${s.detail}  => ${s.action}${marks}${nat}`;
  }
  return `  ${s.kind} ${s.detail}  => ${s.action}`;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The rule keys of a verdict line when no table was walked (a ruleset without the hook's tables). */
const NO_RULE = ',"table":null,"chain":null,"index":null,"line":null,"policy":null';

/** Registers the iptables sub-commands on `program`. */
export function registerIptables(program: Command, io: Io, _state: { status: number }): void {
  const ipt = markRequiredInHelp(program.command('iptables').description('load iptables-save dumps, trace packets through them, compute verdicts'));
  const common = (c: Command): Command =>
    c
      .requiredOption('--rules <file>', 'iptables-save (or iptables-save -c) output')
      .option('--ipsets <file>', 'ipset save output for -m set')
      .requiredOption('--hook <hook>', `netfilter hook: ${HOOKS.join(', ')}`)
      .option('--lenient', 'keep rules cnikit does not model as never-matching rules (reported) instead of failing')
      .option('--iface <name=addr/len>', 'a host interface address for addrtype and MASQUERADE (repeatable)', collect, [])
      .option('--conntrack', 'conntrack runs even if no loaded rule needs it (nftables, IPVS keep it on); without it nat is then never consulted');

  common(ipt.command('trace').description('walk one packet and print every rule it meets and the verdict (--hook may be a path: PREROUTING,FORWARD,POSTROUTING, PREROUTING,INPUT or OUTPUT,POSTROUTING, each hook seeing the interfaces Linux gives it)'))
    .requiredOption('--packet <desc>', "KEY=VALUE... (proto, src, dst required, dport too for tcp/udp), e.g. 'proto=tcp src=10.0.0.1 dst=10.0.1.2 sport=40000 dport=80 in=cali123 out=eth0 mark=0x0 state=NEW'")
    .option('--json', 'print the trace as JSON')
    .action(async (o: Common & { packet: string; json?: boolean }) => {
      const { rs, ipsets, ctx, hooks } = await load(o, io, true);
      const packet = forFlag('--packet', () => parseCompletePacket(o.packet));
      const t = new ReferenceEngine(rs, ipsets, ctx).tracePath(hooks, packet);
      if (o.json) {
        // Each hop also carries the packet as that hook saw it.
        const hops = t.hops.map((h, i) => ({ node: h.node, packet: formatPacket(t.walks[i].packet), steps: h.steps }));
        await write(io.stdout, JSON.stringify({ disposition: t.disposition, hops, verdict: t.result.verdict, rule: t.result.rule ?? null, packet: formatPacket(t.result.packet) }, null, 2) + '\n');
        return;
      }
      const lines: string[] = [];
      t.hops.forEach((hop, i) => lines.push(`${hop.node}: ${formatPacket(t.walks[i].packet)}`, ...hop.steps.map(stepLine)));
      const r = t.result;
      const rule = r.rule && !r.rule.policy ? rs.tables.get(r.rule.table)!.chains.get(r.rule.chain)!.rules[r.rule.index] : undefined;
      lines.push(`${t.disposition}: ${r.verdict}${r.rule ? ` by ${describe(r.rule)}` : ''}${rule?.comment ? ` "${rule.comment}"` : ''}`);
      lines.push(`packet after: ${formatPacket(r.packet)}`);
      await write(io.stdout, lines.join('\n') + '\n');
    });

  common(ipt.command('verdicts').description('verdicts for a JSON-lines file of packets (WASM engine), one JSON object per line'))
    .requiredOption('--packets <file>', 'JSON lines, each an object with the --packet keys ("-" = stdin)')
    .option('--linear', 'scan every rule instead of using the classification structure')
    .option('--counters <file>', 'afterwards, write the rules with the counters these packets produced (iptables-save -c format)')
    .action(async (o: Common & { packets: string; linear?: boolean; counters?: string }) => {
      const { rs, ipsets, ctx, hook } = await load(o, io);
      const core = await createCore();
      const eng = new IptEngine(core, rs, { ipsets, ctx });
      // One JSON fragment per program rule, built once; the same keys, null, when no table decided.
      const frag = eng.program.refs.map((r) => (r ? `,"table":"${r.table}","chain":${JSON.stringify(r.chain)},"index":${r.index},"line":${r.line},"policy":${r.policy}` : ''));
      const recs = new Int32Array(BATCH * L.PKT_STRIDE);
      const srcs = new Uint32Array(BATCH);
      const dsts = new Uint32Array(BATCH);
      let n = 0;
      const flush = async (): Promise<void> => {
        if (n === 0) return;
        eng.evalRecords(hook, recs, n, o.linear ? 'linear' : 'classified');
        const out: string[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const off = i * L.PKT_STRIDE;
          const v = recs[off + L.P_VERDICT];
          const rule = recs[off + L.P_RULE];
          const s = recs[off + L.P_SRC] >>> 0;
          const d = recs[off + L.P_DST] >>> 0;
          const nat = (s !== srcs[i] ? `,"src":"${formatIPv4(s)}"` : '') + (d !== dsts[i] ? `,"dst":"${formatIPv4(d)}"` : '');
          out[i] = `{"verdict":"${VERDICTS[v]}"${rule >= 0 ? frag[rule] : NO_RULE},"mark":"0x${(recs[off + L.P_MARK] >>> 0).toString(16)}"${nat}}`;
        }
        n = 0;
        await write(io.stdout, out.join('\n') + '\n');
      };
      const file = o.packets === '-' ? '<stdin>' : o.packets;
      let input;
      try {
        if (o.counters) await checkOutput('--counters', o.counters);
        input = await openInput(io, '--packets', o.packets);
      } catch (e) {
        eng.dispose();
        throw e;
      }
      try {
        let lineNo = 0;
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          lineNo++;
          if (line.trim() === '') continue;
          const p = forFlag('--packets', () => parsePacketLine(line, { file, line: lineNo }, { complete: true }));
          eng.encode(hook, p, recs, n * L.PKT_STRIDE);
          srcs[n] = p.src;
          dsts[n] = p.dst;
          if (++n === BATCH) await flush();
        }
        await flush();
        if (o.counters) {
          const c = eng.counters();
          await writeOutput('--counters', o.counters, saveRuleset(rs, { values: (k) => c.get(k) ?? { packets: 0, bytes: 0 } }));
        }
      } finally {
        eng.dispose();
      }
    });
}
