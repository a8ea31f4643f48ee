// Applies the run's seed (see global-setup.ts) to every property in the file.
import fc from 'fast-check';
import { inject } from 'vitest';

fc.configureGlobal({ seed: inject('fcSeed'), numRuns: Number(process.env.FC_NUM_RUNS ?? 100) });
