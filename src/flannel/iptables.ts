/**
 * The iptables rules flanneld installs in iptables mode, and how it applies
 * them (flannel-io/flannel `pkg/trafficmngr/iptables/iptables.go` and
 * `iptables_restore.go`, read at commit cdf76059, v0.28.9+), each rule with
 * flanneld's comment and as `iptables-save` prints it:
 *
 * - `--ip-masq` (`masqRules`), nat table: POSTROUTING jumps to
 *   FLANNEL-POSTRTG, which returns kube-proxy-marked packets, pod -> cluster,
 *   cluster -> local pods and outside -> local pods unchanged, and
 *   masquerades pods -> outside (not multicast) and outside -> remote pods,
 *   `--random-fully` (flanneld adds it when iptables supports it, >= 1.6.2,
 *   and `--ip-masq-fully-random-disable` is off; here always).
 * - `--iptables-forward-rules` (default true; `forwardRules`), filter table:
 *   FORWARD jumps to FLANNEL-FWD, which accepts anything from or to the
 *   cluster network (Docker >= 1.13 sets FORWARD's policy to DROP).
 *
 * Applying a set (`SetupAndEnsureMasqRules` / `SetupAndEnsureForwardRules`)
 * is three steps, each its own command: for the masq set only, when
 * subnet.env's FLANNEL_NETWORK / FLANNEL_SUBNET differ from the current
 * ones, `teardownIPTables` of the set built from them (`-D` of each rule that
 * exists, by `iptables-restore --noflush`); then `ClearChain` of flanneld's
 * chain (`iptables -N`, or `-F` when it exists); then `ipTablesBootstrap`:
 * one `iptables-restore --noflush` appending every rule, each deleted first if
 * it exists (`iptables -C`). So the jump from the built-in chain is appended
 * (`-A`), never inserted, and moves to the end of POSTROUTING / FORWARD at
 * every start: behind kube-proxy's jumps, which kube-proxy prepends.
 * The payload has no `:CHAIN` lines (`buildIPTablesRestorePayload`).
 *
 * Functions here compute those payloads from the node's `iptables-save`
 * text; the daemon (flanneld.ts) reads the text and sends each one through
 * the door.
 */
import { chainExists, iptablesSpec } from '../iptables/spec.js';

const MASQ = '-m comment --comment "flanneld masq"';
const FWD = '-m comment --comment "flanneld forward"';

/** One of flanneld's rule sets: its table, its own chain and its rules as `-A CHAIN SPEC` lines. */
export interface RuleSet {
  table: 'nat' | 'filter';
  chain: 'FLANNEL-POSTRTG' | 'FLANNEL-FWD';
  rules: string[];
}

/** The nat rules for cluster network `network` and lease `subnet` (both `A/L`). */
export function masqRules(network: string, subnet: string): string[] {
  return [
    `-A POSTROUTING ${MASQ} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${subnet} -d ${network} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${network} -d ${subnet} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${network} -d ${subnet} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${network} ! -d 224.0.0.0/4 ${MASQ} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${network} -d ${network} ${MASQ} -j MASQUERADE --random-fully`,
  ];
}

/** The filter rules for cluster network `network`. */
export function forwardRules(network: string): string[] {
  return [
    `-A FORWARD ${FWD} -j FLANNEL-FWD`,
    `-A FLANNEL-FWD -s ${network} ${FWD} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${network} ${FWD} -j ACCEPT`,
  ];
}

/** The masq set as a {@link RuleSet}. */
export const masqSet = (network: string, subnet: string): RuleSet => ({ table: 'nat', chain: 'FLANNEL-POSTRTG', rules: masqRules(network, subnet) });
/** The forward set as a {@link RuleSet}. */
export const forwardSet = (network: string): RuleSet => ({ table: 'filter', chain: 'FLANNEL-FWD', rules: forwardRules(network) });

const chainOf = (rule: string): string => rule.split(' ')[1];

/**
 * `ipt.Exists` as flanneld asks it: false when the set's chain is missing
 * (for its rules and for the jump to it), else whether `save` has the rule.
 * flanneld's rules are written as iptables-save prints them, so a text
 * comparison is `iptables -C`.
 */
function exists(save: string, set: RuleSet, rule: string): boolean {
  if (!chainExists(save, set.table, set.chain)) return false;
  return iptablesSpec(save, set.table, chainOf(rule)).includes(rule);
}

const payload = (table: string, lines: string[]): string => (lines.length ? `*${table}\n${lines.join('\n')}\nCOMMIT\n` : '');

/** `teardownIPTables`: `iptables-restore --noflush` input deleting the rules of `set` that exist in `save` ('' when none does). */
export function teardownText(save: string, set: RuleSet): string {
  return payload(set.table, set.rules.filter((r) => exists(save, set, r)).map((r) => r.replace(/^-A /, '-D ')));
}

/** `ClearChain` of the set's chain (go-iptables: `-N`, or `-F` when it exists), as `iptables-restore --noflush` input. */
export function clearChainText(save: string, set: RuleSet): string {
  return payload(set.table, [`${chainExists(save, set.table, set.chain) ? '-F' : '-N'} ${set.chain}`]);
}

/**
 * `ipTablesCleanAndBuild`: `iptables-restore --noflush` input appending each
 * rule of `set`, deleted first when it exists in `save` (the ruleset after
 * {@link clearChainText}), so the set is in order with nothing between.
 */
export function bootstrapText(save: string, set: RuleSet): string {
  return payload(set.table, set.rules.flatMap((r) => (exists(save, set, r) ? [r.replace(/^-A /, '-D '), r] : [r])));
}
