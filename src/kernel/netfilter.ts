/**
 * The netfilter step of a walk: one hook of one namespace through the WASM
 * iptables engine, reported as the rule (or policy) that decided.
 *
 * Simplified: conntrack is the packet's own state only (every probe is NEW;
 * no replies, so no ESTABLISHED); NAT targets rewrite the packet record
 * but the model does not rewrite the frame bytes.
 */
import { CTSTATE, type Hook } from '../iptables/model.js';
import type { Packet } from '../iptables/packet.js';
import { describe } from '../iptables/reference.js';
import { ruleText } from '../iptables/save.js';
import type { Netns } from './netns.js';
import type { IpView } from './packet.js';
import type { TraceBuilder } from './trace-builder.js';

/** Runs `hook`; returns false when the packet was dropped (the step names the rule). */
export function netfilter(ns: Netns, tb: TraceBuilder, hook: Hook, ip: IpView, inDev: string, outDev: string): boolean {
  if (!ns.ipt) return true;
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
  const [r] = ns.ipt.engine.walk(hook, [p]);
  if (!r.rule) return true;
  const ref = r.rule;
  const chain = ns.ipt.ruleset.tables.get(ref.table)?.chains.get(ref.chain);
  const rule = ref.policy ? undefined : chain?.rules[ref.index];
  const text = rule ? `-A ${ref.chain} ${ruleText(rule)}` : `:${ref.chain} ${chain?.policy ?? 'ACCEPT'}`;
  tb.step('netfilter', `${hook} ${describe(ref)}: ${text}`, r.verdict, { hook, table: ref.table, chain: ref.chain, rule: ref.policy ? 'policy' : ref.index, line: ref.line, verdict: r.verdict });
  return r.verdict === 'ACCEPT';
}
