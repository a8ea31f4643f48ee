// bench/flannel.ts: the quick suite's rows, and the direct baseline programs the same amount of state.
import { describe, expect, it } from 'vitest';
import { programCluster, run } from '../bench/flannel.js';

describe('bench/flannel.ts', () => {
  it('the quick suite reports seconds (with the direct baseline), peak RSS, store load and per-entry growth', async () => {
    const lines: string[] = [];
    const rows = await run({ quick: true, log: (l) => lines.push(l) });
    const metric = (c: string, m: string) => rows.find((r) => r.case === c && r.metric === m);
    for (const n of [10, 40]) {
      for (const mode of ['rollout', 'sequential']) {
        const c = `flanneld ${n} nodes x 4 pods ${mode}`;
        expect(metric(c, 'seconds')!.value).toBeGreaterThan(0);
        expect(metric(c, 'seconds')!.baseline).toBe(`flanneld ${n} nodes x 4 pods direct`);
        expect(metric(c, 'kernel entries')!.value).toBe(n + 4 * n + 3 * n * (n - 1) + n * 4 * 2); // namespaces + pods + remote entries + pod routes
      }
      // Node after node, each join reaches every node before it; a rollout lists instead.
      expect(metric(`flanneld ${n} nodes x 4 pods sequential`, 'watch events')!.value).toBeGreaterThanOrEqual((n * (n - 1)) / 2);
      expect(metric(`flanneld ${n} nodes x 4 pods rollout`, 'watch events')!.value).toBeLessThan((n * (n - 1)) / 2);
    }
    expect(metric('flanneld 40 nodes x 4 pods rollout', 'seconds per entry')!.baseline).toBe('flanneld 10 nodes x 4 pods rollout');
    expect(lines.some((l) => l.startsWith('flanneld 40 nodes x 4 pods sequential:'))).toBe(true);
  });

  it('the direct baseline programs as many namespaces, routes, neighbours and FDB entries as flanneld', async () => {
    const [f, d] = [await programCluster(12, 3, 'rollout'), await programCluster(12, 3, 'direct')];
    expect(d.entries).toBe(f.entries);
    expect(d.requests).toBe(0);
  });
});
