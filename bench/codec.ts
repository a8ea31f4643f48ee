/** The codec benchmark suite. Filled in by the codec work. */
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';

export async function run(_ctx: BenchContext): Promise<Result[]> {
  return [];
}
