/**
 * Errors of the door's bulk loads name the entry that failed, as
 * `ip -batch` names the line: the error's own text with `(batch item i)`
 * after it, its code and position kept.
 */
import { CnikitError, InputError } from '../core/errors.js';

/** The error `e` with `(batch item i)` appended (anything else than a cnikit error as it is). */
export function namedItem(e: unknown, i: number): unknown {
  if (e instanceof InputError) return new InputError(e.code, e.input, `${e.expected} (batch item ${i})`, e.position);
  if (e instanceof CnikitError) return new CnikitError(e.code, `${e.message.slice(e.code.length + 2)} (batch item ${i})`);
  return e;
}

/** Runs `f` for batch item `i`, naming the item in its error. */
export function itemOf<T>(i: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw namedItem(e, i);
  }
}

/** Runs `f` on every item in order, naming the failing one (one try for the whole batch: loads of 5,000 items). */
export function eachItem<T>(batch: readonly T[], f: (x: T, i: number) => void): void {
  let i = 0;
  try {
    for (; i < batch.length; i++) f(batch[i], i);
  } catch (e) {
    throw namedItem(e, i);
  }
}

/** An error naming `(batch item j)` of a sub-list, renamed to the caller's index `index[j]`. */
export function renumbered(e: unknown, index: readonly number[]): unknown {
  if (e instanceof Error) e.message = e.message.replace(/\(batch item (\d+)\)/, (_, j) => `(batch item ${index[Number(j)]})`);
  return e;
}
