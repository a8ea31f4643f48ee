/**
 * `npm run bench` / `cnikit bench`: runs the suites, prints one table and
 * merges the rows into `reports/results.json`.
 */
import { suites } from './suites.js';
import { formatTable, writeResults, type Result } from './results.js';
import { pathToFileURL } from 'node:url';
import { InputError } from '../src/core/errors.js';

/** Options of {@link runBench}. */
export interface RunOptions {
  /** Suites to run; default all. */
  only?: string[];
  /** Results file; default `reports/results.json`. */
  out?: string;
  /** Smaller inputs (smoke run). */
  quick?: boolean;
  log?: (line: string) => void;
}

/** Runs the selected suites and returns their rows. */
export async function runBench(opts: RunOptions = {}): Promise<Result[]> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const names = opts.only?.length ? opts.only : Object.keys(suites);
  for (const n of names) if (!(n in suites)) throw new InputError('UnknownSuite', n, `--only: bench suites from ${Object.keys(suites).join(', ')}`);
  const rows: Result[] = [];
  for (const n of names) {
    log(`== bench ${n}${opts.quick ? ' (quick)' : ''}`);
    const suite = await suites[n]();
    const got = await suite({ quick: !!opts.quick, log });
    rows.push(...got);
    log(formatTable(got));
  }
  const out = opts.out ?? 'reports/results.json';
  writeResults(out, names, rows);
  log(`wrote ${rows.length} rows to ${out}`);
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
  try {
    await runBench({ only, quick: args.includes('--quick') });
  } catch (e) {
    // Bad input (an unknown suite) is one line, as in `cnikit bench`; anything else keeps its stack.
    if (!(e instanceof InputError)) throw e;
    console.error(`bench: ${e.message}`);
    process.exitCode = 2;
  }
}
