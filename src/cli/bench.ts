/** `cnikit bench [--only SUITE]`: runs the benchmark suites of `bench/`. */
import type { Command } from 'commander';
import type { Io } from './io.js';

/** Registers `cnikit bench`. */
export function registerBench(program: Command, io: Io, _state: { status: number }): void {
  program
    .command('bench')
    .description('run the benchmarks and write reports/results.json')
    .option('--only <suites>', 'comma-separated suites to run (default: all)')
    .option('--out <file>', 'results file', 'reports/results.json')
    .option('--quick', 'fewer rounds and smaller inputs (smoke run)')
    .action(async (opts: { only?: string; out: string; quick?: boolean }) => {
      const { runBench } = await import('../../bench/run.js');
      await runBench({ only: opts.only?.split(',').filter(Boolean), out: opts.out, quick: !!opts.quick, log: (s) => io.stdout.write(s + '\n') });
    });
}
