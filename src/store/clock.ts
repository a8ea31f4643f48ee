/**
 * A simulated clock with timers, shared by the store (lease expiry) and the
 * kernel tables (neighbour and FDB ageing), so that a whole cluster runs on
 * one deterministic notion of time. Nothing here reads the wall clock.
 */
import { InputError } from '../core/errors.js';

/** Handle returned by {@link SimClock.setTimer}; pass it to `clearTimer`. */
export type TimerId = number;

interface Timer {
  id: TimerId;
  due: number;
  fn: () => void;
}

/**
 * Milliseconds since the start of the simulation, advanced only by
 * {@link SimClock.advance}. Timers fire in order of due time, ties in order
 * of creation, each with `now()` equal to its due time.
 */
export class SimClock {
  private t: number;
  private nextId = 1;
  // Sorted by (due, id); ids grow, so creation order breaks ties.
  private timers: Timer[] = [];

  /** @param startMs initial time in ms (default 0). */
  constructor(startMs = 0) {
    checkMs('startMs', startMs);
    this.t = startMs;
  }

  /** Current simulated time in milliseconds. */
  now(): number {
    return this.t;
  }

  /** Number of pending timers. */
  get pending(): number {
    return this.timers.length;
  }

  /** Calls `fn` once, `delayMs` (>= 0) after now. */
  setTimer(delayMs: number, fn: () => void): TimerId {
    checkMs('delayMs', delayMs);
    const timer: Timer = { id: this.nextId++, due: this.t + delayMs, fn };
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timers[mid].due <= timer.due) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
    return timer.id;
  }

  /** Cancels a timer; unknown or already fired ids are ignored (like clearTimeout). */
  clearTimer(id: TimerId): void {
    const i = this.timers.findIndex((x) => x.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /**
   * Moves time forward by `ms` (>= 0), firing every timer due at or before
   * the new time, including timers set by timers that fire in the window.
   */
  advance(ms: number): void {
    checkMs('ms', ms);
    const target = this.t + ms;
    while (this.timers.length > 0 && this.timers[0].due <= target) {
      const timer = this.timers.shift()!;
      this.t = timer.due;
      timer.fn();
    }
    this.t = target;
  }
}

function checkMs(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new InputError('InvalidDuration', String(ms), `${name}: a finite number of milliseconds >= 0`);
}
