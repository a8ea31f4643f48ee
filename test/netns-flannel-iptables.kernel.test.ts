// flanneld's iptables rules, as cnikit's flanneld leaves them on each node of
// a cluster file (ipMasq on), loaded into fresh real network namespaces with
// the real iptables-restore and read back with the real iptables-save and
// `iptables -S`: the text must be the model's, after dropping only what
// legitimately differs (`#` comment lines, `[pkts:bytes]` counters). Then the
// commands flanneld sends at a restart (ClearChain, delete-if-present and
// append, teardown of the previous subnet's set) are replayed one by one with
// the real `iptables-restore --noflush` on the pre-restart state: every one
// must be accepted and the end state must be the model's. Runs for the
// `iptables` on PATH (nf_tables or legacy, printed) and for the other backend
// when installed. Kernel lane: root, CI=true or CNIKIT_NETNS=1; skipped with
// the reason otherwise. Table order is ignored: both backends print *filter
// before *nat, the model writes tables in hook-priority order.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createCore, type Core } from '../src/core/core.js';
import { buildCluster, parseCluster, type ClusterRun } from '../src/cluster/index.js';
import { flannelDesign } from '../src/flannel/index.js';
import { iptablesSpec } from '../src/iptables/spec.js';
import { kernelLane, sayskip, sh } from './support/netns.js';

const lane = kernelLane(['ip', 'iptables', 'iptables-restore', 'iptables-save']);
if (!lane.ok) sayskip("flanneld's iptables rules in the real kernel", lane.reason);

const prefix = `cnk-flipt-${process.pid}-`;
let seq = 0;

/** iptables backends to run: the default one (as `iptables -V` names it), then the other if its tools exist. */
function backends(): { name: string; cmd: (tool: 'iptables' | 'iptables-restore' | 'iptables-save') => string }[] {
  if (!lane.ok) return [];
  const v = spawnSync('iptables', ['-V'], { encoding: 'utf8' }).stdout.trim();
  const def = /nf_tables/.test(v) ? 'nft' : 'legacy';
  const out = [{ name: `${def} (default: ${v})`, cmd: (t: string) => t }];
  const other = def === 'nft' ? 'legacy' : 'nft';
  if (spawnSync('sh', ['-c', `command -v iptables-${other}-restore && command -v iptables-${other}-save && command -v iptables-${other}`]).status === 0) {
    out.push({ name: `${other} (iptables-${other})`, cmd: (t: string) => t.replace(/^iptables/, `iptables-${other}`) });
  }
  return out;
}
const BACKENDS = backends();

/** What may differ between two dumps of one ruleset: `#` lines, counters, and the order of the tables. */
function normalise(save: string): string[] {
  const tables: string[] = [];
  let cur: string[] | undefined;
  for (const raw of save.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    const line = l.replace(/^\[\d+:\d+\]\s+/, '').replace(/^(:\S+ \S+) \[\d+:\d+\]$/, '$1');
    if (line.startsWith('*')) cur = [line];
    else cur?.push(line);
    if (line === 'COMMIT' && cur) tables.push(cur.join('\n'));
  }
  return tables.sort();
}

const SPECS = [['nat', 'POSTROUTING'], ['nat', 'FLANNEL-POSTRTG'], ['filter', 'FORWARD'], ['filter', 'FLANNEL-FWD']] as const;

/** A fresh namespace with `save` loaded by the real iptables-restore; returns its name. */
function realNode(tool: (t: 'iptables' | 'iptables-restore' | 'iptables-save') => string, save: string): string {
  const ns = `${prefix}${seq++}`;
  sh(`ip netns add ${ns}`);
  sh(`ip netns exec ${ns} ${tool('iptables-restore')}`, { input: save });
  return ns;
}

/** Real vs model: the normalised dumps and the four `-S` listings; returns the differences and the number of rules. */
function compare(tool: (t: 'iptables' | 'iptables-restore' | 'iptables-save') => string, ns: string, model: string, what: string): { diffs: string[]; rules: number } {
  const real = sh(`ip netns exec ${ns} ${tool('iptables-save')}`);
  const diffs: string[] = [];
  const [a, b] = [normalise(real), normalise(model)];
  if (a.join('\n') !== b.join('\n')) diffs.push(`${what}: iptables-save\n--- kernel\n${a.join('\n')}\n--- model\n${b.join('\n')}`);
  for (const [t, c] of SPECS) {
    const k = sh(`ip netns exec ${ns} ${tool('iptables')} -t ${t} -S ${c}`).trimEnd();
    const m = iptablesSpec(model, t, c).join('\n');
    if (k !== m) diffs.push(`${what}: iptables -t ${t} -S ${c}\n--- kernel\n${k}\n--- model\n${m}`);
  }
  return { diffs, rules: b.join('\n').split('\n').filter((l) => l.startsWith('-A ')).length };
}

let core: Core;
const runs: ClusterRun[] = [];
const build = async (text: string, file: string): Promise<ClusterRun> => {
  core ??= await createCore();
  const r = buildCluster(core, parseCluster(text, file), flannelDesign);
  runs.push(r);
  return r;
};

describe.skipIf(!lane.ok)("flanneld's iptables rules: real iptables and the model agree", () => {
  afterAll(() => {
    runs.forEach((r) => r.dispose());
    for (const ns of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).filter((l) => l.startsWith(prefix))) spawnSync('ip', ['netns', 'del', ns]);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
    expect(left).toEqual([]);
  });

  for (const be of BACKENDS) {
    it(`${be.name}: each node's iptables-save of flannel-vxlan-racks.yaml and flannel-host-gw.yaml round-trips through the real iptables-restore/-save and -S`, async () => {
      const diffs: string[] = [];
      let nodes = 0;
      let rules = 0;
      for (const file of ['flannel-vxlan-racks.yaml', 'flannel-host-gw.yaml']) {
        const r = await build(readFileSync(new URL(`./fixtures/cluster/${file}`, import.meta.url), 'utf8'), file);
        for (const n of r.cluster.nodes) {
          const model = r.net.iptablesSave(n.name);
          expect(model, `${file} ${n.name}`).toContain('-j FLANNEL-POSTRTG');
          const ns = realNode(be.cmd, model);
          try {
            const c = compare(be.cmd, ns, model, `${file} ${n.name}`);
            diffs.push(...c.diffs);
            rules += c.rules;
            nodes++;
          } finally {
            sh(`ip netns del ${ns}`);
          }
        }
      }
      console.log(`IPTABLES MODEL-VS-KERNEL [${be.name}]: ${nodes} nodes, ${rules} rules, ${diffs.length} differences${diffs.length ? `\n${diffs.join('\n')}` : ''}`);
      expect(diffs).toEqual([]);
      expect(nodes).toBe(6);
    });

    it(`${be.name}: flanneld's restart commands (same lease with a rule appended after its jumps; a new subnet) replayed with the real iptables-restore --noflush end where the model does`, async () => {
      const r = await build(`nodes:
  - { name: a, pods: 1 }
  - { name: c, pods: 1 }
events:
  - { at: 1m, node-down: a }
  - { at: 2m, node-up: a }
  - { at: 10m, node-down: c }
  - { at: 30h, node-up: c }
flannel:
  netConf: { Network: 10.42.0.0/16, Backend: { Type: vxlan } }
`, 'restarts.yaml');
      r.nl.iptablesRestore('a', '*nat\n-A POSTROUTING -s 192.0.2.0/24 -j MASQUERADE\nCOMMIT\n*filter\n-A FORWARD -s 192.0.2.0/24 -j ACCEPT\nCOMMIT\n', { noflush: true });
      const cOld = /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\./.exec(r.run.show('c', 'subnet-env')!)![1];
      const start = { a: r.net.iptablesSave('a'), c: r.net.iptablesSave('c') };
      // Every command flanneld sends from here on, per node.
      const sent: Record<string, string[]> = { a: [], c: [] };
      const restore = r.nl.iptablesRestore.bind(r.nl);
      r.nl.iptablesRestore = (ns, text, opts) => {
        sent[ns]?.push(text);
        restore(ns, text, opts);
      };
      r.advanceTo(25 * 3_600_000);
      r.backing.put(`/coreos.com/network/subnets/${cOld}.0-24`, '{"PublicIP":"10.0.0.99","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"0e:00:00:00:00:99"}}');
      r.advanceTo(30 * 3_600_000);
      expect(r.run.show('c', 'subnet-env')).not.toContain(`${cOld}.1/24`);
      const diffs: string[] = [];
      for (const node of ['a', 'c'] as const) {
        expect(sent[node].length, node).toBeGreaterThanOrEqual(4);
        const ns = realNode(be.cmd, start[node]);
        try {
          for (const text of sent[node]) sh(`ip netns exec ${ns} ${be.cmd('iptables-restore')} --noflush`, { input: text });
          diffs.push(...compare(be.cmd, ns, r.net.iptablesSave(node), `restart of ${node}`).diffs);
        } finally {
          sh(`ip netns del ${ns}`);
        }
      }
      console.log(`IPTABLES RESTART REPLAY [${be.name}]: ${sent.a.length + sent.c.length} commands on 2 nodes, ${diffs.length} differences${diffs.length ? `\n${diffs.join('\n')}` : ''}`);
      expect(diffs).toEqual([]);
    });
  }
});
