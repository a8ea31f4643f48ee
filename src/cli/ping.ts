/**
 * `cnikit ping --scenario NAME --from POD --to IP [-c N] [-i S] [-s SIZE]
 * [-M do|dont|want] [-W S] [--df unset|set|inherit] [--monitor] [--no-agent]
 * [--udp PORT] [--json]`: iputils ping on the simulated clock in one of the
 * Flannel pairs (src/ping/) or one of the MTU scenarios
 * (src/scenarios/mtu.ts: pods `a` and `b`, `--df` for flannel.1), printing ping's output and, with `--monitor`, each node's
 * `ip -ts monitor neigh` lines (prefixed `NODE: `) interleaved in time.
 * Exit status as ping's: 0 when a reply came, 1 otherwise.
 */
import type { Command } from 'commander';
import { write, type Io } from './io.js';
import { InputError } from '../core/errors.js';
import { createCore } from '../core/core.js';
import { buildPingScenario, ping, pingFlavour, pingPod, pingText, PING_SCENARIOS } from '../ping/index.js';
import { buildMtuScenario, MTU_SCENARIOS, type DfMode } from '../scenarios/mtu.js';

const MTU_NAMES: readonly string[] = MTU_SCENARIOS;
const MTU_HOSTS = ['a', 'b', 'node1', 'node2'];

/** A number option: the whole text must be a number. */
function num(flag: string, integer: boolean) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new InputError('InvalidOption', v, `${flag}: ${integer ? 'an integer' : 'a number'}`);
    return n;
  };
}

interface PingCli {
  scenario: string;
  from: string;
  to: string;
  c?: number;
  i?: number;
  s?: number;
  M?: string;
  W?: number;
  udp?: number;
  df?: string;
  monitor?: boolean;
  agent: boolean;
  json?: boolean;
}

/** Registers `cnikit ping`. */
export function registerPing(program: Command, io: Io, state: { status: number }): void {
  program
    .command('ping')
    .description(`ping on the simulated clock in a Flannel pair (${PING_SCENARIOS.map((s) => s.name).join(', ')}) or an MTU scenario (${MTU_NAMES.join(', ')})`)
    .requiredOption('--scenario <name>', 'the pair and flanneld version')
    .requiredOption('--from <pod>', 'the sending pod (pod1, pod3) or node (master, minion)')
    .requiredOption('--to <ip>', 'destination address')
    .option('-c <count>', 'echo requests to send (default 3)', num('-c', true))
    .option('-i <seconds>', 'interval between requests (default 1)', num('-i', false))
    .option('-s <size>', 'ICMP data bytes (default 56)', num('-s', true))
    .option('-M <pmtudisc>', 'path MTU discovery: do (DF), dont, want (default)')
    .option('-W <seconds>', 'wait for replies after the last request (default 10)', num('-W', false))
    .option('--df <mode>', 'MTU scenarios: flannel.1 df unset (default), set or inherit')
    .option('--udp <port>', 'send one UDP datagram to this port instead of pings', num('--udp', true))
    .option('--monitor', "interleave each node's `ip -ts monitor neigh` lines")
    .option('--no-agent', 'no old flanneld answers the misses')
    .option('--json', 'the result as JSON (lines, per-sequence outcome, notifications)')
    .action(async (o: PingCli) => {
      const mtu = MTU_NAMES.includes(o.scenario);
      const known = [...PING_SCENARIOS.map((f) => f.name), ...MTU_NAMES];
      if (!mtu && !PING_SCENARIOS.some((f) => f.name === o.scenario)) throw new InputError('UnknownScenario', o.scenario, `--scenario: one of ${known.join(', ')}`);
      const flavour = mtu ? undefined : pingFlavour(o.scenario);
      if (mtu && !MTU_HOSTS.includes(o.from)) throw new InputError('UnknownPod', o.from, `--from: one of ${MTU_HOSTS.join(', ')}`);
      if (!mtu) pingPod(o.from);
      if (o.M !== undefined && !['do', 'dont', 'want'].includes(o.M)) throw new InputError('InvalidOption', o.M, '-M: do, dont or want');
      if (o.df !== undefined && !mtu) throw new InputError('InvalidOption', '--df', `an MTU scenario (${MTU_NAMES.join(', ')})`);
      if (o.df !== undefined && !['unset', 'set', 'inherit'].includes(o.df)) throw new InputError('InvalidOption', o.df, '--df: unset, set or inherit');
      const core = await createCore();
      const net = flavour ? buildPingScenario(core, flavour, { noAgent: !o.agent }) : buildMtuScenario(core, o.scenario, { df: o.df as DfMode | undefined });
      const nodes = flavour ? ['master', 'minion'] : ['node1', 'node2'];
      try {
        const r = ping(net, { from: o.from, to: o.to, count: o.c, interval: o.i, size: o.s, pmtudisc: o.M as 'do' | 'dont' | 'want' | undefined, timeout: o.W, udpPort: o.udp, monitor: o.monitor });
        if (o.json) {
          const out = {
            scenario: o.scenario,
            transmitted: r.transmitted,
            received: r.received,
            errors: r.errors,
            endMs: r.endMs,
            seqs: r.seqs.map((s) => ({ seq: s.seq, sentMs: s.sentMs, outcome: s.outcome, ...(s.rttMs !== undefined ? { rttMs: s.rttMs } : {}), ...(s.error ? { error: s.error } : {}), disposition: s.trace.disposition, later: s.later.map((t) => t.disposition) })),
            lines: r.lines,
            neigh: Object.fromEntries(nodes.map((n) => [n, net.ipNeigh(n)])),
            fdb: Object.fromEntries(nodes.map((n) => [n, net.bridgeFdb(n)])),
          };
          await write(io.stdout, JSON.stringify(out, null, 2) + '\n');
        } else {
          const t = pingText(r);
          if (t.stderr) await write(io.stderr, t.stderr);
          await write(io.stdout, t.stdout);
        }
        state.status = r.received > 0 ? 0 : 1;
      } finally {
        net.dispose();
      }
    });
}
