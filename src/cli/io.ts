/**
 * The streams a CLI command talks to. Commands take an `Io` instead of
 * touching `process` so that tests run them in-process.
 */
import type { Readable, Writable } from 'node:stream';

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
