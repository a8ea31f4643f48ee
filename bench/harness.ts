/**
 * Shared measuring for every suite: tinybench with `throws: true` (a broken
 * WASM call fails the run), work batched inside each task, medians reported.
 */
import { Bench } from 'tinybench';

/** What a suite gets from the runner. */
export interface BenchContext {
  /** Smaller inputs and fewer rounds (smoke runs, tests). */
  quick: boolean;
  /** Progress and tables go here. */
  log(line: string): void;
}

/** One task: `fn` performs `opsPerCall` operations (lookups, frames, packets). */
export interface BatchTask {
  name: string;
  opsPerCall: number;
  fn: () => void;
}

/** Median time of one operation, in nanoseconds, per task name. */
export interface Timing {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  samples: number;
}

/**
 * Times each task: `rounds` rounds, and in each round the tasks run in an
 * order rotated by the round number so no task always runs first (JIT and
 * cache effects fall on all alike). Returns the median per task.
 */
export async function timeBatches(tasks: BatchTask[], opts: { rounds?: number; iterations?: number; warmup?: number } = {}): Promise<Timing[]> {
  const rounds = opts.rounds ?? 3;
  const samples = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    const order = tasks.map((_, i) => tasks[(i + r) % tasks.length]);
    const bench = new Bench({ iterations: opts.iterations ?? 5, time: 0, warmupIterations: opts.warmup ?? 1, warmupTime: 0, throws: true, retainSamples: true });
    for (const t of order) bench.add(t.name, t.fn);
    await bench.run();
    for (const task of bench.tasks) {
      const res = task.result;
      if (res.state !== 'completed') throw new Error(`bench task ${task.name} ended ${res.state}`);
      const t = tasks.find((x) => x.name === task.name)!;
      const list = samples.get(t.name) ?? [];
      for (const ms of res.latency.samples ?? [res.latency.p50]) list.push((ms * 1e6) / t.opsPerCall);
      samples.set(t.name, list);
    }
  }
  return tasks.map((t) => {
    const s = (samples.get(t.name) ?? []).sort((a, b) => a - b);
    const ns = s[Math.floor(s.length / 2)];
    return { name: t.name, nsPerOp: ns, opsPerSec: 1e9 / ns, samples: s.length };
  });
}
