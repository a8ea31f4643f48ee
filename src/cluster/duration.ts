/**
 * Go's `time.ParseDuration` syntax for times in the cluster file and
 * `--at`: a sequence of decimal numbers with units `ns`, `us` (or `µs`),
 * `ms`, `s`, `m`, `h` (`90s`, `10m`, `1h30m`, `1.5h`); a lone `0` is zero.
 * Negative durations mean nothing on the simulated clock and are refused.
 * Returns milliseconds (sub-millisecond parts are kept as fractions).
 */
import { InputError } from '../core/errors.js';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds of a Go duration; `InputError` `BadDuration` naming `what` otherwise. */
export function parseDuration(text: string, what = 'a duration'): number {
  const s = String(text).trim();
  if (s === '0') return 0;
  const bad = () => new InputError('BadDuration', s, `${what} in Go duration syntax, such as 90s, 10m or 1h30m`);
  if (s === '') throw bad();
  let ms = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) throw bad();
    ms += Number(m[1]) * UNITS[m[2]];
  }
  return ms;
}

/** A duration as Go prints it (`1h30m0s`, `10m0s`, `1.5s`, `0s`), for messages and printouts. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
