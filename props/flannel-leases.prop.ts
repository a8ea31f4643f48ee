// Model-based test of flanneld's subnet manager: five nodes share a network
// with room for three leases (10.5.0.0/26: /28s, the first skipped), start,
// die, restart and wait on the simulated clock while the store's link goes
// down and up. The model is a plain map subnet -> {PublicIP, expiry}.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStore, SimClock } from '../src/store/index.js';
import { OutageStore } from '../src/cluster/outage.js';
import { SubnetManager, type LeaseKeeper } from '../src/flannel/subnet-manager.js';
import { parseNetConf } from '../src/flannel/net-conf.js';
import { overlap, parseSubnetKey, subnetKey, SUBNET_TTL_S, type Subnet } from '../src/flannel/lease.js';
import { seededRandInt } from '../src/flannel/rand.js';
import { CnikitError } from '../src/core/errors.js';

const NODES = 5;
const CONF = parseNetConf({ Network: '10.5.0.0/26', Backend: { Type: 'vxlan' } });
const SLOTS = [1, 2, 3].map((k) => ({ addr: CONF.networkAddr + k * 16, len: 28 }));
const ip = (i: number) => `192.168.0.${10 + i}`;
const DAY = SUBNET_TTL_S * 1000;

interface ModelLease { ip: string; expiry: number | 'renewed' }
interface Model {
  now: number;
  down: boolean;
  /** Went down at least once since each running node's last acquire. */
  downSeen: boolean[];
  leases: Map<string, ModelLease>;
  running: boolean[];
  /** FLANNEL_SUBNET kept in subnet.env across restarts. */
  prev: (Subnet | undefined)[];
  subnet: (Subnet | undefined)[];
}
interface Real {
  clock: SimClock;
  store: MemoryStore;
  link: OutageStore;
  keepers: (LeaseKeeper | undefined)[];
  revoked: boolean[];
  rand: (n: number) => number;
}

const same = (a: Subnet | undefined, b: Subnet | undefined) => !!a && !!b && a.addr === b.addr && a.len === b.len;

function check(m: Model, r: Real): void {
  const kvs = r.store.range('/coreos.com/network/subnets', { prefix: true }).kvs;
  const subs = kvs.map((kv) => parseSubnetKey(kv.key)!);
  // Leases never overlap, and one node holds at most one.
  for (let a = 0; a < subs.length; a++) for (let b = a + 1; b < subs.length; b++) expect(overlap(subs[a], subs[b])).toBe(false);
  const ips = kvs.map((kv) => JSON.parse(kv.value).PublicIP);
  expect(new Set(ips).size).toBe(ips.length);
  // The store holds exactly the model's keys.
  expect(kvs.map((kv) => kv.key.split('/').pop()).sort()).toEqual([...m.leases.keys()].sort());
  for (let i = 0; i < NODES; i++) {
    if (!m.running[i]) continue;
    // A running node's lease is in the store under its own PublicIP, unless the link is down.
    if (!m.down) expect(m.leases.get(subnetKey(m.subnet[i]!))?.ip).toBe(ip(i));
    expect(r.revoked[i]).toBe(false);
  }
}

class Start implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => !m.running[this.i];
  run(m: Model, r: Real): void {
    const i = this.i;
    const sm = new SubnetManager(r.link, r.clock, { randInt: r.rand });
    const attrs = { PublicIP: ip(i), BackendType: 'vxlan', BackendData: { VNI: 1, VtepMAC: `02:00:00:00:00:0${i}` } };
    const byIp = [...m.leases].find(([, l]) => l.ip === ip(i));
    const free = SLOTS.filter((s) => !m.leases.has(subnetKey(s)));
    const prev = m.prev[i];
    let lease;
    try {
      lease = sm.acquireLease(CONF, attrs, prev);
    } catch (e) {
      expect(e).toBeInstanceOf(CnikitError);
      if (m.down) expect((e as CnikitError).code).toBe('Unavailable');
      else {
        expect((e as CnikitError).message).toBe('OutOfSubnets: out of subnets');
        expect(byIp).toBeUndefined();
        expect(free).toEqual([]);
      }
      return;
    }
    expect(m.down).toBe(false);
    if (byIp) expect(subnetKey(lease.subnet)).toBe(byIp[0]); // its own lease, found by PublicIP
    else if (prev && !m.leases.has(subnetKey(prev))) expect(same(lease.subnet, prev)).toBe(true); // subnet.env's, still free
    else expect(free.some((s) => same(s, lease.subnet))).toBe(true);
    m.leases.set(subnetKey(lease.subnet), { ip: ip(i), expiry: 'renewed' });
    m.running[i] = true;
    m.downSeen[i] = false;
    m.subnet[i] = lease.subnet;
    m.prev[i] = lease.subnet;
    r.revoked[i] = false;
    r.keepers[i] = sm.completeLease(lease, () => {
      r.revoked[i] = true;
    });
    check(m, r);
  }
  toString = () => `start node${this.i}`;
}

class Die implements fc.Command<Model, Real> {
  constructor(readonly i: number) {}
  check = (m: Readonly<Model>) => m.running[this.i];
  run(m: Model, r: Real): void {
    const k = r.keepers[this.i]!;
    k.stop();
    // Nobody renews it any more: it expires a TTL after its last write.
    // (During an outage its key may already have lapsed.)
    const l = m.leases.get(subnetKey(m.subnet[this.i]!));
    if (l) l.expiry = k.lease.expiresAt!;
    m.running[this.i] = false;
    check(m, r);
  }
  toString = () => `die node${this.i}`;
}

class Link implements fc.Command<Model, Real> {
  constructor(readonly down: boolean) {}
  check = (m: Readonly<Model>) => m.down !== this.down;
  run(m: Model, r: Real): void {
    r.link.setDown(this.down);
    m.down = this.down;
    if (this.down) m.downSeen = m.downSeen.map(() => true);
    else settleRevoked(m, r);
    check(m, r);
  }
  toString = () => `store ${this.down ? 'down' : 'up'}`;
}

/** A running node whose key went while it could not renew learns it from the replayed DELETE and exits. */
function settleRevoked(m: Model, r: Real): void {
  for (let i = 0; i < NODES; i++) {
    if (!m.running[i]) continue;
    if (!m.leases.has(subnetKey(m.subnet[i]!))) {
      expect(m.downSeen[i]).toBe(true); // only an outage can cost a running node its lease
      expect(r.revoked[i]).toBe(true);
      m.running[i] = false;
    } else expect(r.revoked[i]).toBe(false);
  }
}

class Wait implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    r.clock.advance(this.ms);
    m.now += this.ms;
    for (const [k, l] of [...m.leases]) {
      if (l.expiry !== 'renewed' && l.expiry <= m.now) m.leases.delete(k);
    }
    // Running nodes renew while the link is up; while it is down their keys may lapse.
    for (let i = 0; i < NODES; i++) {
      if (!m.running[i]) continue;
      const key = subnetKey(m.subnet[i]!);
      const inStore = r.store.get(`/coreos.com/network/subnets/${key}`) !== undefined;
      if (!inStore) {
        expect(m.downSeen[i]).toBe(true);
        m.leases.delete(key);
      }
    }
    if (!m.down) settleRevoked(m, r);
    check(m, r);
  }
  toString = () => `wait ${this.ms / 60000}m`;
}

describe('flannel subnet leases (model-based)', () => {
  it('never overlap; dead nodes expire after the TTL; restarts get their subnet back when free; outages cost a lease only when they outlast the renew margin', () => {
    const commands = [
      fc.integer({ min: 0, max: NODES - 1 }).map((i) => new Start(i)),
      fc.integer({ min: 0, max: NODES - 1 }).map((i) => new Die(i)),
      fc.boolean().map((d) => new Link(d)),
      fc.constantFrom(60_000, 30 * 60_000, 3_600_000, 12 * 3_600_000, 23 * 3_600_000, DAY + 60_000).map((ms) => new Wait(ms)),
    ];
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: 'large' }), fc.integer({ min: 1, max: 1000 }), (cmds, seed) => {
        const clock = new SimClock();
        const store = new MemoryStore({ clock });
        const model: Model = {
          now: 0, down: false, downSeen: Array(NODES).fill(false), leases: new Map(),
          running: Array(NODES).fill(false), prev: Array(NODES).fill(undefined), subnet: Array(NODES).fill(undefined),
        };
        const real: Real = { clock, store, link: new OutageStore(store), keepers: [], revoked: Array(NODES).fill(false), rand: seededRandInt(seed) };
        fc.modelRun(() => ({ model, real }), cmds);
      }),
    );
  });
});
