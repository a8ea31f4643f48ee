/**
 * `iptables -t TABLE -S [CHAIN]` (`--list-rules`) read from `iptables-save`
 * text, as both backends (iptables-legacy's libiptc, iptables-nft) print it:
 *
 * - without CHAIN: `-P CHAIN POLICY` for each built-in chain, `-N CHAIN` for
 *   each user chain, then every chain's rules as `-A CHAIN ...`, chain by chain
 *   in that order;
 * - with CHAIN: its `-P` (built-in) or `-N` (user) line, then its rules.
 *
 * User chains are listed by name (strcmp order: libiptc and iptables-nft both
 * sort them, whatever order they were declared in). Counters are not printed
 * (`-S` without `-c`); a rule's text is iptables-save's. A table absent from
 * the dump is the empty table the kernel has (built-ins, policy ACCEPT), as
 * `iptables -S` shows on a fresh network namespace.
 */
import { InputError } from '../core/errors.js';
import { BUILTIN_CHAINS, type TableName } from './model.js';

interface SavedChain {
  name: string;
  /** `ACCEPT`/`DROP` for a built-in chain, `-` for a user chain. */
  policy: string;
  /** `-A NAME ...` lines, counters stripped. */
  rules: string[];
}

/** The chains of `table` in an iptables-save dump, in `-S` order. */
function savedChains(save: string, table: TableName): SavedChain[] {
  const builtin = BUILTIN_CHAINS[table] as readonly string[];
  const chains = new Map<string, SavedChain>();
  let inTable = false;
  let found = false;
  for (const raw of save.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      inTable = line === `*${table}`;
      found ||= inTable;
      continue;
    }
    if (!inTable || line === '' || line.startsWith('#')) continue;
    if (line === 'COMMIT') {
      inTable = false;
      continue;
    }
    const decl = /^:(\S+)\s+(\S+)/.exec(line);
    if (decl) {
      chains.set(decl[1], { name: decl[1], policy: decl[2], rules: [] });
      continue;
    }
    const rule = /^(?:\[\d+:\d+\]\s+)?(-A\s+(\S+)(?:\s.*)?)$/.exec(line);
    if (rule) chains.get(rule[2])?.rules.push(rule[1]);
  }
  if (!found) for (const b of builtin) chains.set(b, { name: b, policy: 'ACCEPT', rules: [] });
  const user = [...chains.values()].filter((c) => !builtin.includes(c.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtin.flatMap((b) => chains.get(b) ?? []), ...user];
}

const head = (c: SavedChain, builtin: readonly string[]): string => (builtin.includes(c.name) ? `-P ${c.name} ${c.policy}` : `-N ${c.name}`);

/**
 * `iptables -t TABLE -S [CHAIN]` of the ruleset `save` (iptables-save text,
 * with or without counters). Throws InputError `NoSuchChain` for a chain the
 * table does not have (iptables: "No chain/target/match by that name.").
 */
export function iptablesSpec(save: string, table: TableName, chain?: string): string[] {
  const builtin = BUILTIN_CHAINS[table] as readonly string[];
  const chains = savedChains(save, table);
  if (chain === undefined) return [...chains.map((c) => head(c, builtin)), ...chains.flatMap((c) => c.rules)];
  const c = chains.find((x) => x.name === chain);
  if (!c) throw new InputError('NoSuchChain', chain, `a chain of table ${table} (iptables: No chain/target/match by that name.)`);
  return [head(c, builtin), ...c.rules];
}

/** Whether table `table` of `save` has chain `chain` (go-iptables `ChainExists`). */
export function chainExists(save: string, table: TableName, chain: string): boolean {
  return savedChains(save, table).some((c) => c.name === chain);
}
