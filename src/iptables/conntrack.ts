/**
 * Whether conntrack runs in the namespace the ruleset is loaded in. Since
 * Linux 4.10 ("netfilter: conntrack: register hooks in netns when needed by
 * ruleset") a family's conntrack hooks are registered only while something
 * holds nf_ct_netns_get(). iptables extensions take it in their checkentry:
 * xt_conntrack, xt_state, xt_nat (SNAT/DNAT), MASQUERADE, REDIRECT, NETMAP,
 * CT without --notrack, connmark/CONNMARK, connlimit, connbytes, connlabel,
 * helper, cluster. NOTRACK and `CT --notrack` do not, nor does the nat table
 * itself. Without conntrack a packet carries no entry and nf_nat_inet_fn()
 * accepts it without running the nat chains, so their counters stay at zero.
 *
 * Simplified: conntrack users outside the IPv4 ruleset (nftables ct/nat
 * expressions, IPVS, Open vSwitch) are not visible here;
 * {@link IptContext.conntrack} says when they are there.
 */
import type { Match, Rule, Ruleset, Target } from './model.js';
import type { IptContext } from './packet.js';

// Extensions the model does not parse (lenient loading keeps their text) that take a conntrack reference.
const UNPARSED_CT_USER = /(?:^|\s)(?:-m|--match)\s+(?:connmark|connlimit|connbytes|connlabel|helper|cluster)(?:\s|$)|(?:^|\s)(?:-j|--jump)\s+(?:CONNMARK|REDIRECT|NETMAP|CLUSTERIP|CONNSECMARK)(?:\s|$)/;

function matchNeedsCt(m: Match): boolean {
  return m.kind === 'ctstate';
}

function targetNeedsCt(t: Target): boolean {
  return t.kind === 'DNAT' || t.kind === 'SNAT' || t.kind === 'MASQUERADE' || (t.kind === 'CT' && !t.notrack);
}

/** Whether loading `rule` takes a conntrack reference (nf_ct_netns_get in the extension's checkentry). */
export function ruleNeedsConntrack(rule: Rule): boolean {
  if (rule.unsupported !== undefined) return UNPARSED_CT_USER.test(rule.text);
  return rule.matches.some(matchNeedsCt) || targetNeedsCt(rule.target);
}

/** Whether conntrack tracks packets: `ctx.conntrack` when given, else whether any loaded rule needs it. */
export function conntrackRuns(rs: Ruleset, ctx: IptContext = {}): boolean {
  if (ctx.conntrack !== undefined) return ctx.conntrack;
  for (const t of rs.tables.values()) for (const c of t.chains.values()) if (c.rules.some(ruleNeedsConntrack)) return true;
  return false;
}
