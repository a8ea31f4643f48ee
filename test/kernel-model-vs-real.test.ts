// The kernel model (branch kmodel: buildScenario(core, scenario) with walk(probe) and
// capture(ns, if)) against the real kernel's recorded runs (test/fixtures/kernel-scenarios).
// The model is imported by a computed path so that this file compiles before the two
// branches are merged; until then it is skipped with a printed reason.
import { describe, expect, it } from 'vitest';
import { createCore } from '../src/core/core.js';
import type { Trace } from '../src/core/trace.js';
import { SCENARIOS } from '../src/kernel/scenarios/index.js';
import type { Scenario } from '../src/kernel/scenario.js';
import { observe } from '../src/kernel/netns-observe.js';
import { compareWithModel, outcomeFromTrace } from '../src/kernel/compare.js';
import { loadFacts } from './support/kernel-fixtures.js';
import { sayskip } from './support/netns.js';

interface ModelNet {
  walk(probe: Scenario['probes'][number]): Trace;
  capture(ns: string, dev: string): Uint8Array[];
  clearCaptures?(): void;
}
type Build = (core: Awaited<ReturnType<typeof createCore>>, s: Scenario) => ModelNet;

const where = ['..', 'src', 'kernel', 'build.js'].join('/');
const build: Build | undefined = await import(/* @vite-ignore */ where).then((m: { buildScenario?: Build }) => m.buildScenario).catch(() => undefined);
if (!build) sayskip('kernel model vs real kernel', 'src/kernel/build.ts (buildScenario, branch kmodel) is not in this tree yet');

describe.skipIf(!build)('kernel model vs the recorded real kernel', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: the model gives every probe the kernel's disposition and path`, async () => {
      const core = await createCore();
      const net = build!(core, s);
      const kernel = s.probes.map((p, i) => observe(s, p, loadFacts(s.name)[i]));
      const model = s.probes.map((p, i) => {
        net.clearCaptures?.();
        return outcomeFromTrace(p.name, net.walk(p), (n, d) => net.capture(n, d), Object.keys(kernel[i].frames));
      });
      const diff = compareWithModel(kernel, model, { ignoreArp: true });
      const frames = diff.filter((d) => d.kind === 'frame' || d.kind === 'frame-count');
      console.log(`MODEL-VS-KERNEL ${s.name}: ${diff.length - frames.length} disposition/path mismatches, ${frames.length} frame mismatches (not yet required)`);
      expect(diff.filter((d) => d.kind !== 'frame' && d.kind !== 'frame-count')).toEqual([]);
    });
  }
});
