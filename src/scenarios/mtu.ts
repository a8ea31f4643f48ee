/**
 * The MTU scenarios of a Flannel-style VXLAN overlay, as measured on Linux
 * (../shared/reference/kernel-mtu.md): two nodes 10.0.0.11 and 10.0.0.12
 * on segment `lan`, `flannel.1` (VNI 1, port 8472, `nolearning`), pods
 * `a` 10.244.1.2 on node1 and `b` 10.244.2.2 on node2 on `cni0`.
 *
 * - `mtu-consistent`: underlay 1500, flannel.1 1450, cni0 and pods 1450.
 * - `mtu-pod-too-big`: pods and cni0 1500 over flannel.1 1450.
 * - `mtu-underlay-smaller`: flannel.1 made at 1450 over a 1500 eth0, then
 *   eth0 lowered to 1400 (Linux leaves the vxlan MTU as it was); pods 1450;
 *   `df` sets flannel.1's `df unset|set|inherit`.
 * - `mtu-path-smaller`: NICs 1500, the switch ports (bridge ports in real
 *   namespaces) 1400.
 * - `mtu-auto-1400`, `mtu-auto-9000`: flannel.1 created without `mtu` on a
 *   1400 / 9000 underlay (Linux gives it lower - 50), pods at that MTU as
 *   Flannel's FLANNEL_MTU.
 *
 * Each is a `Scenario` (built by buildScenario, exported to real namespaces
 * by `src/netns/export.ts`) plus the changes made after it, applied through
 * the door (the export appends them as `ip link set` lines).
 */
import type { Core } from '../core/core.js';
import { InputError } from '../core/errors.js';
import { buildScenario, type BuildOptions } from '../kernel/build.js';
import { Netlink } from '../kernel/netlink.js';
import type { SimNetwork } from '../kernel/network.js';
import type { Scenario } from '../kernel/scenario.js';
import { flannelTwoNodes } from './flannel.js';

/** VXLAN `df` of flannel.1. */
export type DfMode = 'unset' | 'set' | 'inherit';

/** A change made after the scenario is built: `ip link set DEV mtu N` in `ns`, or a sysctl. */
export type MtuChange = { readonly ns: string; readonly dev: string; readonly mtu: number } | { readonly ns: string; readonly sysctl: string; readonly value: string };

/** An MTU scenario: what is built, then what is changed. */
export interface MtuScenario {
  readonly scenario: Scenario;
  readonly after: readonly MtuChange[];
}

/** Names of the MTU scenarios. */
export const MTU_SCENARIOS = ['mtu-consistent', 'mtu-pod-too-big', 'mtu-underlay-smaller', 'mtu-path-smaller', 'mtu-auto-1400', 'mtu-auto-9000'] as const;
export type MtuScenarioName = (typeof MTU_SCENARIOS)[number];

/** Options of an MTU scenario. */
export interface MtuOptions {
  /** flannel.1's `df`. Default unset. */
  df?: DfMode;
  /** `net.ipv4.ip_forward_use_pmtu` on both nodes. Default false (Linux's). */
  forwardUsePmtu?: boolean;
}

function two(name: string, description: string, podMtu: number, underlayMtu: number, segMtu: number, o: MtuOptions, auto = false): Scenario {
  const nodes = flannelTwoNodes(podMtu, underlayMtu);
  for (const n of nodes) {
    for (const i of n.interfaces) {
      if (i.kind !== 'vxlan') continue;
      if (auto) delete i.mtu;
      if (o.df && o.df !== 'unset') i.df = o.df;
    }
  }
  return { name, description, segments: [{ name: 'lan', mtu: segMtu }], nodes, probes: [] };
}

/** The MTU scenario `name` (see the file's header). */
export function mtuScenario(name: string, o: MtuOptions = {}): MtuScenario {
  if (o.df !== undefined && o.df !== 'unset' && o.df !== 'set' && o.df !== 'inherit') throw new InputError('InvalidDf', String(o.df), 'df unset, set or inherit');
  const sysctls: MtuChange[] = o.forwardUsePmtu ? ['node1', 'node2'].map((ns) => ({ ns, sysctl: 'net.ipv4.ip_forward_use_pmtu', value: '1' })) : [];
  switch (name as MtuScenarioName) {
    case 'mtu-consistent':
      return { scenario: two(name, 'underlay 1500, flannel.1 1450, cni0 and pods 1450', 1450, 1500, 1500, o), after: sysctls };
    case 'mtu-pod-too-big':
      return { scenario: two(name, 'pods and cni0 1500 over flannel.1 1450', 1500, 1500, 1500, o), after: sysctls };
    case 'mtu-underlay-smaller':
      return {
        scenario: two(name, `underlay lowered to 1400 under flannel.1 1450 (df ${o.df ?? 'unset'})`, 1450, 1500, 1400, o),
        after: [...['node1', 'node2'].map((ns) => ({ ns, dev: 'eth0', mtu: 1400 })), ...sysctls],
      };
    case 'mtu-path-smaller':
      return { scenario: two(name, 'NICs 1500, switch ports 1400', 1450, 1500, 1400, o), after: sysctls };
    case 'mtu-auto-1400':
      return { scenario: two(name, 'flannel.1 created without mtu on a 1400 underlay', 1350, 1400, 1400, o, true), after: sysctls };
    case 'mtu-auto-9000':
      return { scenario: two(name, 'flannel.1 created without mtu on a 9000 underlay', 8950, 9000, 9000, o, true), after: sysctls };
  }
  throw new InputError('UnknownScenario', name, `an MTU scenario (${MTU_SCENARIOS.join(', ')})`);
}

/** Applies `after` through the door. */
export function applyMtuChanges(net: SimNetwork, after: readonly MtuChange[]): void {
  const nl = Netlink.of(net);
  for (const c of after) {
    if ('mtu' in c) nl.linkSet(c.ns, c.dev, { mtu: c.mtu });
    else nl.sysctl(c.ns, c.sysctl, c.value);
  }
}

/** Builds the MTU scenario `name` in the model: buildScenario, then the changes after it. */
export function buildMtuScenario(core: Core, name: string, o: MtuOptions = {}, build: BuildOptions = {}): SimNetwork {
  const m = mtuScenario(name, o);
  const net = buildScenario(core, m.scenario, build);
  try {
    applyMtuChanges(net, m.after);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}

/** The shell lines that make the same changes in real namespaces named as `nsName` says. */
export function mtuChangeLines(after: readonly MtuChange[], nsName: (ns: string) => string = (ns) => ns): string[] {
  return after.map((c) => ('mtu' in c ? `ip -n ${nsName(c.ns)} link set ${c.dev} mtu ${c.mtu}` : `ip netns exec ${nsName(c.ns)} sysctl -qw ${c.sysctl}=${c.value}`));
}
