/**
 * The cluster file as read: its plain value (YAML 1.2, so JSON is valid
 * too) and the line of every key and item, so that a check deep in the
 * tree can name `file:line`. Parsed with the `yaml` package (eemeli/yaml):
 * spec-complete YAML 1.2, no dependencies, and a CST with source ranges,
 * which is what line numbers need; duplicate keys are refused, as
 * Kubernetes' own loader does.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { InputError, type InputPosition } from '../core/errors.js';

/** A path into the file: keys and item indexes (`['nodes', 2, 'rack']`). */
export type Path = readonly (string | number)[];

/** The file's value and where each part of it is. */
export interface Source {
  /** File name as given (used in every error). */
  readonly file: string;
  readonly value: unknown;
  /** 1-based line of the value at `path`, or of its nearest ancestor that has one. */
  line(path: Path): number;
  /** `InputError` at `path`. */
  error(code: string, path: Path, input: string, expected: string): InputError;
}

const key = (p: Path) => p.join('\u0000');

/** Parses YAML text; a syntax error is an `InputError` `BadYaml` at its line. */
export function readSource(text: string, file: string): Source {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = e.linePos?.[0].line ?? lc.linePos(e.pos[0]).line;
    throw new InputError('BadYaml', file, `YAML (${e.message.split('\n')[0]})`, { file, line });
  }
  const lines = new Map<string, number>();
  const walk = (n: unknown, p: (string | number)[]): void => {
    const node = n as Node | null;
    if (node?.range && !lines.has(key(p))) lines.set(key(p), lc.linePos(node.range[0]).line);
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const kn = item.key as Node | null;
        const here = [...p, k];
        if (kn?.range) lines.set(key(here), lc.linePos(kn.range[0]).line);
        if (isMap(item.value) || isSeq(item.value)) walk(item.value, here);
        else if (!kn?.range && (item.value as Node | null)?.range) lines.set(key(here), lc.linePos((item.value as Node).range![0]).line);
      }
    } else if (isSeq(node)) node.items.forEach((it, i) => walk(it, [...p, i]));
  };
  walk(doc.contents, []);
  const value = doc.toJS({ maxAliasCount: 1000 });
  const line = (p: Path): number => {
    for (let n = p.length; n >= 0; n--) {
      const l = lines.get(key(p.slice(0, n)));
      if (l !== undefined) return l;
    }
    return 1;
  };
  return {
    file,
    value,
    line,
    error: (code, p, input, expected) => new InputError(code, input, expected, { file, line: line(p) } satisfies InputPosition),
  };
}
