/**
 * flanneld's etcd subnet manager (`pkg/subnet/etcd/local_manager.go`,
 * `registry.go`) over cnikit's store:
 *
 * - `getNetworkConfig`: the key `<prefix>/config`, parsed and checked.
 * - `acquireLease` (`tryAcquireLease`): list the leases (one `TimeToLive`
 *   per key, as `getSubnets`); reuse the lease holding this node's
 *   `PublicIP` if it fits the config (rewritten with a new 24 h lease; a
 *   reservation, a key without an etcd lease, stays one), else delete it;
 *   then the previous subnet from `subnet.env` if nobody holds it and it
 *   fits; else `allocateSubnet`: the free subnets from `SubnetMin` up, at
 *   most 100, one picked at random (a seeded source here), none left =
 *   `out of subnets`. Created with `Txn(If(Version(key) == 0).Then(Put(key,
 *   value, lease)))`; a lost race revokes the lease and fails with `subnet
 *   already exists` (flanneld's retry loop only retries `ErrDuplicateKey`,
 *   so it does not retry this).
 * - `renewLease` (`updateSubnet`): a new `Grant(24h)` and a `Put` with it
 *   (the old etcd lease expires holding nothing).
 * - `completeLease` (the renew loop, at expiry - `--subnet-lease-renew-margin`,
 *   default 60 min) and `watchLeases` (`LeaseWatcher`): lease-watch.ts.
 */
import { CnikitError } from '../core/errors.js';
import type { SimClock, SyncKVStore, Watcher, KeyValue } from '../store/index.js';
import { cmp } from '../store/index.js';
import { attrsJson, DEFAULT_PREFIX, leaseOf, subnetKey, SUBNET_TTL_S, type Lease, type LeaseAttrs, type Subnet } from './lease.js';
import { parseNetConf, type NetConf } from './net-conf.js';
import { seededRandInt } from './rand.js';
import { completeLease, watchLeases, type LeaseEvent, type LeaseKeeper } from './lease-watch.js';

export type { LeaseEvent, LeaseKeeper };

/** Options of {@link SubnetManager}. */
export interface SubnetManagerOptions {
  /** `--etcd-prefix`. Default `/coreos.com/network`. */
  prefix?: string;
  /** `--subnet-lease-renew-margin` in minutes, 1..1439. Default 60. */
  renewMarginMin?: number;
  /** Uniform integer in [0, n) for `allocateSubnet`. Default a source seeded with 1. */
  randInt?: (n: number) => number;
}

const MAX_CANDIDATES = 100;

/** One node's view of the subnet registry. */
export class SubnetManager {
  readonly prefix: string;
  /** The renew margin in ms. */
  readonly marginMs: number;
  private readonly randInt: (n: number) => number;

  constructor(readonly store: SyncKVStore, readonly clock: SimClock, opts: SubnetManagerOptions = {}) {
    this.prefix = opts.prefix ?? DEFAULT_PREFIX;
    const margin = opts.renewMarginMin ?? 60;
    if (!Number.isInteger(margin) || margin < 1 || margin > 1439) {
      throw new CnikitError('BadFlag', `Invalid subnet-lease-renew-margin option, out of acceptable range: ${margin} (1..1439 minutes)`);
    }
    this.marginMs = margin * 60_000;
    this.randInt = opts.randInt ?? seededRandInt(1);
  }

  /** `<prefix>/subnets/<key>` of a subnet. */
  keyOf(s: Subnet): string {
    return `${this.prefix}/subnets/${subnetKey(s)}`;
  }

  /** The checked network config from `<prefix>/config`. */
  getNetworkConfig(): NetConf {
    const kv = this.store.get(`${this.prefix}/config`);
    if (!kv) throw new CnikitError('ConfigNotFound', 'flannel config not found in etcd store. Did you create your config using etcdv3 API?');
    return parseNetConf(kv.value, `etcd ${this.prefix}/config`);
  }

  /** A store entry as a lease, its expiry from `TimeToLive` (one RPC, as flanneld's `kvToIPLease`). */
  leaseFromKv(kv: KeyValue): Lease | undefined {
    let expiresAt: number | undefined;
    if (kv.lease !== 0) {
      const ttl = this.store.timeToLive(kv.lease);
      expiresAt = this.clock.now() + ttl.ttl * 1000;
    }
    return leaseOf(kv, expiresAt);
  }

  /** `getSubnets`: every lease (bad keys and values skipped, as flanneld logs and skips them) and the revision of the list. */
  listLeases(): { leases: Lease[]; revision: number } {
    const r = this.store.range(`${this.prefix}/subnets`, { prefix: true });
    const leases: Lease[] = [];
    for (const kv of r.kvs) {
      const l = this.leaseFromKv(kv);
      if (l) leases.push(l);
    }
    return { leases, revision: r.revision };
  }

  /** `isSubnetConfigCompat`. */
  static fits(conf: NetConf, s: Subnet): boolean {
    return s.addr >= conf.subnetMin && s.addr <= conf.subnetMax && s.len === conf.subnetLen;
  }

  /** `AcquireLease`: see the module comment. Throws `CnikitError` (`OutOfSubnets`, `SubnetExists`, or the store's). */
  acquireLease(conf: NetConf, attrs: LeaseAttrs, previous?: Subnet): Lease {
    const { leases } = this.listLeases();
    const mine = leases.find((l) => l.attrs.PublicIP === attrs.PublicIP);
    if (mine) {
      if (SubnetManager.fits(conf, mine.subnet)) return this.write(mine.subnet, attrs, mine.etcdLease === 0 ? 0 : SUBNET_TTL_S);
      this.store.delete(this.keyOf(mine.subnet));
    }
    let sn: Subnet | undefined;
    if (previous && !leases.some((l) => l.subnet.addr === previous.addr && l.subnet.len === previous.len) && SubnetManager.fits(conf, previous)) sn = previous;
    sn ??= this.allocateSubnet(conf, leases);
    return this.create(sn, attrs);
  }

  /**
   * `allocateSubnet`: random among the first 100 free subnets of
   * [SubnetMin, SubnetMax]. flanneld tests each candidate against every
   * lease (O(candidates x leases)); here the leases are sorted once and
   * swept, which picks the same candidates.
   */
  allocateSubnet(conf: NetConf, leases: readonly Lease[]): Subnet {
    const size = 2 ** (32 - conf.subnetLen);
    const taken = leases.map((l) => {
      const span = 2 ** (32 - l.subnet.len);
      const start = l.subnet.addr - (l.subnet.addr % span);
      return [start, start + span - 1];
    }).sort((a, b) => a[0] - b[0]);
    const free: number[] = [];
    let i = 0;
    let reach = -1; // the furthest end among the intervals starting at or before the candidate
    for (let a = conf.subnetMin; a <= conf.subnetMax && free.length < MAX_CANDIDATES; a += size) {
      const end = a + size - 1;
      while (i < taken.length && taken[i][0] <= end) reach = Math.max(reach, taken[i++][1]);
      if (reach < a) free.push(a);
    }
    if (free.length === 0) throw new CnikitError('OutOfSubnets', 'out of subnets');
    return { addr: free[this.randInt(free.length)], len: conf.subnetLen };
  }

  /** `createSubnet`: grant, then create-if-absent; a lost race revokes the grant. */
  private create(sn: Subnet, attrs: LeaseAttrs): Lease {
    const key = this.keyOf(sn);
    const g = this.store.grant(SUBNET_TTL_S);
    let ok = false;
    try {
      ok = this.store.txn({ compare: [cmp.version(key, '=', 0)], success: [{ op: 'put', key, value: attrsJson(attrs), lease: g.id }] }).succeeded;
    } finally {
      if (!ok) this.tryRevoke(g.id);
    }
    if (!ok) throw new CnikitError('SubnetExists', 'subnet already exists');
    return { subnet: sn, attrs, expiresAt: this.clock.now() + g.ttl * 1000, etcdLease: g.id };
  }

  /** `updateSubnet`: a new grant (none for a reservation, ttl 0) and a put. */
  private write(sn: Subnet, attrs: LeaseAttrs, ttl: number): Lease {
    const key = this.keyOf(sn);
    if (ttl === 0) {
      this.store.put(key, attrsJson(attrs));
      return { subnet: sn, attrs, expiresAt: undefined, etcdLease: 0 };
    }
    const g = this.store.grant(ttl);
    try {
      this.store.put(key, attrsJson(attrs), { lease: g.id });
    } catch (e) {
      this.tryRevoke(g.id);
      throw e;
    }
    return { subnet: sn, attrs, expiresAt: this.clock.now() + g.ttl * 1000, etcdLease: g.id };
  }

  private tryRevoke(id: number): void {
    try {
      this.store.revoke(id);
    } catch {
      // flanneld logs the revoke error; the grant then expires on its own.
    }
  }

  /** `RenewLease`. */
  renewLease(lease: Lease): Lease {
    return this.write(lease.subnet, lease.attrs, SUBNET_TTL_S);
  }

  /**
   * `CompleteLease`: renews `lease` at expiry - margin (retrying every minute
   * on error) and watches its key; `onRevoked` runs once when the key goes
   * (flanneld then exits), after which the keeper is stopped.
   */
  completeLease(lease: Lease, onRevoked: () => void): LeaseKeeper {
    return completeLease(this, lease, onRevoked);
  }

  /**
   * `WatchLeases` through `LeaseWatcher`: the other nodes' leases now (as
   * `added` events), then each change. Returns the watch.
   */
  watchLeases(own: Subnet, onEvents: (events: LeaseEvent[]) => void): Watcher {
    return watchLeases(this, own, onEvents);
  }
}
