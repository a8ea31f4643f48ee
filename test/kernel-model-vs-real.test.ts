// The kernel model (buildScenario(core, scenario) with walk(probe) and capture(ns, if))
// against the real kernel's recorded runs (test/fixtures/kernel-scenarios): the same
// disposition, the same path, and on every captured wire the same frames byte for byte,
// ARP included, apart from the fields Linux randomises (masked by compareWithModel).
// The kernel lane (test/netns-run.kernel.test.ts) checks that a fresh real-kernel run
// equals these recordings, so in CI the model is compared with the running kernel.
import { describe, expect, it } from 'vitest';
import { createCore } from '../src/core/core.js';
import type { Trace } from '../src/core/trace.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import type { Scenario } from '../src/kernel/scenario.js';
import { observe } from '../src/netns/observe.js';
import { compareWithModel, outcomeFromTrace } from '../src/netns/compare.js';
import { loadFacts } from './support/kernel-fixtures.js';

import { buildScenario } from '../src/kernel/build.js';

interface ModelNet {
  walk(probe: Scenario['probes'][number]): Trace;
  capture(ns: string, dev: string): Uint8Array[];
  clearCaptures?(): void;
  flushRouteCache?(): void;
}
const build = (core: Awaited<ReturnType<typeof createCore>>, s: Scenario): ModelNet => buildScenario(core, s, { arpFrames: true });

describe('kernel model vs the recorded real kernel', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: the model gives every probe the kernel's disposition, path and frames`, async () => {
      const core = await createCore();
      const net = build!(core, s);
      const kernel = s.probes.map((p, i) => observe(s, p, loadFacts(s.name)[i]));
      const model = s.probes.map((p, i) => {
        net.clearCaptures?.();
        // The real-kernel runner flushes the route cache between probes (`ip route flush cache`): PMTU exceptions go.
        net.flushRouteCache?.();
        return outcomeFromTrace(p.name, net.walk(p), (n, d) => net.capture(n, d), Object.keys(kernel[i].frames));
      });
      const diff = compareWithModel(kernel, model, { ignoreArp: false });
      const frames = diff.filter((d) => d.kind === 'frame' || d.kind === 'frame-count');
      const wires = kernel.reduce((n, k) => n + Object.keys(k.frames).length, 0);
      const count = kernel.reduce((n, k) => n + Object.values(k.frames).reduce((m, f) => m + f.length, 0), 0);
      console.log(`MODEL-VS-KERNEL ${s.name}: ${s.probes.length} probes, ${wires} wire captures, ${count} kernel frames; ${diff.length - frames.length} disposition/path mismatches, ${frames.length} frame mismatches`);
      expect(diff).toEqual([]);
    });
  }
});
