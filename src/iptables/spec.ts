/**
 * `iptables -t TABLE -S [CHAIN]` (`--list-rules`), as both backends
 * (iptables-legacy's libiptc, iptables-nft) print it:
 *
 * - without CHAIN: `-P CHAIN POLICY` for each built-in chain, `-N CHAIN` for
 *   each user chain, then every chain's rules as `-A CHAIN ...`, chain by chain
 *   in that order;
 * - with CHAIN: its `-P` (built-in) or `-N` (user) line, then its rules.
 *
 * User chains are listed by name (strcmp order: libiptc and iptables-nft both
 * sort them, whatever order they were declared in). Counters are not printed
 * (`-S` without `-c`). A table the ruleset does not have is the empty table
 * the kernel has (built-ins, policy ACCEPT), as `iptables -S` shows on a
 * fresh network namespace.
 */
import { InputError } from '../core/errors.js';
import { BUILTIN_CHAINS, type Chain, type Rule, type Ruleset, type TableName } from './model.js';
import { parseRuleset } from './parse.js';
import { ruleText } from './save.js';

/** The chains of `table` in `-S` order; a missing table is the kernel's empty one. */
function chainsOf(rs: Ruleset, table: TableName): Chain[] {
  const builtin = BUILTIN_CHAINS[table] as readonly string[];
  const t = rs.tables.get(table);
  if (!t) return builtin.map((name) => ({ name, policy: 'ACCEPT', counters: { packets: 0, bytes: 0 }, rules: [], line: 0 }));
  const chains = [...t.chains.values()];
  const user = chains.filter((c) => !c.policy).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...chains.filter((c) => c.policy), ...user];
}

/**
 * `iptables -t TABLE -S [CHAIN]` of a loaded ruleset; `text` is each rule's
 * text after `-A CHAIN` (default: as `iptables-save` prints it). Throws
 * InputError `NoSuchChain` for a chain the table does not have (iptables:
 * "No chain/target/match by that name.").
 */
export function rulesetSpec(rs: Ruleset, table: TableName, chain?: string, text: (r: Rule) => string = ruleText): string[] {
  const chains = chainsOf(rs, table);
  const head = (c: Chain): string => (c.policy ? `-P ${c.name} ${c.policy}` : `-N ${c.name}`);
  const rules = (c: Chain): string[] => c.rules.map((r) => `-A ${c.name} ${text(r)}`.trimEnd());
  if (chain === undefined) return [...chains.map(head), ...chains.flatMap(rules)];
  const c = chains.find((x) => x.name === chain);
  if (!c) throw new InputError('NoSuchChain', chain, `a chain of table ${table} (iptables: No chain/target/match by that name.)`);
  return [head(c), ...rules(c)];
}

/**
 * `iptables -t TABLE -S [CHAIN]` of the ruleset `save` (iptables-save text,
 * with or without counters), read as cnikit reads any dump (parseRuleset,
 * lenient: constructs cnikit does not model are kept as written); each
 * rule's text is the dump's own. A malformed dump is parseRuleset's
 * InputError, naming the line.
 */
export function iptablesSpec(save: string, table: TableName, chain?: string): string[] {
  return rulesetSpec(parseRuleset(save, { lenient: true, file: 'iptables-save' }), table, chain, (r) => r.text);
}

/** Whether table `table` of `save` has chain `chain` (go-iptables `ChainExists`). */
export function chainExists(save: string, table: TableName, chain: string): boolean {
  return chainsOf(parseRuleset(save, { lenient: true, file: 'iptables-save' }), table).some((c) => c.name === chain);
}
