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
 * Functions here compute those payloads from the node's rules as
 * `iptables -S` lists them (the door's read side, `SimNetwork.iptablesSpec`);
 * the daemon (flanneld.ts) sends each one through the door.
 */

/** `iptables -t TABLE -S [CHAIN]` on the node (throws for a missing chain). */
export type ListRules = (table: 'nat' | 'filter', chain?: string) => string[];

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
 * (for its rules and for the jump to it), else whether the rule is listed.
 * flanneld's rules are written as iptables prints them, so a text comparison
 * is `iptables -C`.
 */
function exists(list: ListRules, set: RuleSet, rule: string): boolean {
  return chainExists(list, set) && list(set.table, chainOf(rule)).includes(rule);
}

/** go-iptables `ChainExists`. */
const chainExists = (list: ListRules, set: RuleSet): boolean => list(set.table).includes(`-N ${set.chain}`);

const payload = (table: string, lines: string[]): string => (lines.length ? `*${table}\n${lines.join('\n')}\nCOMMIT\n` : '');

/** `teardownIPTables`: `iptables-restore --noflush` input deleting the rules of `set` present on the node ('' when none is). */
export function teardownText(list: ListRules, set: RuleSet): string {
  return payload(set.table, set.rules.filter((r) => exists(list, set, r)).map((r) => r.replace(/^-A /, '-D ')));
}

/** `ClearChain` of the set's chain (go-iptables: `-N`, or `-F` when it exists), as `iptables-restore --noflush` input. */
export function clearChainText(list: ListRules, set: RuleSet): string {
  return payload(set.table, [`${chainExists(list, set) ? '-F' : '-N'} ${set.chain}`]);
}

/**
 * `ipTablesCleanAndBuild`: `iptables-restore --noflush` input appending each
 * rule of `set`, deleted first when present on the node (after
 * {@link clearChainText}), so the set is in order with nothing between.
 */
export function bootstrapText(list: ListRules, set: RuleSet): string {
  return payload(set.table, set.rules.flatMap((r) => (exists(list, set, r) ? [r.replace(/^-A /, '-D '), r] : [r])));
}
