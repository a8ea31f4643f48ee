/** Helpers shared by the model-based (`fc.commands`) properties. */
import type fc from 'fast-check';

/** The error code `f` throws (`InputError`/`CnikitError` `code`, else its text), or undefined when it returns. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** A command that always applies, printed as `name` in a counterexample. */
export function cmd<M extends object, R>(name: string, run: (m: M, r: R) => void): fc.Command<M, R> {
  return { check: () => true, run, toString: () => name };
}
