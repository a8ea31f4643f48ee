/**
 * Typed errors shared by every cnikit module.
 *
 * Every error says which input was wrong, where, and what was expected, so
 * a message such as `InvalidPrefix: "10.0.0.1/8" at char 0: invalid prefix
 * for given prefix length` can be shown to a user as it is.
 */

/** Base class of every error cnikit raises on purpose. `code` is stable. */
export class CnikitError extends Error {
  /** Stable machine-readable name, e.g. `InvalidPrefix`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Where in the input the problem is: a character offset, a byte offset or a file line. */
export interface InputPosition {
  /** File name (CLI inputs). */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** 0-based character offset in the input string. */
  char?: number;
  /** 0-based byte offset in a frame or buffer. */
  offset?: number;
}

function describePosition(p: InputPosition | undefined): string {
  if (!p) return '';
  const parts: string[] = [];
  if (p.file !== undefined) parts.push(p.line !== undefined ? `${p.file}:${p.line}` : p.file);
  else if (p.line !== undefined) parts.push(`line ${p.line}`);
  if (p.char !== undefined) parts.push(`char ${p.char}`);
  if (p.offset !== undefined) parts.push(`offset ${p.offset}`);
  return parts.length ? ` at ${parts.join(', ')}` : '';
}

/**
 * Bad user input: a malformed address, a truncated frame, an unknown
 * iptables match. Raised before anything is changed, so state stays as it was.
 */
export class InputError extends CnikitError {
  /** The offending input, as given (or an excerpt of it). */
  readonly input: string;
  /** Where in the input. */
  readonly position: InputPosition | undefined;
  /** What was expected instead. */
  readonly expected: string;
  constructor(code: string, input: string, expected: string, position?: InputPosition) {
    super(code, `${JSON.stringify(input)}${describePosition(position)}: ${expected}`);
    this.input = input;
    this.position = position;
    this.expected = expected;
  }
}

/**
 * The WASM instance aborted (an AssemblyScript `abort`, a trap). The core
 * that raised it is poisoned: every later call on it throws this too, and
 * the caller must create a new core. Input validation exists so that this
 * never happens; seeing it is a bug in cnikit.
 */
export class WasmTrapError extends CnikitError {
  constructor(message: string) {
    super('WasmTrap', message);
  }
}
