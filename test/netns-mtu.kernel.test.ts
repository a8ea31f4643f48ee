// The MTU scenarios in real namespaces against the model (src/netns/mtu-lane.ts): ping's
// reports per size and -M mode, every IPv4 frame on every wire (fragments, DF, ICMP errors
// with type, code, MTU and source), PMTU exceptions in `ip route get`, device MTUs.
// Root only (CI, or CNIKIT_NETNS=1); skipped elsewhere with the reason printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario } from '../src/kernel/build.js';
import { applyMtuChanges, buildMtuScenario, mtuScenario, type MtuOptions } from '../src/scenarios/mtu.js';
import { diffCase, modelCase, modelMtus, pingTextMasked, realRun, type MtuCase } from '../src/netns/mtu-lane.js';
import { ping, pingText } from '../src/ping/index.js';
import { kernelLane, sayskip } from './support/netns.js';

const lane = kernelLane(['ip', 'bridge', 'tcpdump', 'ethtool', 'ping']);
if (!lane.ok) sayskip('netns-mtu real-kernel MTU scenarios', lane.reason);

const prefix = `cnk-mtu-${process.pid}-`;
const ab = (size: number, mode: MtuCase['mode'], count = 1): MtuCase => ({ from: 'a', to: '10.244.2.2', size, mode, count });

const RUNS: { name: string; opts?: MtuOptions; cases: MtuCase[]; show?: boolean }[] = [
  { name: 'mtu-consistent', cases: [ab(1422, 'do'), ab(1423, 'do', 2), ab(1472, 'dont'), ab(1472, 'want')] },
  { name: 'mtu-pod-too-big', cases: [ab(1472, 'do', 3), ab(1472, 'dont')] },
  { name: 'mtu-underlay-smaller', cases: [ab(1422, 'do', 2), ab(1322, 'do')] },
  // The closing note's command: ping -M do -s 1422 -c 3 (-i 1), printed beside the kernel's.
  { name: 'mtu-underlay-smaller', opts: { df: 'set' }, cases: [{ ...ab(1422, 'do', 3), interval: 1 }, ab(1322, 'do')], show: true },
  { name: 'mtu-underlay-smaller', opts: { df: 'inherit' }, cases: [ab(1422, 'do'), ab(1422, 'dont')] },
  { name: 'mtu-underlay-smaller', opts: { forwardUsePmtu: true }, cases: [ab(1422, 'do', 3)] },
  { name: 'mtu-path-smaller', cases: [ab(1422, 'do'), ab(1326, 'do'), ab(1327, 'do'), ab(1322, 'do')] },
  { name: 'mtu-auto-1400', cases: [ab(1322, 'do'), ab(1323, 'do')] },
  { name: 'mtu-auto-9000', cases: [ab(8922, 'do'), ab(8923, 'do')] },
];

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

describe.skipIf(!lane.ok)('MTU scenarios: the model against the real kernel', () => {
  afterAll(() => {
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
    expect(left).toEqual([]);
  });
  for (const r of RUNS) {
    const label = `${r.name}${r.opts?.df ? ` --df ${r.opts.df}` : ''}${r.opts?.forwardUsePmtu ? ' ip_forward_use_pmtu=1' : ''}`;
    it(`${label}: ping, wires, ICMP errors, PMTU exceptions and device MTUs equal`, async () => {
      const m = mtuScenario(r.name, r.opts);
      const real = await realRun(m, r.cases, prefix);
      const net = buildScenario(core, m.scenario);
      applyMtuChanges(net, m.after);
      const diffs: string[] = [];
      const mm = modelMtus(net, m);
      for (const k of Object.keys(mm)) if (real.mtus[k] !== mm[k]) diffs.push(`mtu ${k}: kernel ${real.mtus[k]} model ${mm[k]}`);
      for (const [i, c] of r.cases.entries()) diffs.push(...diffCase(`-s ${c.size} -M ${c.mode} -c ${c.count}`, real.results[i], modelCase(net, m, c, prefix)));
      net.dispose();
      // cnikit ping's own text (a fresh model each case, as the real side flushes its caches), times masked.
      for (const [i, c] of r.cases.entries()) {
        const fresh = buildMtuScenario(core, r.name, r.opts);
        const t = pingText(ping(fresh, { from: c.from, to: c.to, count: c.count, interval: c.interval ?? 0.2, size: c.size, pmtudisc: c.mode, timeout: 1 }));
        fresh.dispose();
        const mine = pingTextMasked(t.stdout + t.stderr);
        if (r.show && i === 0) console.log(`kernel:\n${real.raw[i]}\ncnikit ping --scenario ${r.name}${r.opts?.df ? ` --df ${r.opts.df}` : ''} --from a --to ${c.to} -M ${c.mode} -s ${c.size} -c ${c.count}:\n${t.stdout}${t.stderr}`);
        if (mine !== real.text[i]) diffs.push(`-s ${c.size} -M ${c.mode} -c ${c.count} ping text: kernel ${JSON.stringify(real.text[i])} cnikit ping ${JSON.stringify(mine)}`);
      }
      console.log(`MTU-LANE ${label}: ${r.cases.length} cases, ${diffs.length} differences${diffs.length ? `\n  ${diffs.join('\n  ')}\n${real.raw.join('\n')}` : ''}`);
      expect(diffs).toEqual([]);
    }, 60_000);
  }
});
