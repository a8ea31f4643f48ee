/**
 * A cluster file made real: the kernels (one `SimNetwork`, programmed only
 * through its door), the store (behind a link that `store-down` cuts), the
 * simulated clock, the underlay, the design's control plane, converged; the
 * file's events scheduled on the clock at their times (`at:` from the
 * moment the cluster is built), and `advanceTo` to move to a time.
 */
import { CnikitError } from '../core/errors.js';
import type { Core } from '../core/core.js';
import { createNetwork, Netlink, type SimNetwork } from '../kernel/index.js';
import { MemoryStore, SimClock } from '../store/index.js';
import type { Design, DesignRun } from './design.js';
import { formatDuration } from './duration.js';
import { OutageStore } from './outage.js';
import type { Cluster, ClusterEvent } from './spec.js';
import { buildUnderlay } from './underlay.js';

/** A built cluster. */
export interface ClusterRun {
  cluster: Cluster;
  design: Design;
  run: DesignRun;
  net: SimNetwork;
  nl: Netlink;
  store: OutageStore;
  backing: MemoryStore;
  clock: SimClock;
  /** Events applied so far, as `10m0s node-down node2`. */
  applied: string[];
  /** Applies an event now (as if the file had it at this time). */
  applyNow(kind: ClusterEvent['kind'], node?: string): void;
  /** Moves the clock to `ms` after the build (not backwards), applying the events up to it. */
  advanceTo(ms: number): void;
  dispose(): void;
}

/** Options of {@link buildCluster}. */
export interface BuildClusterOptions {
  /** Seed of the design's random choices. Default 1. */
  seed?: number;
}

/** Builds and converges `cluster` with `design` on a fresh network of `core`. */
export function buildCluster(core: Core, cluster: Cluster, design: Design, opts: BuildClusterOptions = {}): ClusterRun {
  design.validate(cluster);
  const clock = new SimClock();
  const backing = new MemoryStore({ clock });
  const store = new OutageStore(backing);
  const net = createNetwork(core, { clock });
  const nl = Netlink.of(net);
  try {
    buildUnderlay(nl, cluster);
  } catch (e) {
    net.dispose();
    throw e;
  }
  const run = design.build(cluster, { net, nl, store, backing, clock, seed: opts.seed ?? 1 });
  run.converge();
  const t0 = clock.now();
  const applied: string[] = [];
  for (const ev of cluster.events) clock.setTimer(ev.atMs, () => {
    apply(cluster, nl, run, store, ev);
    applied.push(`${formatDuration(ev.atMs)} ${ev.kind}${ev.node ? ` ${ev.node}` : ''}`);
    run.converge();
  });
  return {
    cluster, design, run, net, nl, store, backing, clock, applied,
    applyNow(kind, node) {
      apply(cluster, nl, run, store, { atMs: clock.now() - t0, kind, node, path: [] });
      run.converge();
    },
    advanceTo(ms: number) {
      const target = t0 + ms;
      if (target < clock.now()) throw new CnikitError('ClockBackwards', `the cluster is at ${formatDuration(clock.now() - t0)}; it cannot go back to ${formatDuration(ms)}`);
      clock.advance(target - clock.now());
      run.converge();
    },
    dispose: () => net.dispose(),
  };
}

/**
 * A node that goes down loses its agents and its NIC (`eth0` down, which
 * flushes the routes through it); coming back, the NIC comes up, the
 * underlay's default route is added again (as the node's network config
 * would at boot) and the design restarts its agents. Pods keep their
 * namespaces: the model has no reboot that recreates them.
 */
function apply(c: Cluster, nl: Netlink, run: DesignRun, store: OutageStore, ev: ClusterEvent): void {
  const node = ev.node!;
  switch (ev.kind) {
    case 'store-down': store.setDown(true); return;
    case 'store-up': store.setDown(false); return;
    case 'node-down':
      run.nodeDown(node);
      nl.linkSet(node, 'eth0', { up: false });
      return;
    case 'node-up': {
      nl.linkSet(node, 'eth0', { up: true });
      const n = c.nodes.find((x) => x.name === node)!;
      const rack = c.underlay.racks.find((r) => r.name === n.rack)!;
      if (c.underlay.racks.length > 1) nl.routeReplace(node, { dst: 'default', via: rack.gateway, dev: 'eth0' });
      run.nodeUp(node);
      return;
    }
    default: run.event(ev.kind, node);
  }
}
