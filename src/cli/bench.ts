/**
 * `cnikit bench [--only SUITE]`: runs the benchmark suites of `bench/`,
 * which ship with the package (tinybench is a dependency). Baselines that
 * are not installed (the optional native `arkime-iptrie`, the development
 * dependencies `longest-prefix-match` and `@ip-location-db/asn`) are
 * skipped, each with a line saying why.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { Io } from './io.js';
import { InputError } from '../core/errors.js';

/** Registers `cnikit bench`. */
export function registerBench(program: Command, io: Io, _state: { status: number }): void {
  program
    .command('bench')
    .description('run the benchmark suites and write reports/results.json (baselines that are not installed are skipped, and listed)')
    .option('--only <suites>', 'comma-separated suites: lpm, codec, iptables, store, kernel, cli-lpm (default: all)')
    .option('--out <file>', 'results file', 'reports/results.json')
    .option('--quick', 'fewer rounds and smaller inputs (smoke run)')
    .action(async (opts: { only?: string; out: string; quick?: boolean }) => {
      // The results file's folder is created if missing; a directory in its place is an error.
      if ((await stat(opts.out).catch(() => undefined))?.isDirectory()) throw new InputError('UnwritableFile', opts.out, '--out: a results file, not a directory');
      const { runBench } = await import('../../bench/run.js');
      await runBench({ only: opts.only?.split(',').filter(Boolean), out: opts.out, quick: !!opts.quick, log: (s) => io.stdout.write(s + '\n') });
    });
}
