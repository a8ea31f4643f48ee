import { describe, expect, it } from 'vitest';
import { run } from '../bench/kernel.js';

describe('bench/kernel.ts', () => {
  it('the quick suite returns ns/hop and WASM share rows, rules cases against their baseline', async () => {
    const lines: string[] = [];
    const rows = await run({ quick: true, log: (l) => lines.push(l) });
    const cases = [...new Set(rows.map((r) => r.case))];
    expect(cases).toEqual(['routed', 'routed+1000 FORWARD rules', 'overlay', 'overlay+1000 FORWARD rules']);
    for (const c of cases) {
      const hop = rows.find((r) => r.case === c && r.metric === 'ns/hop')!;
      expect(hop.value).toBeGreaterThan(0);
      const share = rows.find((r) => r.case === c && r.metric === 'wasm share')!;
      expect(share.value).toBeGreaterThanOrEqual(0);
      expect(share.value).toBeLessThanOrEqual(100);
    }
    expect(rows.find((r) => r.case === 'overlay+1000 FORWARD rules' && r.metric === 'ns/packet')!.baseline).toBe('overlay');
    expect(lines.some((l) => l.includes('unit costs'))).toBe(true);
  });
});
