/**
 * Chooses the fast-check seed once per run and prints it. In CI (CI=true)
 * the seed is fixed so a failure replays; elsewhere it is random. Either way
 * `FC_SEED=<n> npm test` replays a run.
 */
import type { TestProject } from 'vitest/node';

export const CI_SEED = 20261124;

export default function setup(project: TestProject): void {
  const env = process.env.FC_SEED;
  const seed = env !== undefined && env !== '' ? Number(env) : process.env.CI ? CI_SEED : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(env)}`);
  console.log(`fast-check seed: ${seed} (replay with FC_SEED=${seed} npm test)`);
  project.provide('fcSeed', seed);
}

declare module 'vitest' {
  export interface ProvidedContext {
    fcSeed: number;
  }
}
