// Model-based test of a whole Flannel cluster: four nodes (two racks for the
// overlays, one for host-gw) go down and come back, the store's link fails
// and recovers, and time passes on the simulated clock, with every backend (and vxlan with v0.5's netlink misses).
// After each command: leases never overlap; with the store reachable, every
// live node routes exactly the other leases in the store (a dead node's
// routes go when its lease expires) and every live pod reaches every live pod
// whose address is still its node's; a restarted node gets its old subnet
// back when it is still free; during an outage forwarding stays as
// programmed on nodes nobody touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/index.js';
import { buildCluster, parseCluster, verifyCluster, type ClusterRun } from '../src/cluster/index.js';
import { flannelDesign, parseSubnetKey, subnetText } from '../src/flannel/index.js';

let core: Core;
beforeAll(async () => {
  core = await createCore();
});

const NODES = ['n1', 'n2', 'n3', 'n4'];
const H = 3_600_000;

/** `vxlan-v0.5`: the vxlan backend with the legacy netlink misses. */
function file(backend: string): string {
  const legacy = backend === 'vxlan-v0.5' ? '  legacyMisses: true\n' : '';
  const type = legacy ? 'vxlan' : backend;
  const racks = backend === 'host-gw' ? '' : `underlay:
  racks:
    - { name: r1, cidr: 10.0.1.0/24 }
    - { name: r2, cidr: 10.0.2.0/24 }
`;
  const rack = (i: number) => (backend === 'host-gw' ? '' : `, rack: r${(i % 2) + 1}`);
  return `${racks}nodes:
${NODES.map((n, i) => `  - { name: ${n}${rack(i)}, pods: 1 }`).join('\n')}
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: ${type} } }
${legacy}`;
}

interface Model {
  down: Set<string>;
  storeDown: boolean;
  /** Routes of each node when the outage began, for nodes untouched since. */
  frozen: Map<string, string>;
  /**
   * Nodes whose flanneld was not running when some lease went: flanneld
   * starts from a snapshot and never removes routes of leases it did not see
   * go (no reconcile in the vxlan and route backends), so these may keep
   * stale ones, as a real node whose flanneld restarted does.
   */
  missed: Set<string>;
}
interface Real {
  r: ClusterRun;
  backend: string;
}

const leaseOf = (r: ClusterRun, n: string) => /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1\/(\d+)/.exec(r.run.show(n, 'subnet-env') ?? '');
const storeLeases = (r: ClusterRun) => r.backing.range('/coreos.com/network/subnets/', { prefix: true }).kvs.map((kv) => subnetText(parseSubnetKey(kv.key)!));

function check(m: Model, { r, backend }: Real): void {
  const leases = storeLeases(r);
  // Never two leases sharing an address (keys are distinct /24s of one length here).
  expect(new Set(leases).size).toBe(leases.length);
  for (const [n, routes] of m.frozen) if (!m.down.has(n)) expect(r.net.ipRoute(n)).toBe(routes);
  if (m.storeDown) return;
  for (const n of NODES) {
    if (!r.run.nodeLive(n)) continue;
    const own = leaseOf(r, n)!;
    const mine = `${own[1]}.0/${own[2]}`;
    expect(leases).toContain(mine);
    if (backend === 'udp' || backend === 'wireguard') continue; // one Network route; peers live in the agent
    if (backend === 'vxlan-v0.5') {
      // One Network route; per lease an FDB entry (reconciled at start, so never stale).
      const fdb = [...r.net.bridgeFdb(n).matchAll(/dev flannel\.1 dst (\S+) self permanent/g)].map((x) => x[1]).sort();
      const ips = r.backing.range('/coreos.com/network/subnets/', { prefix: true }).kvs.filter((kv) => subnetText(parseSubnetKey(kv.key)!) !== mine).map((kv) => (JSON.parse(kv.value) as { PublicIP: string }).PublicIP).sort();
      expect(fdb).toEqual(ips);
      continue;
    }
    const routed = [...r.net.ipRoute(n).matchAll(/^(10\.244\.\d+\.0\/24) via /gm)].map((x) => x[1]).sort();
    const others = leases.filter((l) => l !== mine).sort();
    if (m.missed.has(n)) expect(routed).toEqual(expect.arrayContaining(others));
    else expect(routed).toEqual(others);
  }
  const v = verifyCluster(r, { maxViolations: 100 });
  const orphans = new Set(v.violations.filter((x) => x.includes('from an earlier lease')).map((x) => /pod (\S+)/.exec(x)![1]));
  const bad = v.violations.filter((x) => {
    if (x.includes('from an earlier lease')) return false;
    const pair = /^(\S+) \(.*\) -> (\S+) \(/.exec(x);
    return !pair || !(orphans.has(pair[1]) || orphans.has(pair[2]));
  });
  expect(bad).toEqual([]);
}

class Down implements fc.Command<Model, Real> {
  constructor(readonly n: string) {}
  check = (m: Readonly<Model>) => !m.down.has(this.n);
  run(m: Model, real: Real): void {
    real.r.applyNow('node-down', this.n);
    m.down.add(this.n);
    m.missed.add(this.n);
    m.frozen.delete(this.n);
    check(m, real);
  }
  toString = () => `node-down ${this.n}`;
}

class Up implements fc.Command<Model, Real> {
  constructor(readonly n: string) {}
  check = (m: Readonly<Model>) => m.down.has(this.n);
  run(m: Model, real: Real): void {
    const { r } = real;
    const prev = leaseOf(r, this.n);
    const prevKey = prev ? `${prev[1]}.0/${prev[2]}` : undefined;
    const free = !m.storeDown && prevKey !== undefined && !storeLeases(r).includes(prevKey);
    const mineStill = !m.storeDown && prevKey !== undefined && r.backing.get(`/coreos.com/network/subnets/${prev![1]}.0-${prev![2]}`)?.value.includes(`"${r.cluster.nodes.find((x) => x.name === this.n)!.ip}"`);
    r.applyNow('node-up', this.n);
    m.down.delete(this.n);
    m.frozen.delete(this.n);
    if (free || mineStill) {
      const now = leaseOf(r, this.n)!;
      expect(`${now[1]}.0/${now[2]}`).toBe(prevKey); // its old subnet back
    }
    check(m, real);
  }
  toString = () => `node-up ${this.n}`;
}

class Link implements fc.Command<Model, Real> {
  constructor(readonly down: boolean) {}
  check = (m: Readonly<Model>) => m.storeDown !== this.down;
  run(m: Model, real: Real): void {
    real.r.applyNow(this.down ? 'store-down' : 'store-up');
    m.storeDown = this.down;
    m.frozen = new Map(this.down ? NODES.filter((n) => !m.down.has(n)).map((n) => [n, real.r.net.ipRoute(n)]) : []);
    // After an outage a daemon whose lease lapsed exits and restarts from a snapshot.
    if (!this.down) for (const n of NODES) if (/revoked/.test(real.r.run.show(n, 'flanneld-log') ?? '')) m.missed.add(n);
    if (!this.down) real.r.advanceTo(real.r.clock.now() + 10_000); // crash-looped daemons come back
    check(m, real);
  }
  toString = () => `store ${this.down ? 'down' : 'up'}`;
}

class Wait implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, real: Real): void {
    real.r.advanceTo(real.r.clock.now() + this.ms);
    check(m, real);
  }
  toString = () => `wait ${this.ms / 60_000}m`;
}

describe('a Flannel cluster under churn (model-based)', () => {
  const runs: ClusterRun[] = [];
  afterAll(() => runs.forEach((r) => r.dispose()));
  it('leases never overlap, live pods reach live pods, dead leases expire, restarts keep their subnet, outages freeze forwarding', () => {
    const commands = [
      fc.constantFrom(...NODES).map((n) => new Down(n)),
      fc.constantFrom(...NODES).map((n) => new Up(n)),
      fc.boolean().map((d) => new Link(d)),
      fc.constantFrom(10 * 60_000, H, 12 * H, 23 * H, 25 * H).map((ms) => new Wait(ms)),
    ];
    fc.assert(
      fc.property(fc.constantFrom('vxlan', 'vxlan-v0.5', 'host-gw', 'udp', 'ipip', 'wireguard'), fc.commands(commands, { maxCommands: 25, size: 'large' }), (backend, cmds) => {
        const r = buildCluster(core, parseCluster(file(backend), 'churn.yaml'), flannelDesign);
        runs.push(r);
        const real = { r, backend };
        const model: Model = { down: new Set(), storeDown: false, frozen: new Map(), missed: new Set() };
        check(model, real);
        fc.modelRun(() => ({ model, real }), cmds);
        r.dispose();
        runs.pop();
      }),
      { numRuns: 40 },
    );
  });
});
