import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exportNetns } from '../src/netns/export.js';
import { InputError } from '../src/core/errors.js';
import { maskRandomised } from '../src/netns/compare.js';
import { sameL2 } from '../src/scenarios/index.js';
import type { Scenario } from '../src/kernel/scenario.js';

// Every line the exporter writes outside the iptables here-document.
const SAFE = /^(#.*|[A-Za-z0-9 ._:/=$"'{}();|&>!-]*)$/;
const text = fc.string({ unit: fc.constantFrom(...'abz09 ./:-_;$`"\'\\|&<>(){}\n*'.split('')), maxLength: 30 });

describe('netns export', () => {
  // Why this test? Table lines and names reach a root shell: anything with shell syntax must be refused, never rendered.
  it('a scenario with arbitrary names and table lines is refused with an InputError or rendered without shell syntax', () => {
    fc.assert(
      fc.property(text, text, text, text, (route, veth, node, neigh) => {
        const s: Scenario = structuredClone(sameL2);
        s.nodes[0].routes.push(route);
        s.nodes[0].pods[0].hostVeth = veth;
        s.nodes[1].name = node;
        s.nodes[1].neigh = [neigh];
        let script: string;
        try {
          script = exportNetns(s, { prefix: 'p-' });
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
          return;
        }
        const body = script.split('\n').filter((l) => !l.startsWith('trap ') && !l.startsWith('if [') && !l.startsWith('  for ns'));
        for (const l of body) expect(l).toMatch(SAFE);
        for (const l of body) expect(l).not.toMatch(/[;`\\]|\$\(/);
      }),
    );
  });

  // Why this test? The mask must be idempotent and never change a frame's length, or comparisons would be meaningless.
  it('maskRandomised is idempotent, keeps the length and never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (b, ipv4) => {
        if (ipv4 && b.length > 14) {
          b[12] = 8;
          b[13] = 0;
          b[14] = 0x45;
        }
        const m = maskRandomised(b);
        expect(m.length).toBe(b.length);
        expect(maskRandomised(m)).toEqual(m);
      }),
    );
  });
});
