/** Builds a {@link Trace}: one hop per namespace visit, steps appended in order. */
import type { Disposition, Hop, KernelStep, Step, Trace } from '../core/trace.js';

/** A trace under construction. */
export class TraceBuilder {
  private readonly hops: { node: string; steps: Step[] }[] = [];

  /** Starts a hop in `ns` unless the walk is already there. */
  enter(ns: string): void {
    const last = this.hops[this.hops.length - 1];
    if (!last || last.node !== ns) this.hops.push({ node: ns, steps: [] });
  }

  /** Appends a step to the current hop (written as a literal: its `kind` decides which `data` it may carry). */
  step(s: KernelStep): void {
    this.hops[this.hops.length - 1].steps.push(s);
  }

  /** The finished trace. */
  done(disposition: Disposition): Trace {
    return { disposition, hops: this.hops.map((h): Hop => ({ node: h.node, steps: h.steps })) };
  }
}
