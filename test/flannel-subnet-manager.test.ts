// flanneld's etcd subnet manager (local_manager.go, registry.go) over the store.
import { describe, expect, it } from 'vitest';
import { MemoryStore, SimClock } from '../src/store/index.js';
import { OutageStore } from '../src/cluster/outage.js';
import { SubnetManager, type LeaseEvent } from '../src/flannel/subnet-manager.js';
import { parseNetConf } from '../src/flannel/net-conf.js';
import { attrsJson, parseSubnetKey, subnetText } from '../src/flannel/lease.js';

const H = 3_600_000;
const vx = (i: number) => ({ PublicIP: `192.168.1.${i}`, BackendType: 'vxlan', BackendData: { VNI: 1, VtepMAC: `c6:d2:32:6f:8f:${(i & 255).toString(16).padStart(2, '0')}` } });

function setup(network = '10.244.0.0/16') {
  const clock = new SimClock();
  const store = new MemoryStore({ clock });
  store.put('/coreos.com/network/config', JSON.stringify({ Network: network, Backend: { Type: 'vxlan' } }));
  const sm = new SubnetManager(store, clock);
  return { clock, store, sm, conf: sm.getNetworkConfig() };
}

describe('lease keys and values as flanneld writes them', () => {
  it('LeaseAttrs JSON in Go field order, omitempty honoured', () => {
    expect(attrsJson(vx(3))).toBe('{"PublicIP":"192.168.1.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:03"}}');
    expect(attrsJson({ PublicIP: '10.0.0.1' })).toBe('{"PublicIP":"10.0.0.1","PublicIPv6":null}'); // udp: no BackendType
    expect(attrsJson({ PublicIP: '10.0.0.1', BackendType: 'host-gw' })).toBe('{"PublicIP":"10.0.0.1","PublicIPv6":null,"BackendType":"host-gw"}');
  });

  it('the key is <prefix>/subnets/a.b.c.d-len, parsed back by ParseSubnetKey', () => {
    const { sm, conf, store } = setup();
    const l = sm.acquireLease(conf, vx(1));
    const kv = store.range('/coreos.com/network/subnets/', { prefix: true }).kvs[0];
    expect(kv.key).toBe(`/coreos.com/network/subnets/${subnetText(l.subnet).replace('/', '-')}`);
    expect(kv.value).toBe(attrsJson(vx(1)));
    expect(store.timeToLive(kv.lease).grantedTtl).toBe(86400);
    expect(parseSubnetKey('/coreos.com/network/subnets/10.244.7.0-24&fc00:0:0:7::-64')).toEqual({ addr: 0x0af40700, len: 24 });
    expect(parseSubnetKey('/coreos.com/network/subnets/garbage')).toBeUndefined();
  });

  it('a missing config is flanneld\'s "Did you create your config using etcdv3 API?"', () => {
    const clock = new SimClock();
    expect(() => new SubnetManager(new MemoryStore({ clock }), clock).getNetworkConfig()).toThrow(/flannel config not found in etcd store. Did you create your config using etcdv3 API\?/);
    expect(() => new SubnetManager(new MemoryStore({ clock }), clock, { renewMarginMin: 1440 })).toThrow(/subnet-lease-renew-margin/);
  });
});

describe('choosing a subnet', () => {
  it('a /16 of /24s holds 255 leases (SubnetMin skips 10.244.0.0/24); the 256th node gets "out of subnets"', () => {
    const { sm, conf } = setup();
    const got = new Set<string>();
    for (let i = 0; i < 255; i++) got.add(subnetText(sm.acquireLease(conf, vx(i)).subnet));
    expect(got.size).toBe(255);
    expect(got.has('10.244.0.0/24')).toBe(false);
    expect(() => sm.acquireLease(conf, vx(999))).toThrow(/^OutOfSubnets: out of subnets$/);
  });

  it('picks at random among the first 100 free subnets, reproducibly for one seed', () => {
    const pick = () => {
      const { sm, conf } = setup('10.0.0.0/8');
      return [0, 1, 2, 3].map((i) => sm.acquireLease(conf, vx(i)).subnet.addr - conf.subnetMin);
    };
    const a = pick();
    expect(pick()).toEqual(a);
    for (const off of a) expect(off / 256).toBeLessThan(104); // within the first 100 free (+ the ones taken before)
    expect(new Set(a).size).toBe(4);
  });

  it('skips every candidate a lease of another length overlaps, as flanneld\'s per-lease test does', () => {
    const { sm, conf, store } = setup();
    store.put('/coreos.com/network/subnets/10.244.0.0-22', attrsJson(vx(200))); // covers 10.244.1.0 .. 10.244.3.0
    store.put('/coreos.com/network/subnets/10.244.5.128-25', attrsJson(vx(201))); // half of 10.244.5.0/24
    const picks = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const m = new SubnetManager(store, sm.clock, { randInt: (n) => (seed * 7) % n });
      const s = m.allocateSubnet(conf, m.listLeases().leases);
      picks.add(subnetText(s));
    }
    for (const p of ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24', '10.244.5.0/24']) expect(picks.has(p)).toBe(false);
    expect(picks.has('10.244.4.0/24')).toBe(true);
    const all = new SubnetManager(store, sm.clock, { randInt: () => 0 }).allocateSubnet(conf, sm.listLeases().leases);
    expect(subnetText(all)).toBe('10.244.4.0/24'); // the first free one
    const last = new SubnetManager(store, sm.clock, { randInt: (n) => n - 1 }).allocateSubnet(conf, sm.listLeases().leases);
    expect(subnetText(last)).toBe('10.244.104.0/24'); // the 100th free one: .4, .6 .. .104
  });

  it('reuses the lease holding its PublicIP, then the subnet.env subnet when free, else allocates', () => {
    const { sm, conf, store } = setup();
    const a = sm.acquireLease(conf, vx(1));
    const again = sm.acquireLease(conf, vx(1));
    expect(again.subnet).toEqual(a.subnet);
    expect(store.range('/coreos.com/network/subnets/', { prefix: true }).count).toBe(1);
    const prev = { addr: conf.networkAddr + 42 * 256, len: 24 };
    expect(sm.acquireLease(conf, vx(2), prev).subnet).toEqual(prev);
    // Held by someone else now: the hint is ignored.
    expect(sm.acquireLease(conf, vx(3), prev).subnet).not.toEqual(prev);
    // Outside [SubnetMin, SubnetMax]: ignored too.
    expect(sm.acquireLease(conf, vx(4), { addr: conf.networkAddr, len: 24 }).subnet.addr).not.toBe(conf.networkAddr);
  });

  it('a lease for its PublicIP that no longer fits the config is deleted and a new one allocated', () => {
    const { store, clock } = setup();
    store.put('/coreos.com/network/subnets/10.244.5.0-26', attrsJson(vx(1)));
    const conf = parseNetConf({ Network: '10.244.0.0/16' });
    const l = new SubnetManager(store, clock).acquireLease(conf, vx(1));
    expect(l.subnet.len).toBe(24);
    expect(store.get('/coreos.com/network/subnets/10.244.5.0-26')).toBeUndefined();
  });

  it('a lost create race revokes the grant and fails with "subnet already exists" (not retried, as flanneld)', () => {
    const { sm, conf, store } = setup('10.9.0.0/24'); // /26s: three usable
    let raced = false;
    const racing = new Proxy(store, {
      get(t, p) {
        if (p === 'txn') return (req: Parameters<typeof store.txn>[0]) => {
          if (!raced) { raced = true; store.put(req.success![0].key, attrsJson(vx(7))); }
          return store.txn(req);
        };
        const v = Reflect.get(t, p);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    const before = store.stats().leases;
    expect(() => new SubnetManager(racing, sm.clock).acquireLease(conf, vx(1))).toThrow(/SubnetExists: subnet already exists/);
    expect(store.stats().leases).toBe(before);
  });
});

describe('renewal, expiry and watches', () => {
  it('renews 1 h before expiry with a new grant; a failed renewal retries every minute', () => {
    const { conf, store, clock } = setup();
    const link = new OutageStore(store);
    const m = new SubnetManager(link, clock);
    const l = m.acquireLease(conf, vx(1));
    const key = m.keyOf(l.subnet);
    let revoked = 0;
    const k = m.completeLease(l, () => revoked++);
    const rev0 = store.get(key)!.modRevision;
    clock.advance(23 * H - 1);
    expect(store.get(key)!.modRevision).toBe(rev0);
    clock.advance(1);
    expect(store.get(key)!.modRevision).toBeGreaterThan(rev0);
    expect(k.lease.expiresAt).toBe(47 * H);
    expect(store.get(key)!.lease).not.toBe(l.etcdLease);
    // Down at the next renewal (46 h), back at 46 h 30 s: renewed at the next minute tick, 46 h 1 min.
    clock.advance(23 * H - 1000);
    link.setDown(true);
    clock.advance(1000 + 30_000);
    link.setDown(false);
    const rev1 = store.get(key)!.modRevision;
    clock.advance(29_999);
    expect(store.get(key)!.modRevision).toBe(rev1);
    clock.advance(1);
    expect(store.get(key)!.modRevision).toBeGreaterThan(rev1);
    expect(revoked).toBe(0);
  });

  it('an outage longer than the margin costs the lease: the replayed DELETE revokes it, and the node exits', () => {
    const { conf, store, clock } = setup();
    const link = new OutageStore(store);
    const m = new SubnetManager(link, clock);
    const l = m.acquireLease(conf, vx(1));
    let revoked = 0;
    m.completeLease(l, () => revoked++);
    clock.advance(22 * H);
    link.setDown(true);
    clock.advance(2 * H + 1);
    expect(store.get(m.keyOf(l.subnet))).toBeUndefined();
    expect(revoked).toBe(0); // it cannot hear it yet
    link.setDown(false);
    expect(revoked).toBe(1);
  });

  it('watchLeases: the others now, then added/removed; its own subnet never', () => {
    const { sm, conf, clock, store } = setup();
    const a = sm.acquireLease(conf, vx(1));
    const b = sm.acquireLease(conf, vx(2));
    const seen: string[] = [];
    const log = (ev: LeaseEvent[]) => ev.forEach((e) => seen.push(`${e.type} ${subnetText(e.lease.subnet)} ${e.lease.attrs.PublicIP}`));
    sm.watchLeases(a.subnet, log);
    expect(seen).toEqual([`added ${subnetText(b.subnet)} 192.168.1.2`]);
    seen.length = 0;
    sm.renewLease(a); // own: dropped
    const c = sm.acquireLease(conf, vx(3));
    store.delete(sm.keyOf(c.subnet));
    clock.advance(24 * H); // b (and a) expire, unrenewed
    expect(seen).toEqual([`added ${subnetText(c.subnet)} 192.168.1.3`, `removed ${subnetText(c.subnet)} 192.168.1.3`, `removed ${subnetText(b.subnet)} 192.168.1.2`]);
  });
});
