/**
 * Naming the command-line flag in errors about its value: the library says
 * what was wrong with a value (`InvalidAddress: "300.1.1.1"`), the CLI adds
 * which flag it came from (`--local: ...`).
 */
import { Help, type Command, type Option } from 'commander';
import { InputError } from '../core/errors.js';

/** `e` with `flag` in front of what was expected (other errors unchanged). */
export function flagError(flag: string, e: unknown): unknown {
  if (!(e instanceof InputError)) return e;
  return new InputError(e.code, e.input, `${flag}: ${e.expected}`, e.position);
}

/** Runs `f` and rethrows its InputError naming `flag`. */
export function forFlag<T>(flag: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw flagError(flag, e);
  }
}

/**
 * Makes `cmd`'s help (and that of sub-commands created after this call)
 * mark options declared with `requiredOption` as `(required)`, beside the
 * `(default: ...)` commander already shows. Keeps any other help settings.
 */
export function markRequiredInHelp(cmd: Command): Command {
  const config = cmd.configureHelp();
  const describe = config.optionDescription ?? Help.prototype.optionDescription;
  return cmd.configureHelp({
    ...config,
    optionDescription(this: Help, option: Option): string {
      const text = describe.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
}
