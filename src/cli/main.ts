/**
 * `cnikit` command line. Each sub-command lives in its own file and
 * registers itself on the commander program; `run` is what the `bin` calls
 * and what tests call in-process.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, type Io } from './io.js';
import { CnikitError } from '../core/errors.js';
import { registerLpm } from './lpm.js';
import { registerCodec } from './codec.js';
import { registerIptables } from './iptables.js';
import { registerBench } from './bench.js';
import { registerNetns } from './netns.js';

/** Builds the commander program bound to `io`. Actions set `state.status`. */
export function buildProgram(io: Io, state: { status: number }): Command {
  const program = new Command('cnikit')
    .description('Benchmark and verification kit for Kubernetes pod networking (Calico routed vs Flannel overlay)')
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
  return program;
}

/**
 * Runs the CLI with `argv` (without the node and script names) and returns
 * the exit status: 0 ok, 1 a result says failure (e.g. a frame did not
 * decode), 2 bad usage or unreadable input.
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
    throw e;
  }
}
