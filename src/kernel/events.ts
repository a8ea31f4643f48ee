/**
 * What the programming door changed: one event per change, counted per
 * kind, so that a control plane's cost in kernel changes can be measured
 * (as `ip monitor` would list the RTM_NEW and RTM_DEL messages).
 *
 * Simplified: routes, neighbours and FDB entries Linux derives from a
 * change (the routes of an address, entries flushed with a device) are
 * not separate events; a bulk load is one event whose `count` is the
 * number of entries (and the counter grows by that many).
 */

/** What changed. */
export type NlKind = 'netns' | 'segment' | 'link' | 'addr' | 'route' | 'neigh' | 'fdb' | 'sysctl' | 'iptables';

/** How it changed. */
export type NlOp = 'add' | 'del' | 'set' | 'replace' | 'append';

/** One change. */
export interface NlEvent {
  readonly kind: NlKind;
  readonly op: NlOp;
  /** The namespace (the segment for `segment` events). */
  readonly ns: string;
  /** The object: a device, a route prefix, an address, a sysctl key, a table. */
  readonly what: string;
  /** Entries changed (1, or the batch size of a load). */
  readonly count: number;
}

/** A listener of changes. */
export type NlListener = (e: NlEvent) => void;

/** Counters per kind, from zero. */
export type NlCounters = Record<NlKind, number>;

/** Fresh zero counters. */
export function zeroCounters(): NlCounters {
  return { netns: 0, segment: 0, link: 0, addr: 0, route: 0, neigh: 0, fdb: 0, sysctl: 0, iptables: 0 };
}

/** Counts events and passes them on to a listener. */
export class NlEvents {
  /** Entries changed, per kind. */
  readonly counters: NlCounters = zeroCounters();
  /** Called on every change (default none). */
  listener?: NlListener;

  private held?: NlEvent[];

  /** Records one change; `what` may be a function, called only when someone listens. */
  emit(kind: NlKind, op: NlOp, ns: string, what: string | (() => string), count = 1): void {
    this.counters[kind] += count;
    if (!this.listener) return;
    const e = { kind, op, ns, what: typeof what === 'string' ? what : what(), count };
    if (this.held) this.held.push(e);
    else this.listener?.(e);
  }

  /**
   * Runs a call made of several changes: its events reach the listener
   * only if it succeeds; if it throws, the counters are as before it.
   */
  transaction<T>(f: () => T): T {
    if (this.held) return f();
    const before = { ...this.counters };
    this.held = [];
    try {
      const out = f();
      const held = this.held;
      this.held = undefined;
      for (const e of held) this.listener?.(e);
      return out;
    } catch (err) {
      this.held = undefined;
      Object.assign(this.counters, before);
      throw err;
    }
  }

  /** Sets every counter back to zero. */
  reset(): void {
    Object.assign(this.counters, zeroCounters());
  }
}
