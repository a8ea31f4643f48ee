// The two control-plane datastore patterns cnikit must carry: Flannel's subnet
// lease (flannel pkg/subnet/etcd/local_manager.go) and Calico's IPAM block
// affinity claim (libcalico-go lib/ipam/ipam_block_reader_writer.go).
import { describe, expect, it } from 'vitest';
import { MemoryStore, SimClock, cmp, type StoreEvent } from '../src/store/index.js';

const PREFIX = '/coreos.com/network/subnets/';
const DAY = 24 * 3600;

/** Flannel's tryAcquireLease step 5: Txn If(Version(key)==0).Then(Put(key, value, lease)). */
function acquire(s: MemoryStore, subnet: string, publicIP: string): { ok: true; lease: number } | { ok: false } {
  const lease = s.grant(DAY).id;
  const value = JSON.stringify({ PublicIP: publicIP, BackendType: 'vxlan', BackendData: { VNI: 1, VtepMAC: 'c6:d2:32:6f:8f:44' } });
  const key = PREFIX + subnet;
  const r = s.txn({ compare: [cmp.version(key, '=', 0)], success: [{ op: 'put', key, value, lease }] });
  if (r.succeeded) return { ok: true, lease };
  s.revoke(lease); // "On failure the new lease is revoked and errSubnetAlreadyexists is returned"
  return { ok: false };
}

describe('Flannel subnet lease', () => {
  it('acquire by CAS create + 24 h lease, renew by new grant + put, expire on node death, watchers see the DELETE', () => {
    const clock = new SimClock();
    const s = new MemoryStore({ clock });
    // Node B lists then watches the whole subnets prefix from revision + 1.
    const listed = s.range(PREFIX, { prefix: true });
    const seen: StoreEvent[] = [];
    s.watch(PREFIX, { prefix: true, startRevision: listed.revision + 1 }, (r) => seen.push(...r.events));

    const a = acquire(s, '10.244.1.0-24', '192.168.1.11');
    expect(a.ok).toBe(true);
    // A second node racing for the same subnet loses the create and its lease is revoked.
    expect(acquire(s, '10.244.1.0-24', '192.168.1.12').ok).toBe(false);
    expect(s.stats().leases).toBe(1);

    // Renewal at expiration - renewMargin (60 min): a NEW Grant and a Put with the new lease id.
    clock.advance((DAY - 3600) * 1000);
    const renewed = s.grant(DAY).id;
    s.put(PREFIX + '10.244.1.0-24', s.get(PREFIX + '10.244.1.0-24')!.value, { lease: renewed });
    // The old lease expires holding no keys: no revision, no event.
    const rev = s.revision;
    clock.advance(3600 * 1000);
    expect(s.revision).toBe(rev);
    expect(s.get(PREFIX + '10.244.1.0-24')?.lease).toBe(renewed);

    // Node A dies: nobody renews. 24 h after the renewal the key is gone.
    clock.advance(DAY * 1000 - 3600 * 1000);
    expect(s.get(PREFIX + '10.244.1.0-24')).toBeUndefined();
    expect(seen.map((e) => `${e.type} ${e.kv.key.slice(PREFIX.length)}`)).toEqual(['PUT 10.244.1.0-24', 'PUT 10.244.1.0-24', 'DELETE 10.244.1.0-24']);
    expect(seen[2].kv.modRevision).toBe(s.revision);

    // Node A's own WatchLease from its last known revision sees the removal too ("Lease has been revoked").
    const own: string[] = [];
    s.watch(PREFIX + '10.244.1.0-24', { startRevision: rev + 1 }, (r) => r.events.forEach((e) => own.push(e.type)));
    expect(own).toEqual(['DELETE']);
    // After the restart the subnet is free again.
    expect(acquire(s, '10.244.1.0-24', '192.168.1.11').ok).toBe(true);
  });
});

const BLOCK = '10.0.1.0-26';
const affinityKey = (host: string) => `/calico/ipam/v2/host/${host}/ipv4/block/${BLOCK}`;
const blockKey = `/calico/ipam/v2/assignment/ipv4/block/${BLOCK}`;

describe('Calico IPAM block claim', () => {
  it('two claimers race for one block; exactly one wins by mod_revision compare', () => {
    const s = new MemoryStore();
    // Both hosts read the block's state (absent: mod_revision 0) before either writes.
    const readA = s.get(blockKey)?.modRevision ?? 0;
    const readB = s.get(blockKey)?.modRevision ?? 0;
    // Phase 1: each creates its own pending affinity (a CAS create on its own key: both succeed).
    for (const host of ['node-a', 'node-b']) {
      const k = affinityKey(host);
      expect(s.txn({ compare: [cmp.mod(k, '=', 0)], success: [{ op: 'put', key: k, value: '{"state":"pending","deleted":false}' }] }).succeeded).toBe(true);
    }
    // Phase 2: create the IPAMBlock with affinity=host:<node>, guarded by the mod_revision each read.
    const claim = (host: string, seenRev: number) =>
      s.txn({
        compare: [cmp.mod(blockKey, '=', seenRev)],
        success: [{ op: 'put', key: blockKey, value: JSON.stringify({ cidr: '10.0.1.0/26', affinity: `host:${host}` }) }],
        failure: [{ op: 'range', key: blockKey }],
      });
    const a = claim('node-b', readB); // B happens to commit first
    const b = claim('node-a', readA);
    expect([a.succeeded, b.succeeded]).toEqual([true, false]);
    // The loser sees the winner's block in its failure branch and backs off (errBlockClaimConflict).
    const winner = b.responses[0];
    expect(winner.op === 'range' && JSON.parse(winner.kvs[0].value).affinity).toBe('host:node-b');
    // Phase 3: the winner confirms its affinity (CAS on the affinity's mod_revision); the loser deletes its pending one.
    const mine = s.get(affinityKey('node-b'))!;
    expect(s.txn({ compare: [cmp.mod(mine.key, '=', mine.modRevision)], success: [{ op: 'put', key: mine.key, value: '{"state":"confirmed","deleted":false}' }] }).succeeded).toBe(true);
    const lost = s.get(affinityKey('node-a'))!;
    expect(s.txn({ compare: [cmp.mod(lost.key, '=', lost.modRevision)], success: [{ op: 'delete', key: lost.key }] }).succeeded).toBe(true);
    expect(s.range('/calico/ipam/v2/host/', { prefix: true }).kvs.map((kv) => [kv.key, JSON.parse(kv.value).state])).toEqual([[affinityKey('node-b'), 'confirmed']]);
    // A stale writer holding the old mod_revision can no longer overwrite the block.
    expect(claim('node-a', readA).succeeded).toBe(false);
  });
});
