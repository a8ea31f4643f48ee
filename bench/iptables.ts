/** The iptables benchmark suite. Filled in by the iptables work. */
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';

export async function run(_ctx: BenchContext): Promise<Result[]> {
  return [];
}
