// bench/flannel.ts: the quick suite's rows, and the direct baseline programs the same amount of state.
import { describe, expect, it } from 'vitest';
import { programCluster, run } from '../bench/flannel.js';

describe('bench/flannel.ts', () => {
  it('the quick suite reports seconds (with the direct baseline), peak RSS, store load and per-entry growth', async () => {
    const lines: string[] = [];
    const rows = await run({ quick: true, log: (l) => lines.push(l) });
    const metric = (c: string, m: string) => rows.find((r) => r.case === c && r.metric === m);
    for (const n of [10, 40]) {
      const c = `flanneld ${n} nodes x 4 pods`;
      expect(metric(c, 'seconds')!.value).toBeGreaterThan(0);
      expect(metric(c, 'seconds')!.baseline).toBe(`${c} direct`);
      expect(metric(c, 'kernel entries')!.value).toBe(n + 4 * n + 3 * n * (n - 1) + n * 4 * 2); // namespaces + pods + remote entries + pod routes
      expect(metric(c, 'watch events')!.value).toBeGreaterThanOrEqual((n * (n - 1)) / 2);
    }
    expect(metric('flanneld 40 nodes x 4 pods', 'seconds per entry')!.baseline).toBe('flanneld 10 nodes x 4 pods');
    expect(lines.some((l) => l.startsWith('flanneld 40 nodes x 4 pods:'))).toBe(true);
  });

  it('the direct baseline programs as many namespaces, routes, neighbours and FDB entries as flanneld', async () => {
    const [f, d] = [await programCluster(12, 3, false), await programCluster(12, 3, true)];
    expect(d.entries).toBe(f.entries);
    expect(d.requests).toBe(0);
  });
});
