// Old flanneld's vxlan modes (legacyMisses v0.5 and v0.4) built by cnikit's
// flanneld from a cluster file, read back from the model with each node's
// miss handler (scenarioFromNetwork + DesignRun.missResponders), built in real
// namespaces by the netns export (a python3 responder per node standing in
// for flanneld's handleMiss), and pinged on the clock: iputils ping in the
// kernel (src/netns/ping-run.ts), the model's `cnikit ping` on the same
// timeline. Compared: each probe's answered sequence numbers and every frame
// on every wire (first packets included: queued behind an L3 miss, dropped at
// an L2 miss), the nodes' miss lines, flannel.1's neighbour and FDB tables
// afterwards, and what each responder answered against flanneld's own log.
// Runs in the kernel lane (root, CI=true or CNIKIT_NETNS=1); skipped with the
// reason otherwise.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createCore } from '../src/core/core.js';
import { buildCluster, parseCluster } from '../src/cluster/index.js';
import { flannelDesign } from '../src/flannel/index.js';
import { RUN_DIR } from '../src/netns/export.js';
import { scenarioFromNetwork } from '../src/netns/from-network.js';
import { realPings, type PingProbe } from '../src/netns/ping-run.js';
import { kernelLane, sayskip } from './support/netns.js';
import { frameCount, modelPings, pingRunDiffs } from './support/cluster-ping.js';

const lane = kernelLane(['ip', 'bridge', 'tcpdump', 'ethtool', 'ping', 'python3', 'iptables-restore']);
if (!lane.ok) sayskip('old flanneld (legacyMisses) clusters in the real kernel', lane.reason);

const prefix = `cnk-fll-${process.pid}-`;

// Across racks, within a rack, back the other way, and a second pod to a
// destination already resolved (no miss). The whole run stays well under the
// 15 s an answered REACHABLE neighbour lasts at least (reachable_time).
const PAIRS: [string, string, number][] = [
  ['n1-pod-1', 'n3-pod-1', 3],
  ['n2-pod-1', 'n1-pod-2', 2],
  ['n3-pod-1', 'n2-pod-1', 2],
  ['n1-pod-2', 'n3-pod-1', 2],
];

const CASES: { version: string; file: string; pairs: [string, string, number, number?][]; stopped?: string; first: string[] }[] = [
  // v0.5: the first packet waits in the neighbour queue for the answered L3 miss and leaves with it.
  { version: 'v0.5', file: 'flannel-legacy-v05.yaml', pairs: PAIRS, first: ['1 reply', '2 reply', '3 reply'] },
  // v0.4: the first packet leaves after the L3 miss, then dies at the L2 miss (no FDB entry yet).
  { version: 'v0.4', file: 'flannel-legacy-v04.yaml', pairs: PAIRS, first: ['2 reply', '3 reply'] },
  // v0.5 with n1's flanneld stopped before the export: n1 has no responder and nobody answers its
  // misses (app_solicit 3: three a second apart, then three broadcast ARPs on flannel.1 that go
  // nowhere); at 6 s the entry fails and the six queued requests come back as host unreachable; the
  // seventh starts a new resolution. -i 1.1 keeps sends off the moment the entry fails.
  { version: 'v0.5', file: 'flannel-legacy-v05.yaml', pairs: [['n1-pod-1', 'n3-pod-1', 7, 1.1]], stopped: 'n1', first: ['1 error', '2 error', '3 error', '4 error', '5 error', '6 error'] },
];

describe.skipIf(!lane.ok)('old flanneld clusters: real kernel and model agree on the clock', () => {
  afterAll(() => {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
    expect(left).toEqual([]);
    // down went through each responder's kill (which removes its pid and log files).
    expect(existsSync(RUN_DIR) ? readdirSync(RUN_DIR).filter((f) => f.startsWith(prefix)) : []).toEqual([]);
  });

  for (const c of CASES) {
    const title = `${c.version}${c.stopped ? `, ${c.stopped}'s flanneld stopped` : ''}`;
    it(`legacyMisses ${title} (${c.file}): pods ping across racks and nodes; answers, misses, tables and every frame as the model's`, async () => {
      const text = readFileSync(new URL(`./fixtures/cluster/${c.file}`, import.meta.url), 'utf8');
      const r = buildCluster(await createCore(), parseCluster(text, c.file), flannelDesign);
      try {
        if (c.stopped) r.run.nodeDown(c.stopped);
        const addr = (pod: string) => r.run.podAddress(pod)!;
        const probes: PingProbe[] = c.pairs.map(([a, b, count, interval]) => ({ name: `${a}->${b}`, from: a, to: addr(b), count, ...(interval ? { interval } : {}) }));
        const s = scenarioFromNetwork(r.net, c.file, '', { missResponders: r.run.missResponders!() });
        // One responder per running flanneld (the router has none).
        expect(s.nodes.filter((n) => n.missResponder).map((n) => `${n.name} l2=${n.missResponder!.l2}`)).toEqual(['n1', 'n2', 'n3'].filter((n) => n !== c.stopped).map((n) => `${n} l2=${c.version === 'v0.4'}`));
        const real = await realPings(s, probes, prefix);
        const model = modelPings(r, s, probes, real, prefix);
        const diff = pingRunDiffs(probes, real, model);
        console.log(
          `MODEL-VS-KERNEL flannel legacy ${title}: ${probes.length} probes, ${frameCount(real)} frames, ${real.misses.length} miss lines, ${diff.length} mismatches\n` +
            probes.map((p, i) => `  ${p.name} -c ${p.count}${p.interval ? ` -i ${p.interval}` : ''}: ${real.windows[i].answered.join(', ') || 'nothing'}`).join('\n') +
            (diff.length ? `\n  ${diff.join('\n  ')}` : ''),
        );
        // The first requests across racks: queued (v0.5), the first lost (v0.4), or failed with nobody answering.
        expect(real.windows[0].answered.slice(0, c.first.length)).toEqual(c.first);
        expect(real.misses.length).toBeGreaterThan(0);
        if (!c.stopped) expect(Object.values(real.answers).flat().some((l) => l.startsWith('L3 miss: AddL3'))).toBe(true);
        if (c.version === 'v0.4') expect(Object.values(real.answers).flat().some((l) => l.startsWith('L2 miss: AddL2'))).toBe(true);
        expect(diff).toEqual([]);
      } finally {
        r.dispose();
      }
    }, 90_000);
  }
});
