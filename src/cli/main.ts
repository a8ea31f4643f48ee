/**
 * `cnikit` command line. Each sub-command lives in its own file and
 * registers itself on the commander program; `run` is what tests call
 * in-process and `main` is what the `bin` calls.
 *
 * Exit status: 0 ok; 1 a result says failure (a frame did not decode, a
 * capture was cut short); 2 bad usage, unreadable input or an unwritable
 * output (one line naming the flag and the file); 70 (EX_SOFTWARE) a bug in
 * cnikit (the stack, and a line asking for a report); 141 (128 + SIGPIPE)
 * standard output was closed early, as by `cnikit ... | head`: the command
 * stops quietly, as a C tool killed by SIGPIPE does.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, type Io } from './io.js';
import { CnikitError } from '../core/errors.js';
import { registerLpm } from './lpm.js';
import { registerCodec } from './codec.js';
import { registerIptables } from './iptables.js';
import { registerBench } from './bench.js';
import { registerNetns } from './netns.js';
import { registerPing } from './ping.js';
import { registerCluster } from './cluster.js';

/** Exit status of a bug in cnikit (sysexits.h EX_SOFTWARE). */
export const EXIT_BUG = 70;
/** Exit status when standard output is closed early: 128 + SIGPIPE, what a shell reports for `yes | head`. */
export const EXIT_EPIPE = 141;

/** The package's version: from the nearest package.json named cnikit above this file (src/ or dist/src/). */
function packageVersion(): string {
  for (let up = '../../'; up.length <= 12; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cnikit' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

/** Builds the commander program bound to `io`. Actions set `state.status`. */
export function buildProgram(io: Io, state: { status: number }): Command {
  const program = new Command('cnikit')
    .description('Benchmark and verification kit for Kubernetes pod networking (Calico routed vs Flannel overlay)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .showHelpAfterError();
  registerLpm(program, io, state);
  registerCodec(program, io, state);
  registerIptables(program, io, state);
  registerBench(program, io, state);
  registerNetns(program, io, state);
  registerPing(program, io, state);
  registerCluster(program, io, state);
  return program;
}

/**
 * Runs the CLI with `argv` (without the node and script names) and returns
 * the exit status (see the file header).
 */
export async function run(argv: string[], io: Io): Promise<number> {
  const state = { status: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.status;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof ExitCode) return e.status;
    if (e instanceof CnikitError) {
      io.stderr.write(`cnikit: ${e.message}\n`);
      return 2;
    }
    if ((e as NodeJS.ErrnoException)?.code === 'EPIPE') return EXIT_EPIPE;
    io.stderr.write(`${(e as Error)?.stack ?? String(e)}\ncnikit: this is a bug in cnikit; please report it with the command line and the output above\n`);
    return EXIT_BUG;
  }
}

/**
 * The `bin` entry: runs the CLI on the process's own streams. A closed
 * standard output (EPIPE: the reader, e.g. `head`, has exited) ends the
 * process at once with {@link EXIT_EPIPE} and nothing printed.
 */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_EPIPE);
    process.stderr.write(`cnikit: cannot write to standard output: ${e.message}\n`);
    process.exit(2);
  });
  process.exitCode = await run(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}
