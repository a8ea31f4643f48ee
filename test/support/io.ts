/** In-memory standard streams for running the CLI in-process. */
import { PassThrough, Readable } from 'node:stream';
import { run } from '../../src/cli/main.js';

/** Output of one CLI run. */
export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `cnikit ARGS` in-process with `stdin` as standard input. */
export async function cli(args: string[], stdin = ''): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const status = await run(args, { stdin: Readable.from([stdin]), stdout: out, stderr: err });
  return { status, stdout: Buffer.concat(chunks.out).toString('utf8'), stderr: Buffer.concat(chunks.err).toString('utf8') };
}
