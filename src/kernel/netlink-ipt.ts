/**
 * `iptables-restore [--noflush]` into a namespace's loaded ruleset.
 *
 * Without `--noflush` every table in the input replaces the loaded one;
 * tables not in the input stay (iptables-restore only touches the tables it
 * reads). With `--noflush` (what Felix does) a table's rules are appended to
 * the loaded chains: a built-in chain declared in the input takes its new
 * policy and keeps its rules, a declared user chain that exists is flushed,
 * a new one created; rules may jump to chains loaded before.
 *
 * Simplified: only `-A` lines (no `-I`, `-D`, `-R`, `-X`), as the parser
 * reads them; after a `--noflush` restore the `line` of a rule counts in the
 * merged text (loaded rules first), not in the input.
 */
import { InputError } from '../core/errors.js';
import { BUILTIN_CHAINS, TABLES, type Ruleset, type Table, type TableName } from '../iptables/model.js';
import { parseRuleset } from '../iptables/parse.js';
import { ruleText } from '../iptables/save.js';

/** The ruleset after restoring `text` over `old`. Throws InputError (lines of `text`) and changes nothing. */
export function restoreRuleset(old: Ruleset | undefined, text: string, file: string, noflush: boolean): Ruleset {
  const input = noflush && old ? mergeText(old, text) : { text, origin: undefined };
  let parsed: Ruleset;
  try {
    parsed = parseRuleset(input.text, { file });
  } catch (e) {
    const line = e instanceof InputError ? e.position?.line : undefined;
    if (!input.origin || line === undefined) throw e;
    const err = e as InputError;
    throw new InputError(err.code, err.input, err.expected, { ...err.position, line: input.origin[line - 1] || undefined });
  }
  if (!old) return parsed;
  const tables = new Map<TableName, Table>();
  for (const t of TABLES) {
    const v = parsed.tables.get(t) ?? old.tables.get(t);
    if (v) tables.set(t, v);
  }
  return { tables, warnings: parsed.warnings, file };
}

/**
 * The input with each table's loaded chains and rules written in front of
 * its own lines; `origin[i]` is the input line of merged line i+1 (0 for
 * lines written from the loaded rules).
 */
function mergeText(old: Ruleset, text: string): { text: string; origin: number[] } {
  const lines = text.split('\n');
  const out: string[] = [];
  const origin: number[] = [];
  const push = (s: string, from: number) => {
    out.push(s);
    origin.push(from);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '').trim();
    const loaded = line.startsWith('*') ? old.tables.get(line.slice(1) as TableName) : undefined;
    push(lines[i], i + 1);
    if (!loaded) continue;
    // The block's declarations decide policies and which user chains are flushed.
    const declared = new Map<string, string>();
    for (let j = i + 1; j < lines.length && lines[j].trim() !== 'COMMIT'; j++) {
      const m = /^:(\S+)\s+(\S+)/.exec(lines[j].trim());
      if (m) declared.set(m[1], m[2]);
    }
    const builtin = BUILTIN_CHAINS[loaded.name] as readonly string[];
    for (const ch of loaded.chains.values()) {
      const policy = builtin.includes(ch.name) ? (declared.get(ch.name) ?? ch.policy) : '-';
      push(`:${ch.name} ${policy}`, 0);
    }
    for (const ch of loaded.chains.values()) {
      if (!builtin.includes(ch.name) && declared.has(ch.name)) continue;
      for (const r of ch.rules) push(`-A ${ch.name} ${ruleText(r)}`, 0);
    }
    // Declarations of loaded chains are now above; blank them (keeping line numbers).
    for (i++; i < lines.length && lines[i].trim() !== 'COMMIT'; i++) {
      const m = /^:(\S+)\s/.exec(lines[i].trim());
      push(m && loaded.chains.has(m[1]) ? '' : lines[i], i + 1);
    }
    if (i < lines.length) push(lines[i], i + 1);
  }
  return { text: out.join('\n'), origin };
}
