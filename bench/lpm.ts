/** The lpm benchmark suite. Filled in by the lpm work. */
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';

export async function run(_ctx: BenchContext): Promise<Result[]> {
  return [];
}
