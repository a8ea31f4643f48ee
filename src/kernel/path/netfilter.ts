/**
 * NF_HOOK (net/netfilter/core.c nf_hook_slow): one hook of one namespace
 * through the WASM iptables engine, reported as the rule (or policy) that
 * decided. The stages call it where Linux calls NF_HOOK: PREROUTING and
 * INPUT in ip_rcv / ip_local_deliver, FORWARD in ip_forward, OUTPUT in
 * ip_local_out, POSTROUTING in ip_output.
 *
 * Simplified: conntrack is the packet's own state only (every probe is NEW;
 * no replies, so no ESTABLISHED); NAT targets rewrite the packet record
 * but the model does not rewrite the frame bytes.
 */
import { P_RULE, P_VERDICT } from '../../../assembly/shared/ipt.js';
import { VERDICTS } from '../../iptables/engine.js';
import { CTSTATE, type Hook } from '../../iptables/model.js';
import type { Packet } from '../../iptables/packet.js';
import { describe } from '../../iptables/reference.js';
import { ruleText } from '../../iptables/save.js';
import type { Netns } from '../netns.js';
import type { IpView } from '../packet.js';
import type { WalkCtx } from './context.js';

/** Runs `hook` of `ns` on the packet; false when it was dropped (the step names the rule). */
export function nfHook(ctx: WalkCtx, ns: Netns, hook: Hook, ip: IpView, inDev: string, outDev: string): boolean {
  if (!ns.ipt) return true;
  if (ctx.net.stats) ctx.net.stats.ipt++;
  const p: Packet = {
    proto: ip.proto,
    src: ip.src,
    dst: ip.dst,
    sport: ip.sport,
    dport: ip.dport,
    icmpType: ip.icmpType,
    icmpCode: ip.icmpCode,
    in: inDev,
    out: outDev,
    mark: 0,
    state: CTSTATE.NEW,
    len: ip.totalLength,
  };
  // One record through the engine's own batch buffer (encode, evaluate in
  // place, read verdict and rule): no per-call arrays or result objects.
  const eng = ns.ipt.engine;
  eng.encode(hook, p, eng.recordsView(), 0);
  eng.evalInPlace(hook, 1);
  const recs = eng.recordsView();
  const idx = recs[P_RULE];
  if (idx < 0) return true;
  const ref = eng.program.refs[idx]!;
  const verdict = VERDICTS[recs[P_VERDICT]];
  const chain = ns.ipt.ruleset.tables.get(ref.table)?.chains.get(ref.chain);
  const rule = ref.policy ? undefined : chain?.rules[ref.index];
  const text = rule ? `-A ${ref.chain} ${ruleText(rule)}` : `:${ref.chain} ${chain?.policy ?? 'ACCEPT'}`;
  ctx.tb.step({ kind: 'netfilter', detail: `${hook} ${describe(ref)}: ${text}`, action: verdict, data: { hook, table: ref.table, chain: ref.chain, rule: ref.policy ? 'policy' : ref.index, line: ref.line, verdict } });
  return verdict === 'ACCEPT';
}
