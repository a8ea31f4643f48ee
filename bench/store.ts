/**
 * Store load as clusters grow. Two control-plane patterns on MemoryStore:
 * - flannel-join: N nodes each list + watch the subnets prefix, grant a 24 h
 *   lease and CAS-create their subnet key (Flannel etcd mode). Every join is
 *   seen by every earlier node, so watch events grow as N²/2.
 * - calico-claim: N hosts each CAS-claim a block (affinity create, block
 *   create guarded by mod_revision, affinity confirm), Calico IPAM in etcd mode.
 * Baseline (same run): a hand-written Map + callback-list store doing the
 * same writes and fan-out with no revisions, history or leases: the ratio is
 * what MVCC, transactions and lease bookkeeping cost.
 */
import { timeBatches, type BenchContext } from './harness.js';
import type { Result } from './results.js';
import { MemoryStore, SimClock, cmp } from '../src/store/index.js';

const PREFIX = '/coreos.com/network/subnets/';

function subnetKey(i: number): string {
  return `${PREFIX}10.${(i >> 8) & 255}.${i & 255}.0-24`;
}
function leaseValue(i: number): string {
  return JSON.stringify({ PublicIP: `192.168.${(i >> 8) & 255}.${i & 255}`, BackendType: 'vxlan', BackendData: { VNI: 1, VtepMAC: 'c6:d2:32:6f:8f:44' } });
}

/** Flannel join of `n` nodes; returns the store for its stats. */
export function flannelJoin(n: number): MemoryStore {
  const s = new MemoryStore({ clock: new SimClock() });
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const list = s.range(PREFIX, { prefix: true });
    s.watch(PREFIX, { prefix: true, startRevision: list.revision + 1 }, (r) => {
      seen += r.events.length;
    });
    const lease = s.grant(86_400).id;
    const key = subnetKey(i);
    const r = s.txn({ compare: [cmp.version(key, '=', 0)], success: [{ op: 'put', key, value: leaseValue(i), lease }] });
    if (!r.succeeded) throw new Error(`subnet ${key} taken`);
  }
  if (seen !== (n * (n - 1)) / 2 + n) throw new Error(`flannel-join: ${seen} events, expected ${(n * (n - 1)) / 2 + n}`);
  return s;
}

/** The same join on a plain Map with a callback list (no revisions, no leases). */
export function flannelJoinBaseline(n: number): number {
  const kv = new Map<string, string>();
  const watchers: ((k: string, v: string) => void)[] = [];
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const list: string[] = [];
    for (const k of kv.keys()) if (k.startsWith(PREFIX)) list.push(k);
    watchers.push((k) => {
      if (k.startsWith(PREFIX)) seen++;
    });
    const key = subnetKey(i);
    if (kv.has(key)) throw new Error('taken');
    const v = leaseValue(i);
    kv.set(key, v);
    for (const w of watchers) w(key, v);
  }
  return seen;
}

/** Calico block claims by `n` hosts (one block each). */
export function calicoClaim(n: number): MemoryStore {
  const s = new MemoryStore();
  for (let i = 0; i < n; i++) {
    const block = `10.${(i >> 10) & 255}.${(i >> 2) & 255}.${(i & 3) * 64}-26`;
    const aff = `/calico/ipam/v2/host/node-${i}/ipv4/block/${block}`;
    const blk = `/calico/ipam/v2/assignment/ipv4/block/${block}`;
    s.txn({ compare: [cmp.mod(aff, '=', 0)], success: [{ op: 'put', key: aff, value: '{"state":"pending","deleted":false}' }] });
    const seen = s.get(blk)?.modRevision ?? 0;
    const r = s.txn({ compare: [cmp.mod(blk, '=', seen)], success: [{ op: 'put', key: blk, value: JSON.stringify({ cidr: block, affinity: `host:node-${i}` }) }] });
    if (!r.succeeded) throw new Error('claim lost');
    const a = s.get(aff)!;
    s.txn({ compare: [cmp.mod(aff, '=', a.modRevision)], success: [{ op: 'put', key: aff, value: '{"state":"confirmed","deleted":false}' }] });
  }
  return s;
}

export async function run(ctx: BenchContext): Promise<Result[]> {
  const sizes = ctx.quick ? [10, 100] : [10, 100, 1000];
  const rows: Result[] = [];
  for (const n of sizes) {
    // Enough joins per sample for the JIT to settle at small N (about 2,000, at least 5 runs).
    const opts = { rounds: ctx.quick ? 1 : 3, iterations: Math.max(ctx.quick ? 2 : 5, Math.ceil((ctx.quick ? 200 : 2000) / n)), warmup: Math.max(1, Math.ceil(500 / n)) };
    const st = flannelJoin(n).stats();
    const [ours, base] = await timeBatches(
      [
        { name: 'memorystore', opsPerCall: n, fn: () => void flannelJoin(n) },
        { name: 'map-baseline', opsPerCall: n, fn: () => void flannelJoinBaseline(n) },
      ],
      opts,
    );
    const c = `flannel-join N=${n}`;
    rows.push(
      { suite: 'store', case: c, metric: 'ns/join', value: ours.nsPerOp, unit: 'ns', baseline: `${c} map-baseline`, ratio: base.nsPerOp / ours.nsPerOp },
      { suite: 'store', case: `${c} map-baseline`, metric: 'ns/join', value: base.nsPerOp, unit: 'ns' },
      { suite: 'store', case: c, metric: 'requests', value: st.totalRequests, unit: 'req' },
      { suite: 'store', case: c, metric: 'watch events', value: st.watchEventsDelivered, unit: 'events' },
      { suite: 'store', case: c, metric: 'bytes to watchers', value: st.bytesWatched, unit: 'B' },
    );
    const cs = calicoClaim(n).stats();
    const [claim] = await timeBatches([{ name: 'claim', opsPerCall: n, fn: () => void calicoClaim(n) }], opts);
    rows.push(
      { suite: 'store', case: `calico-claim N=${n}`, metric: 'ns/claim', value: claim.nsPerOp, unit: 'ns' },
      { suite: 'store', case: `calico-claim N=${n}`, metric: 'requests', value: cs.totalRequests, unit: 'req' },
      { suite: 'store', case: `calico-claim N=${n}`, metric: 'history bytes', value: cs.historyBytes, unit: 'B' },
    );
    ctx.log(`store N=${n}: join ${ours.nsPerOp.toFixed(0)} ns (baseline ${base.nsPerOp.toFixed(0)} ns), ${st.watchEventsDelivered} watch events; claim ${claim.nsPerOp.toFixed(0)} ns`);
  }
  return rows;
}
