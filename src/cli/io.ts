/**
 * The streams a CLI command talks to, and the plumbing every command uses
 * to read its input files and write its output files. Commands take an
 * `Io` instead of touching `process` so that tests run them in-process.
 *
 * Every file a command reads may be `-` for standard input. A file that
 * cannot be opened, is a directory, or cannot be written becomes an
 * `InputError` (`UnreadableFile`, `UnwritableFile`) naming the flag and the
 * file, which `run` prints as one line with exit status 2.
 */
import { open, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { InputError } from '../core/errors.js';

/** Standard streams of one CLI invocation. */
export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** Thrown by a command to end with an exit status after printing its own message. */
export class ExitCode extends Error {
  constructor(readonly status: number, message = `exit ${status}`) {
    super(message);
  }
}

/** Writes `text` to a stream, resolving once it is flushed (honours back-pressure). */
export function write(stream: Writable, text: string): Promise<void> | void {
  if (!stream.write(text)) return new Promise((resolve) => stream.once('drain', resolve));
}

/** How a file name reads in messages: `-` is standard input. */
export function inputName(file: string): string {
  return file === '-' ? '<stdin>' : file;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}` : String(e);
}

/** Opens `file` for reading, refusing directories. */
async function openFile(flag: string, file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new InputError('UnreadableFile', file, `${flag}: a readable file (${reason(e)})`);
  }
  const st = await fh.stat();
  if (st.isDirectory()) {
    await fh.close();
    throw new InputError('UnreadableFile', file, `${flag}: a file, not a directory`);
  }
  return fh;
}

/** Invocations whose standard input a flag has taken already. */
const stdinTaken = new WeakMap<Io, string>();

/**
 * The stream of input `file` (`-`: `io.stdin`), opened now so that a
 * missing file or a directory is reported before any work is done.
 * Standard input can serve one flag per run; a second is an error.
 */
export async function openInput(io: Io, flag: string, file: string): Promise<Readable> {
  if (file === '-') {
    const first = stdinTaken.get(io);
    if (first !== undefined) throw new InputError('StdinTwice', '-', `${flag}: a file (standard input is already read for ${first})`);
    stdinTaken.set(io, flag);
    return io.stdin;
  }
  const fh = await openFile(flag, file);
  return fh.createReadStream();
}

/** The whole of input `file` (`-`: standard input) as UTF-8 text. */
export async function readInputText(io: Io, flag: string, file: string): Promise<string> {
  const input = await openInput(io, flag, file);
  input.setEncoding('utf8');
  let text = '';
  try {
    for await (const chunk of input as AsyncIterable<string>) text += chunk;
  } catch (e) {
    throw new InputError('UnreadableFile', file, `${flag}: a readable file (${reason(e)})`);
  }
  return text;
}

/**
 * Checks before any work that `file` can be written: not a directory, in
 * a folder that exists. (The write itself is still checked by
 * {@link writeOutput}.)
 */
export async function checkOutput(flag: string, file: string): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) throw new InputError('UnwritableFile', file, `${flag}: a file to write, not a directory`);
  const folder = await stat(dirname(file)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new InputError('UnwritableFile', file, `${flag}: a file in an existing folder (no folder ${dirname(file)})`);
}

/** Writes `data` to output `file`, as an `UnwritableFile` error naming `flag` when it cannot. */
export async function writeOutput(flag: string, file: string, data: string | Uint8Array): Promise<void> {
  await checkOutput(flag, file);
  try {
    await writeFile(file, data);
  } catch (e) {
    throw new InputError('UnwritableFile', file, `${flag}: a writable file (${reason(e)})`);
  }
}

/**
 * An output file written piece by piece. It is created at the first
 * {@link append} (so a command that fails on its input leaves no file),
 * and every failure is an `UnwritableFile` error naming the flag.
 */
export class OutputFile {
  private fh: FileHandle | undefined;

  private constructor(private readonly flag: string, private readonly file: string) {}

  /** Checks now that `file` can be written (see {@link checkOutput}). */
  static async create(flag: string, file: string): Promise<OutputFile> {
    await checkOutput(flag, file);
    return new OutputFile(flag, file);
  }

  /** Appends `parts` in order. */
  async append(parts: Uint8Array[]): Promise<void> {
    try {
      this.fh ??= await open(this.file, 'w');
      for (const p of parts) if (p.length) await this.fh.write(p);
    } catch (e) {
      throw new InputError('UnwritableFile', this.file, `${this.flag}: a writable file (${reason(e)})`);
    }
  }

  /** Creates the file if nothing was appended, and closes it. */
  async close(): Promise<void> {
    await this.append([]);
    await this.fh?.close();
    this.fh = undefined;
  }
}
