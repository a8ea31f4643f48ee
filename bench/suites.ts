/** The benchmark suites `npm run bench` knows, in run order. */
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';

/** A suite measures and returns its rows; the runner writes them. */
export type Suite = (ctx: BenchContext) => Promise<Result[]>;

export const suites: Record<string, () => Promise<Suite>> = {
  lpm: async () => (await import('./lpm.js')).run,
  codec: async () => (await import('./codec.js')).run,
  iptables: async () => (await import('./iptables.js')).run,
  store: async () => (await import('./store.js')).run,
  kernel: async () => (await import('./kernel.js')).run,
  'kernel-scale': async () => (await import('./kernel-scale.js')).run,
  flannel: async () => (await import('./flannel.js')).run,
  'cli-lpm': async () => (await import('./cli-lpm.js')).run,
};
