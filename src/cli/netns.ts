/**
 * `cnikit netns list` prints the scenario names (and descriptions);
 * `cnikit netns export SCENARIO [--prefix P]` prints the bash script that
 * builds the scenario in network namespaces (see docs/netns.md);
 * `cnikit netns export --cluster FILE --design flannel [--at T]` prints the
 * one that builds a cluster file's kernels as its control plane programmed
 * them in the model (read back by `scenarioFromNetwork`).
 */
import type { Command } from 'commander';
import { write, type Io } from './io.js';
import { InputError } from '../core/errors.js';
import { SCENARIOS, findScenario } from '../scenarios/index.js';
import { exportNetns } from '../netns/export.js';
import { scenarioFromNetwork } from '../netns/from-network.js';
import { load } from './cluster.js';

/** Registers `cnikit netns`. */
export function registerNetns(program: Command, io: Io, _state: { status: number }): void {
  const netns = program.command('netns').description('kernel scenarios as real network namespaces');
  netns
    .command('list')
    .description('print the scenario names')
    .action(async () => {
      await write(io.stdout, SCENARIOS.map((s) => `${s.name}\t${s.description}\n`).join(''));
    });
  netns
    .command('export')
    .description('print a bash script of ip/bridge/sysctl/iptables-restore commands that builds SCENARIO, or the kernels of a cluster file as its design programmed them (run it with "down" to delete it)')
    .argument('[scenario]', 'scenario name (see `cnikit netns list`); not with --cluster')
    .option('--cluster <file>', 'cluster file (YAML or JSON; - for standard input): export its kernels as the design built them')
    .option('--design <design>', 'with --cluster: flannel')
    .option('--at <time>', 'with --cluster: simulated time after the build (Go duration)')
    .option('--prefix <prefix>', 'namespace name prefix', 'cnk-')
    .action(async (name: string | undefined, o: { prefix: string; cluster?: string; design?: string; at?: string }) => {
      if (o.cluster !== undefined) {
        if (name !== undefined) throw new InputError('BadArguments', name, 'either SCENARIO or --cluster FILE, not both');
        if (o.design === undefined) throw new InputError('MissingOption', '--cluster', '--design flannel with --cluster');
        const r = await load(io, o.cluster, o.design, o.at, '--cluster');
        try {
          // Old flanneld's miss handlers, each with the lease table its daemon holds now (the script runs a stand-in per node).
          const s = scenarioFromNetwork(r.net, r.cluster.name ?? 'cluster', `${o.cluster} as ${o.design} programmed it${o.at ? ` at ${o.at}` : ''}`, { missResponders: r.run.missResponders?.() });
          await write(io.stdout, exportNetns(s, { prefix: o.prefix }));
        } finally {
          r.dispose();
        }
        return;
      }
      if (o.design !== undefined || o.at !== undefined) throw new InputError('BadArguments', o.design !== undefined ? '--design' : '--at', '--design and --at only with --cluster FILE');
      if (name === undefined) throw new InputError('MissingArgument', 'scenario', `a scenario name (one of ${SCENARIOS.map((x) => x.name).join(', ')}) or --cluster FILE`);
      const s = findScenario(name);
      if (!s) throw new InputError('UnknownScenario', 'scenario', `one of ${SCENARIOS.map((x) => x.name).join(', ')}, got ${JSON.stringify(name)}`);
      await write(io.stdout, exportNetns(s, { prefix: o.prefix }));
    });
}
