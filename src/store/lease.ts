/**
 * Leases (etcd's `lease.Lessor`, reduced): a TTL in seconds, an expiry on
 * the simulated clock, and the set of keys attached. The store deletes the
 * keys when the lease is revoked or expires.
 *
 * Simplified: etcd picks random 64-bit lease ids, we count from 1 (or take
 * the id asked for); etcd raises TTLs below its minimum (about 3 s with
 * default election settings) and checks expiry every 500 ms, we keep the
 * TTL given and expire exactly at `grant + ttl`; no checkpointing, no
 * leader change (one member) so no TTL extension on election.
 */
import { InputError, CnikitError } from '../core/errors.js';
import { leaseNotFound } from './keys.js';

/** One lease. */
export interface Lease {
  readonly id: number;
  /** Granted TTL, seconds. */
  readonly ttl: number;
  /** Simulated time (ms) at which it expires. */
  expiry: number;
  /** Attached keys. */
  readonly keys: Set<string>;
}

/** etcd's largest TTL (`MaxLeaseTTL`, 9,000,000,000 s); we keep it. */
export const MAX_LEASE_TTL = 9_000_000_000;

/** The table of live leases. */
export class Lessor {
  private leases = new Map<number, Lease>();
  private nextId = 1;

  /** Number of live leases. */
  get size(): number {
    return this.leases.size;
  }

  /** Creates a lease expiring `ttl` seconds after `now`. */
  grant(ttl: number, now: number, id?: number): Lease {
    if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl > MAX_LEASE_TTL) {
      throw new InputError('InvalidTTL', String(ttl), `a lease TTL in whole seconds, 1..${MAX_LEASE_TTL}`);
    }
    if (id !== undefined) {
      if (!Number.isSafeInteger(id) || id <= 0) throw new InputError('InvalidLeaseId', String(id), 'a lease id > 0');
      if (this.leases.has(id)) throw new CnikitError('LeaseExists', `etcdserver: lease already exists (lease ${id})`);
    } else {
      while (this.leases.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    }
    const lease: Lease = { id, ttl, expiry: now + ttl * 1000, keys: new Set() };
    this.leases.set(id, lease);
    return lease;
  }

  /** The lease, or etcd's "requested lease not found". */
  get(id: number): Lease {
    const l = this.leases.get(id);
    if (!l) throw leaseNotFound(id);
    return l;
  }

  /** Whether the lease exists. */
  has(id: number): boolean {
    return this.leases.has(id);
  }

  /** Removes the lease (keys are the caller's business). */
  remove(id: number): void {
    this.leases.delete(id);
  }

  /** Earliest expiry, or undefined if there is no lease. */
  nextExpiry(): number | undefined {
    let min: number | undefined;
    for (const l of this.leases.values()) if (min === undefined || l.expiry < min) min = l.expiry;
    return min;
  }

  /** Leases expired at `now`, in order of expiry then id (deterministic). */
  expired(now: number): Lease[] {
    const out: Lease[] = [];
    for (const l of this.leases.values()) if (l.expiry <= now) out.push(l);
    return out.sort((a, b) => a.expiry - b.expiry || a.id - b.id);
  }
}
