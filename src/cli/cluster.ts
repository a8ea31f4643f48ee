/**
 * `cnikit cluster check FILE --design D [--json] [--at T]`: build the
 * cluster file, converge, verify (every live pod reaches every live pod
 * through the kernel model, no address in two places, the design's own
 * consistency); exit 1 naming the first violations.
 *
 * `cnikit cluster show FILE --design D --node N --what W [--at T]`: a node's
 * state in Linux's own formats (`ip-route`, `ip-neigh`, `bridge-fdb`,
 * `ip-link`, `iptables-save`) or the design's (`subnet-env`, `etcd`,
 * `flanneld-log`).
 *
 * `cnikit trace --cluster FILE --design D --from POD --to POD|IP [--proto]
 * [--dport] [--json] [--pcap DIR] [--at T]`: one packet's walk, hop by hop;
 * `cnikit trace --scenario flannel-seed [--modern] [--json] [--pcap DIR]`:
 * the seed's walk (trace-scenario.ts).
 *
 * Designs: `flannel` (Calico's design plugs in here when it exists).
 */
import type { Command } from 'commander';
import { createCore } from '../core/core.js';
import { InputError } from '../core/errors.js';
import { buildCluster, parseCluster, parseDuration, verifyCluster, type ClusterRun, type Design } from '../cluster/index.js';
import { flannelDesign } from '../flannel/index.js';
import { readInputText, write, type Io } from './io.js';
import { formatTrace } from './trace-text.js';
import { traceScenario, TRACE_SCENARIOS } from './trace-scenario.js';
import { writeCaptures } from './pcap-dir.js';

const DESIGNS: Record<string, Design> = { flannel: flannelDesign };
const KERNEL_VIEWS = ['ip-route', 'ip-neigh', 'bridge-fdb', 'ip-link', 'iptables-save'];

function design(name: string): Design {
  const d = DESIGNS[name];
  if (!d) throw new InputError('UnknownDesign', name, `--design: ${Object.keys(DESIGNS).join(' or ')} (calico is not built yet)`);
  return d;
}

/**
 * Reads, builds and converges cluster FILE with `designName`, at `at` (Go
 * duration) after the build. `flag` names where FILE came from in errors
 * (the FILE argument, or `--cluster`).
 */
export async function load(io: Io, file: string, designName: string, at: string | undefined, flag = 'FILE'): Promise<ClusterRun> {
  const d = design(designName);
  const atMs = at === undefined ? 0 : parseDurationFlag(at);
  const text = await readInputText(io, flag, file);
  const cluster = parseCluster(text, file === '-' ? '<stdin>' : file);
  const r = buildCluster(await createCore(), cluster, d);
  r.advanceTo(atMs);
  return r;
}

function parseDurationFlag(at: string): number {
  try {
    return parseDuration(at);
  } catch {
    throw new InputError('BadDuration', at, '--at: a time in Go duration syntax, such as 90s, 10m or 1h30m');
  }
}

/** Registers `cnikit cluster` and `cnikit trace`. */
export function registerCluster(program: Command, io: Io, state: { status: number }): void {
  const cluster = program.command('cluster').description('build a cluster file as a CNI design on the simulated kernels and inspect it');
  cluster
    .command('check')
    .description('build, converge and verify FILE: every pod reaches every pod, no address in two places, leases consistent (exit 1 naming the first violations)')
    .argument('<file>', 'cluster file (YAML or JSON; - for standard input)')
    .requiredOption('--design <design>', 'flannel')
    .option('--at <time>', 'check at this simulated time after the build (Go duration: 90s, 10m, 1h30m), after the events up to it')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { design: string; at?: string; json?: boolean }) => {
      const r = await load(io, file, o.design, o.at);
      try {
        const v = verifyCluster(r);
        if (o.json) await write(io.stdout, `${JSON.stringify({ file, design: o.design, at: o.at ?? '0s', events: r.applied, ...v }, null, 2)}\n`);
        else {
          await write(io.stdout, `${r.cluster.name} (${o.design}): ${v.nodes} nodes (${v.liveNodes} live), ${v.pods} pods (${v.livePods} live); ` +
            `${v.delivered}/${v.pairs} pod pairs delivered (${v.coverage === 'all' ? 'every pair' : 'one pair per node pair'})\n` +
            (r.applied.length ? `events applied: ${r.applied.join(', ')}\n` : '') +
            (v.ok ? 'ok\n' : `FAILED: ${v.violations.length} violation(s)\n${v.violations.map((x) => `  ${x}\n`).join('')}`));
        }
        if (!v.ok) state.status = 1;
      } finally {
        r.dispose();
      }
    });
  cluster
    .command('show')
    .description("print a node's state in Linux's own formats after convergence (or at --at)")
    .argument('<file>', 'cluster file')
    .requiredOption('--design <design>', 'flannel')
    .requiredOption('--node <node>', 'node name')
    .requiredOption('--what <what>', `${KERNEL_VIEWS.join('|')}|subnet-env|etcd|flanneld-log`)
    .option('--at <time>', 'simulated time after the build (Go duration)')
    .action(async (file: string, o: { design: string; node: string; what: string; at?: string }) => {
      const d = design(o.design);
      if (!KERNEL_VIEWS.includes(o.what) && !d.views.includes(o.what)) throw new InputError('UnknownView', o.what, `--what: one of ${[...KERNEL_VIEWS, ...d.views].join(', ')}`);
      const r = await load(io, file, o.design, o.at);
      try {
        if (!r.cluster.nodes.some((n) => n.name === o.node)) throw new InputError('UnknownNode', o.node, `--node: a node of ${file} (${r.cluster.nodes.slice(0, 5).map((n) => n.name).join(', ')}${r.cluster.nodes.length > 5 ? ', ...' : ''})`);
        await write(io.stdout, view(r, o.node, o.what));
      } finally {
        r.dispose();
      }
    });
  program
    .command('trace')
    .description("walk one packet through a cluster file's kernels (or a built-in scenario's), hop by hop")
    .option('--cluster <file>', 'cluster file')
    .option('--scenario <name>', `a built-in walk instead of a cluster file: ${TRACE_SCENARIOS.join(', ')}`)
    .option('--modern', 'with --scenario: flanneld >= v0.9 (entries per lease) instead of the legacy misses')
    .option('--design <design>', 'flannel (with --cluster)')
    .option('--from <pod>', 'sending pod (or node)')
    .option('--to <dest>', 'destination pod name or IPv4 address')
    .option('--proto <proto>', 'icmp or udp', 'icmp')
    .option('--dport <port>', 'UDP destination port', '9')
    .option('--at <time>', 'simulated time after the build (Go duration)')
    .option('--json', 'print the trace as JSON (with its disposition)')
    .option('--pcap <dir>', 'write one capture per device the packet crossed into DIR (<namespace>_<device>.pcap)')
    .action(async (o: { cluster?: string; scenario?: string; modern?: boolean; design?: string; from?: string; to?: string; proto: string; dport: string; at?: string; json?: boolean; pcap?: string }) => {
      if (o.scenario !== undefined) {
        if (o.cluster !== undefined) throw new InputError('BadUsage', '--scenario', 'either --cluster FILE or --scenario NAME, not both');
        for (const f of ['from', 'to', 'design', 'at'] as const) if (o[f] !== undefined) throw new InputError('BadUsage', `--${f}`, `no --${f} with --scenario (${o.scenario} walks its own pods)`);
        const r = await traceScenario(io, o.scenario, { modern: o.modern ?? false, json: o.json ?? false, pcap: o.pcap });
        if (r !== 'DELIVERED') state.status = 1;
        return;
      }
      if (o.modern) throw new InputError('BadUsage', '--modern', 'only with --scenario');
      if (o.cluster === undefined) throw new InputError('BadUsage', 'trace', '--cluster FILE (with --design, --from, --to) or --scenario NAME');
      for (const f of ['design', 'from', 'to'] as const) if (o[f] === undefined) throw new InputError('BadUsage', `--${f}`, `--${f} with --cluster`);
      const from = o.from!;
      if (o.proto !== 'icmp' && o.proto !== 'udp') throw new InputError('BadProto', o.proto, '--proto: icmp or udp (tcp walks are not modelled)');
      const dport = Number(o.dport);
      if (!Number.isInteger(dport) || dport < 1 || dport > 65535) throw new InputError('BadPort', o.dport, '--dport: 1..65535');
      const r = await load(io, o.cluster, o.design!, o.at, '--cluster');
      try {
        if (!r.net.namespaces.has(from)) throw new InputError('UnknownPod', from, `--from: a pod or node of ${o.cluster}`);
        const to = /^\d+\.\d+\.\d+\.\d+$/.test(o.to!) ? o.to! : r.run.podAddress(o.to!);
        if (to === undefined) throw new InputError('UnknownPod', o.to!, `--to: an IPv4 address or a pod of ${o.cluster} that has an address`);
        if (o.pcap) r.net.setCapture(true);
        r.net.clearCaptures();
        const t = r.net.walk({ from, to, proto: o.proto, ...(o.proto === 'udp' ? { dport } : {}) });
        await write(io.stdout, o.json ? `${JSON.stringify({ from, to, proto: o.proto, ...t }, null, 2)}\n` : formatTrace(`${from} -> ${o.to}${to !== o.to ? ` (${to})` : ''} ${o.proto}`, t));
        if (o.pcap) await writeCaptures(r.net, o.pcap);
        if (t.disposition !== 'DELIVERED') state.status = 1;
      } finally {
        r.dispose();
      }
    });
}

function view(r: ClusterRun, node: string, what: string): string {
  switch (what) {
    case 'ip-route': return r.net.ipRoute(node);
    case 'ip-neigh': return r.net.ipNeigh(node);
    case 'bridge-fdb': return r.net.bridgeFdb(node);
    case 'ip-link': return r.net.ipLink(node);
    case 'iptables-save': return r.net.iptablesSave(node);
    default: return r.run.show(node, what) ?? '';
  }
}
