/**
 * `iptables-restore [--noflush]` into a namespace's loaded ruleset.
 *
 * Without `--noflush` every table in the input replaces the loaded one;
 * tables not in the input stay (iptables-restore only touches the tables it
 * reads). With `--noflush` (what Felix does) a table starts from the loaded
 * one: a built-in chain declared in the input takes its new policy and keeps
 * its rules, a declared user chain that exists is flushed, a new one is
 * created, and rules may jump to chains loaded before. Inside a table the
 * commands iptables-restore accepts are applied in order: `-A`, `-I CHAIN
 * [N]`, `-R CHAIN N`, `-D CHAIN N|RULE` (the first rule equal to RULE as
 * iptables-save would print it), `-N`, `-X`, `-F`, `-P`. The result is
 * written as plain `-A` text and loaded by the iptables parser, which checks
 * the rest (targets, jumps, loops); errors name the input's line.
 *
 * A rule's `line` is the input line that wrote it (a loaded rule keeps its
 * own). Simplified: counters of loaded rules are not kept; `-X` of a chain
 * still referenced fails at the parser's jump check, not as EBUSY.
 */
import { InputError } from '../core/errors.js';
import { BUILTIN_CHAINS, TABLES, type Chain, type Rule, type Ruleset, type Table, type TableName } from '../iptables/model.js';
import { parseRuleset } from '../iptables/parse.js';
import { parseRuleWords } from '../iptables/rule.js';
import { ruleText } from '../iptables/save.js';
import { RuleSyntax, tokenize } from '../iptables/values.js';

/** The ruleset after restoring `text` over `old`. Throws InputError (lines of `text`) and changes nothing. */
export function restoreRuleset(old: Ruleset | undefined, text: string, file: string, noflush: boolean): Ruleset {
  const input = apply(noflush ? old : undefined, text, file);
  let parsed: Ruleset;
  try {
    parsed = parseRuleset(input.text, { file });
  } catch (e) {
    const line = e instanceof InputError ? e.position?.line : undefined;
    if (line === undefined) throw e;
    const err = e as InputError;
    throw new InputError(err.code, err.input, err.expected, { ...err.position, line: input.origin[line - 1] || undefined });
  }
  const tables = new Map<TableName, Table>();
  for (const t of TABLES) {
    const p = parsed.tables.get(t);
    const v = p ? relined(p, input.lineOf) : old?.tables.get(t);
    if (v) tables.set(t, v);
  }
  return { tables, warnings: parsed.warnings, file };
}

/** The table with each rule's and chain's `line` put back to the line that wrote it. */
function relined(t: Table, lineOf: number[]): Table {
  const chains = new Map<string, Chain>();
  for (const [n, c] of t.chains) chains.set(n, { ...c, line: lineOf[c.line - 1] || c.line, rules: c.rules.map((r) => ({ ...r, line: lineOf[r.line - 1] || r.line })) });
  return { name: t.name, chains };
}

/** A rule in a chain being rebuilt: its text after `-A CHAIN`, the input line it came from (0: loaded) and its line then. */
interface Entry {
  text: string;
  origin: number;
  line: number;
  /** As iptables-save prints it (for `-D RULE`), computed when needed. */
  canon?: string;
}
interface ChainState {
  policy: string;
  origin: number;
  /** Line of its declaration (the loaded one's, or the input's). */
  line: number;
  entries: Entry[];
}

/** Applies the input's commands table by table; returns `-A`-only text and the input line of each line. */
function apply(loaded: Ruleset | undefined, text: string, file: string): { text: string; origin: number[]; lineOf: number[] } {
  const out: string[] = [];
  const origin: number[] = [];
  const lineOf: number[] = [];
  const push = (s: string, from: number, line = from) => {
    out.push(s);
    origin.push(from);
    lineOf.push(line);
  };
  const lines = text.split('\n');
  let chains: Map<string, ChainState> | undefined;
  let table: TableName | undefined;
  for (let i = 0; i < lines.length; i++) {
    const at = i + 1;
    const line = lines[i].replace(/\r$/, '').trim();
    const fail = (code: string, input: string, expected: string): never => {
      throw new InputError(code, input, expected, { file, line: at });
    };
    if (!chains || line === '' || line.startsWith('#') || line.startsWith('*') || line === 'COMMIT') {
      if (chains && line === 'COMMIT') {
        for (const [name, c] of chains) push(`:${name} ${c.policy}`, c.origin, c.line);
        for (const [name, c] of chains) for (const e of c.entries) push(`-A ${name} ${e.text}`, e.origin, e.line);
        chains = undefined;
      }
      push(lines[i], at);
      if (line.startsWith('*') && !chains) {
        table = line.slice(1) as TableName;
        if (!TABLES.includes(table)) continue; // the parser names the table
        chains = start(loaded?.tables.get(table), table, at);
      }
      continue;
    }
    const builtin = BUILTIN_CHAINS[table!] as readonly string[];
    const m = /^:(\S+)\s+(\S+)/.exec(line);
    if (m) {
      const c = chains.get(m[1]);
      if (c && builtin.includes(m[1])) Object.assign(c, { policy: m[2], origin: at, line: at });
      else if (c) Object.assign(c, { policy: m[2], origin: at, line: at, entries: [] });
      else chains.set(m[1], { policy: m[2], origin: at, line: at, entries: [] });
      continue;
    }
    let words: string[];
    try {
      words = tokenize(line);
    } catch (e) {
      if (e instanceof RuleSyntax) return fail(e.code, line, e.expected);
      throw e;
    }
    const counters = /^\[\d+:\d+\]$/.test(words[0] ?? '') ? `${words.shift()} ` : '';
    const [cmd, name] = words;
    const chainOf = (n: string | undefined) => chains!.get(n ?? '') ?? fail('NoSuchChain', n ?? line, `a chain declared in table ${table} (iptables: No chain/target/match by that name)`);
    // The rule's own text, as written after the chain (and index).
    const rest = (skip: number) => line.slice(nthWordEnd(line, skip + (counters ? 1 : 0))).trim();
    const num = (s: string | undefined, max: number, what: string) => {
      const n = Number(s);
      if (!/^\d+$/.test(s ?? '') || n < 1 || n > max) return fail('BadRuleNumber', s ?? line, `a rule number 1..${max} (iptables: Index of ${what} too big)`);
      return n;
    };
    // `[pkts:bytes]` before a command (iptables-save -c) is read and, without -c, ignored (xtables-restore).
    if (cmd === '-A' || cmd === '--append') chainOf(name).entries.push({ text: rest(2), origin: at, line: at });
    else if (cmd === '-I' || cmd === '--insert') {
      const c = chainOf(name);
      const indexed = /^\d+$/.test(words[2] ?? '');
      const n = indexed ? num(words[2], c.entries.length + 1, 'insertion') : 1;
      c.entries.splice(n - 1, 0, { text: rest(indexed ? 3 : 2), origin: at, line: at });
    } else if (cmd === '-R' || cmd === '--replace') {
      const c = chainOf(name);
      c.entries[num(words[2], c.entries.length, 'replacement') - 1] = { text: rest(3), origin: at, line: at };
    } else if (cmd === '-D' || cmd === '--delete') {
      const c = chainOf(name);
      if (words.length === 3 && /^\d+$/.test(words[2])) c.entries.splice(num(words[2], c.entries.length, 'deletion') - 1, 1);
      else {
        const want = canonical(rest(2), fail);
        const k = c.entries.findIndex((e) => (e.canon ??= canonical(e.text.replace(/^\[\d+:\d+\]\s*/, ''), fail)) === want);
        if (k < 0) fail('NoSuchRule', rest(2), `a rule of ${name} equal to it (iptables: Bad rule (does a matching rule exist in that chain?))`);
        c.entries.splice(k, 1);
      }
    } else if (cmd === '-N' || cmd === '--new-chain') {
      if (chains.has(name ?? '')) fail('ChainExists', name ?? line, 'a new chain name (iptables: Chain already exists)');
      chains.set(name!, { policy: '-', origin: at, line: at, entries: [] });
    } else if (cmd === '-X' || cmd === '--delete-chain') {
      const names = name === undefined ? [...chains.keys()].filter((n) => !builtin.includes(n)) : [name];
      for (const n of names) {
        const c = chainOf(n);
        if (builtin.includes(n)) fail('BuiltinChain', n, 'a user-defined chain (iptables: Invalid argument)');
        if (c.entries.length) fail('ChainNotEmpty', n, 'an empty chain (iptables: Directory not empty)');
        chains.delete(n);
      }
    } else if (cmd === '-F' || cmd === '--flush') {
      for (const c of name === undefined ? chains.values() : [chainOf(name)]) c.entries = [];
    } else if (cmd === '-P' || cmd === '--policy') {
      const c = chainOf(name);
      if (!builtin.includes(name!)) fail('BadPolicy', name!, 'a built-in chain for -P');
      Object.assign(c, { policy: words[2] ?? '', origin: at, line: at });
    } else fail('UnknownCommand', cmd ?? line, '-A, -I, -R, -D, -N, -X, -F, -P, :CHAIN, COMMIT or a # comment');
  }
  if (chains) {
    // No COMMIT: write what there is so the parser names the missing COMMIT.
    for (const [name, c] of chains) push(`:${name} ${c.policy}`, c.origin);
  }
  return { text: out.join('\n'), origin, lineOf };
}

/** A table's chains to start from: the loaded ones (--noflush), else empty built-ins. */
function start(t: Table | undefined, name: TableName, tableLine: number): Map<string, ChainState> {
  const chains = new Map<string, ChainState>();
  if (!t) {
    // An undeclared built-in chain: ACCEPT, "declared" by the *table line (as the parser has it).
    for (const b of BUILTIN_CHAINS[name]) chains.set(b, { policy: 'ACCEPT', origin: 0, line: tableLine, entries: [] });
    return chains;
  }
  for (const c of t.chains.values()) chains.set(c.name, { policy: c.policy ?? '-', origin: 0, line: c.line, entries: c.rules.map((r: Rule) => ({ text: ruleText(r), origin: 0, line: r.line, canon: ruleText(r) })) });
  return chains;
}

/** A rule as iptables-save prints it (so `-p udp --dport 53` equals `-p udp -m udp --dport 53`). */
function canonical(rest: string, fail: (code: string, input: string, expected: string) => never): string {
  try {
    return ruleText({ ...parseRuleWords(tokenize(rest)), text: rest, line: 0, comment: '', counters: { packets: 0, bytes: 0 } });
  } catch (e) {
    if (e instanceof RuleSyntax) return fail(e.code, e.token, e.expected);
    throw e;
  }
}

/** Index in `line` just after its `n`-th blank-separated word (quotes kept together). */
function nthWordEnd(line: string, n: number): number {
  let i = 0;
  for (let w = 0; w < n; w++) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (line[i] === '"') {
      i = line.indexOf('"', i + 1);
      i = i < 0 ? line.length : i + 1;
    } else while (i < line.length && !/\s/.test(line[i])) i++;
  }
  return i;
}
