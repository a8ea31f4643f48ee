/**
 * Loads `iptables-save` (and `iptables-save -c`) text, checking what
 * `iptables-restore` checks: rules only inside a `*table` block, every block
 * closed by `COMMIT`, jumps only to declared user chains, no loops of jumps,
 * referenced ipsets exist. Loading is all-or-nothing: the first error throws
 * an `InputError` with the file, line and offending token, and nothing is
 * returned.
 */
import { InputError } from '../core/errors.js';
import { BUILTIN_CHAINS, TABLES, type Chain, type Counters, type Match, type Rule, type Ruleset, type Table, type TableName } from './model.js';
import { RuleSyntax, tokenize } from './values.js';
import { parseRuleWords } from './rule.js';
import type { IpSets } from './ipset.js';

/** Options of {@link parseRuleset}. */
export interface LoadOptions {
  /** Name used in error messages. Default `<rules>`. */
  file?: string;
  /**
   * Keep rules with constructs cnikit does not model as never-matching rules
   * (listed in `warnings`) instead of failing. Default `false`.
   */
  lenient?: boolean;
  /** Sets `-m set` may name (from `ipset save`). Default: none. */
  ipsets?: IpSets;
}

const COUNTER = /^\[(\d+):(\d+)\]$/;

/** Parses a whole dump. */
export function parseRuleset(text: string, opts: LoadOptions = {}): Ruleset {
  const file = opts.file ?? '<rules>';
  const tables = new Map<TableName, Table>();
  const warnings: string[] = [];
  let current: { table: Table; line: number; refs: { rule: Rule; chain: string; line: number }[] } | undefined;
  const lines = text.split('\n');
  const fail: Fail = (code, input, expected, line) => {
    throw new InputError(code, input, expected, { file, line });
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      if (current) fail('MissingCommit', line, `COMMIT before a new table (table ${current.table.name} opened at line ${current.line})`, lineNo);
      const name = line.slice(1) as TableName;
      if (!TABLES.includes(name)) fail('UnknownTable', name, `a table cnikit models (${TABLES.join(', ')})`, lineNo);
      const chains = new Map<string, Chain>();
      for (const b of BUILTIN_CHAINS[name]) chains.set(b, { name: b, policy: 'ACCEPT', counters: { packets: 0, bytes: 0 }, rules: [], line: lineNo });
      current = { table: { name, chains }, line: lineNo, refs: [] };
      continue;
    }
    if (!current) fail('RuleOutsideTable', line, 'a *table line before chains, rules and COMMIT', lineNo);
    if (line === 'COMMIT') {
      commit(current.table, current.refs, opts.ipsets, lineNo, fail);
      tables.set(current.table.name, current.table);
      current = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/.exec(line);
      if (!m) fail('BadChainLine', line, ':CHAIN POLICY [PACKETS:BYTES]', lineNo);
      const [, name, policy, p, b] = m as RegExpExecArray;
      const counters = { packets: Number(p ?? 0), bytes: Number(b ?? 0) };
      const builtin = BUILTIN_CHAINS[current.table.name].includes(name as never);
      if (builtin) {
        if (policy !== 'ACCEPT' && policy !== 'DROP') fail('BadPolicy', policy, 'policy ACCEPT or DROP for a built-in chain', lineNo);
        current.table.chains.set(name, { name, policy, counters, rules: [], line: lineNo });
      } else {
        if (policy !== '-') fail('BadPolicy', policy, `"-" (a user chain has no policy)`, lineNo);
        if (name.length > 28) fail('BadChainName', name, 'a chain name of at most 28 characters', lineNo);
        if (current.table.chains.has(name)) fail('ChainExists', name, 'a chain not declared before', lineNo);
        current.table.chains.set(name, { name, counters, rules: [], line: lineNo });
      }
      continue;
    }
    let words: string[];
    try {
      words = tokenize(line);
    } catch (e) {
      return fail((e as RuleSyntax).code, line, (e as RuleSyntax).expected, lineNo);
    }
    let counters: Counters = { packets: 0, bytes: 0 };
    const cm = COUNTER.exec(words[0]);
    if (cm) {
      counters = { packets: Number(cm[1]), bytes: Number(cm[2]) };
      words.shift();
    }
    if (words[0] !== '-A' && words[0] !== '--append') fail('UnknownCommand', words[0] ?? line, '-A CHAIN (iptables-save output), :CHAIN, COMMIT or a # comment', lineNo);
    const chainName = words[1] ?? '';
    const chain = current.table.chains.get(chainName) as Chain;
    if (!chain) fail('NoSuchChain', chainName, `a chain declared in table ${current.table.name} (iptables: No chain/target/match by that name)`, lineNo);
    const text = line.slice(line.indexOf(chainName, line.indexOf('-A') + 2) + chainName.length).trim();
    let rule: Rule;
    try {
      const parsed = parseRuleWords(words.slice(2));
      rule = { ...parsed, line: lineNo, counters, text, comment: commentOf(parsed.matches) };
    } catch (e) {
      if (!(e instanceof RuleSyntax)) throw e;
      if (!opts.lenient || !e.unsupported) fail(e.code, e.token, e.expected, lineNo);
      warnings.push(`${file}:${lineNo}: ${e.code} "${e.token}": kept as a rule that never matches`);
      rule = { matches: [{ kind: 'never', token: e.token, neg: false }], target: { kind: 'none' }, line: lineNo, counters, text, comment: '', unsupported: e.token };
    }
    // iptables: "Can't use -i with POSTROUTING" (no input device there), likewise -o on PREROUTING/INPUT.
    for (const m of rule.matches) {
      if (m.kind !== 'iface' || !chain.policy) continue;
      const none = m.dir === 'in' ? ['OUTPUT', 'POSTROUTING'] : ['PREROUTING', 'INPUT'];
      if (none.includes(chainName)) fail('BadInterfaceOption', `-${m.dir[0]}`, `no -${m.dir[0]} in built-in chain ${chainName} (iptables: Can't use -${m.dir[0]} with ${chainName})`, lineNo);
    }
    chain.rules.push(rule);
    if (rule.target.kind === 'jump' || rule.target.kind === 'goto') current.refs.push({ rule, chain: chainName, line: lineNo });
  }
  if (current) fail('MissingCommit', `*${current.table.name}`, `COMMIT at the end of table ${current.table.name} (opened at line ${current.line})`, current.line);
  return { tables, warnings, file };
}

function commentOf(ms: readonly Match[]): string {
  return ms
    .filter((m): m is Extract<Match, { kind: 'comment' }> => m.kind === 'comment')
    .map((m) => m.text)
    .join('; ');
}

type Fail = (code: string, input: string, expected: string, line: number) => never;

/** COMMIT-time checks: jump targets exist and are user chains, no loops, sets exist. */
function commit(table: Table, refs: { rule: Rule; chain: string; line: number }[], sets: IpSets | undefined, commitLine: number, fail: Fail): void {
  for (const { rule, line } of refs) {
    const t = rule.target as { kind: 'jump' | 'goto'; chain: string };
    const c = table.chains.get(t.chain);
    if (!c) fail('NoSuchChain', t.chain, `a target or a chain declared in table ${table.name} (iptables-restore: Couldn't load target \`${t.chain}')`, line);
    if (c.policy) fail('JumpToBuiltin', t.chain, 'a user-defined chain (built-in chains cannot be jumped to)', line);
  }
  for (const chain of table.chains.values())
    for (const r of chain.rules)
      for (const m of r.matches) {
        if (m.kind !== 'set') continue;
        const s = sets?.get(m.name);
        if (!s) fail('NoSuchSet', m.name, `an ipset loaded with the rules (kernel: Set ${m.name} doesn't exist)`, r.line);
      }
  // Loop detection: depth-first search over jump/goto edges (the kernel's mark_source_chains gives ELOOP).
  const state = new Map<string, 1 | 2>();
  const visit = (name: string, path: string[]): void => {
    const st = state.get(name);
    if (st === 2) return;
    if (st === 1) fail('ChainLoop', [...path.slice(path.indexOf(name)), name].join(' -> '), 'chains without a loop of jumps (iptables-restore: Too many levels of symbolic links)', commitLine);
    state.set(name, 1);
    for (const r of table.chains.get(name)!.rules)
      if (r.target.kind === 'jump' || r.target.kind === 'goto') visit(r.target.chain, [...path, name]);
    state.set(name, 2);
  };
  for (const name of table.chains.keys()) visit(name, []);
}
