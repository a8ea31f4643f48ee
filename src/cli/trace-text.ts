/**
 * A kernel trace as text: a title line with the disposition, then each hop
 * (namespace) and its steps in order, one per line (`kind`, what the kernel
 * did in its own words, the action).
 */
import type { Trace } from '../core/trace.js';

/** The trace as lines for a terminal. */
export function formatTrace(title: string, t: Trace): string {
  const out = [`${title}: ${t.disposition}`];
  for (const h of t.hops) {
    out.push(`  ${h.node}`);
    for (const s of h.steps) out.push(`    ${s.kind.padEnd(11)} ${s.detail}${s.action ? `  [${s.action}]` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
