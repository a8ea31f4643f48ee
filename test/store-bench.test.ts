// The store benchmark's scenarios do what they claim (the timings live in bench/, not here).
import { describe, expect, it } from 'vitest';
import { calicoClaim, flannelJoin, flannelJoinBaseline, run } from '../bench/store.js';

describe('bench/store scenarios', () => {
  it('flannel-join: N nodes cost N(N+1)/2 watch events, like the baseline', () => {
    const st = flannelJoin(20).stats();
    expect(st.watchEventsDelivered).toBe(210);
    expect(flannelJoinBaseline(20)).toBe(210);
    expect(st.requests).toMatchObject({ range: 20, watchCreate: 20, leaseGrant: 20, txn: 20 });
    expect(st.keys).toBe(20);
  });
  it('calico-claim: every host wins its own block', () => {
    const s = calicoClaim(20);
    expect(s.range('/calico/ipam/v2/assignment/', { prefix: true }).count).toBe(20);
    expect(s.stats().requests).toMatchObject({ txn: 60, range: 41 }); // 2 gets per host + the range above
  });
  it('the quick suite returns rows with ratios against the baseline', async () => {
    const rows = await run({ quick: true, log: () => {} });
    expect(rows.filter((r) => r.ratio !== undefined).map((r) => r.case)).toEqual(['flannel-join N=10', 'flannel-join N=100']);
    expect(rows.find((r) => r.case === 'flannel-join N=100' && r.metric === 'watch events')?.value).toBe(5050);
  });
});
