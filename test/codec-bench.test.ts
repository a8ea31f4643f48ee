// The codec benchmark checks that WASM and JavaScript write the same bytes
// (every frame's headers, copies and decap records) before it times them;
// the quick suite runs those checks here (the timings live in bench/).
import { describe, expect, it } from 'vitest';
import { run } from '../bench/codec.js';

describe('bench/codec', () => {
  it('the quick suite passes its correctness checks and reports every row against its baseline', async () => {
    const lines: string[] = [];
    const rows = await run({ quick: true, log: (l) => lines.push(l) });
    for (const size of [64, 512, 1400]) {
      const ns = (name: string) => rows.find((r) => r.case === `${name} ${size}B` && r.metric === 'ns/frame');
      for (const [name, baseline] of [
        ['wasm-encap-inplace', 'js-encap-inplace'],
        ['wasm-encap-copy', 'wasm-memcopy'],
        ['wasm-encap-copy-skb-hash', 'wasm-memcopy'],
        ['wasm-encap-inplace-skb-hash', 'wasm-encap-inplace'],
        ['wasm-decap', 'js-decap'],
        ['wasm-encap-inplace-fixed-sport', 'wasm-encap-inplace'],
        ['wasm-encap-copy-fixed-sport', 'wasm-memcopy'],
      ]) {
        const row = ns(name);
        expect(row?.value, `${name} ${size}B`).toBeGreaterThan(0);
        expect(row?.baseline).toBe(`${baseline} ${size}B`);
        expect(row?.ratio).toBeCloseTo(ns(baseline)!.value / row!.value, 9);
      }
      expect(lines.some((l) => l.startsWith(`codec ${size}B: the flow hash costs`))).toBe(true);
      // The three copy rows with their spread over the rounds, and the target on the caller's-hash row.
      expect(lines.some((l) => /^codec \d+B copy rows, ns\/frame, median \[min\.\.max\] of 2 rounds: hash computed [\d.]+ \[[\d.]+\.\.[\d.]+\], caller's hash .*, memory\.copy /.test(l) && l.startsWith(`codec ${size}B`))).toBe(true);
      expect(lines.some((l) => l.startsWith(`codec ${size}B: wasm-encap-copy-skb-hash is `) && l.includes('wasm-memcopy (target >= 0.85x)'))).toBe(true);
    }
  });
});
