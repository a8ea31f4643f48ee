import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { kernelLane, sayskip } from './support/netns.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { runScenario } from '../src/netns/run.js';
import { toFixture } from '../src/netns/fixture.js';
import { observe } from '../src/netns/observe.js';
import { compareWithModel } from '../src/netns/compare.js';
import { loadFacts } from './support/kernel-fixtures.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// CNIKIT_KERNEL_FIXTURES=DIR writes each run as DIR/<scenario>.{json,pcap} (how test/fixtures/kernel-scenarios was made).
const fixtures = process.env.CNIKIT_KERNEL_FIXTURES;

const lane = kernelLane(['ip', 'bridge', 'tcpdump', 'ethtool', 'ping', 'python3']);
if (!lane.ok) sayskip('netns-run real-kernel scenarios', lane.reason);

const prefix = `cnk-kr-${process.pid}-`;

describe.skipIf(!lane.ok)('scenarios in the real kernel', () => {
  afterAll(() => {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
    expect(left).toEqual([]);
  });
  it('a scenario that fails to build is torn down and the error names the failing command', async () => {
    const bad = structuredClone(SCENARIOS[0]);
    bad.nodes[0].routes.push('10.99.0.0/16 via 10.0.0.99 dev nosuchdev');
    await expect(runScenario(bad, prefix)).rejects.toThrow(/building scenario same-l2 failed: [^]*Cannot find device "nosuchdev"/);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
    expect(left).toEqual([]);
  });

  for (const s of SCENARIOS) {
    it(`${s.name}: every probe ends in its expected disposition and path`, async () => {
      const r = await runScenario(s, prefix);
      if (fixtures) {
        mkdirSync(fixtures, { recursive: true });
        const f = toFixture(s.name, r.facts);
        writeFileSync(join(fixtures, `${s.name}.json`), JSON.stringify(f.index, null, 1) + '\n');
        writeFileSync(join(fixtures, `${s.name}.pcap`), f.pcap);
      }
      const rows = s.probes.map((p, i) => ({ probe: p.name, expect: p.expect, got: r.observations[i].disposition, path: r.observations[i].path.join('>'), want: (p.path ?? []).join('>') }));
      const ok = rows.every((x) => x.expect === x.got && x.path === x.want);
      console.log(`SCENARIO ${s.name}: ${ok ? 'all as expected' : 'MISMATCH'}\n${rows.map((x) => `  ${x.probe}: ${x.got} via ${x.path}${x.expect === x.got && x.path === x.want ? '' : ` (expected ${x.expect} via ${x.want})`}`).join('\n')}`);
      // A second, independent kernel run must match the recorded one byte for byte once the
      // randomised fields are masked: this checks that compareWithModel masks exactly those.
      if (!fixtures) {
        const recorded = loadFacts(s.name).map((f, i) => observe(s, s.probes[i], f));
        const diff = compareWithModel(r.observations, recorded);
        console.log(`  against the recorded run: ${diff.length} mismatches${diff.length ? '\n    ' + diff.map((d) => `${d.probe} ${d.kind} ${d.wire ?? ''} ${d.detail}`).join('\n    ') : ''}`);
        expect(diff).toEqual([]);
      }
      for (const [i, p] of s.probes.entries()) {
        expect(r.observations[i].disposition, p.name).toBe(p.expect);
        expect(r.observations[i].path, p.name).toEqual(p.path);
      }
    });
  }
});
