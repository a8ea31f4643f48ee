/**
 * `cnikit netns list` prints the scenario names (and descriptions);
 * `cnikit netns export SCENARIO [--prefix P]` prints the bash script that
 * builds the scenario in network namespaces (see docs/netns.md).
 */
import type { Command } from 'commander';
import { write, type Io } from './io.js';
import { InputError } from '../core/errors.js';
import { SCENARIOS, findScenario } from '../scenarios/index.js';
import { exportNetns } from '../netns/export.js';

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
    .description('print a bash script of ip/bridge/sysctl/iptables-restore commands that builds SCENARIO (run it with "down" to delete it)')
    .argument('<scenario>', 'scenario name (see `cnikit netns list`)')
    .option('--prefix <prefix>', 'namespace name prefix', 'cnk-')
    .action(async (name: string, o: { prefix: string }) => {
      const s = findScenario(name);
      if (!s) throw new InputError('UnknownScenario', 'scenario', `one of ${SCENARIOS.map((x) => x.name).join(', ')}, got ${JSON.stringify(name)}`);
      await write(io.stdout, exportNetns(s, { prefix: o.prefix }));
    });
}
