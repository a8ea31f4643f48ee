/**
 * Hook paths: a walk of PREROUTING,FORWARD,POSTROUTING (or any part of a
 * path a packet takes through a host) decides at each hook what that hook
 * alone decides for the packet as Linux presents it there: the marks,
 * addresses and conntrack state the hooks before it left, and the
 * interfaces the kernel passes to that hook (ip_rcv: in only; ip_forward:
 * in and out; __ip_local_out: out only; ip_output: out, and the input
 * device of a forwarded packet). Checked against the reference walk of the
 * single hook and against the WASM engine.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCoreSync, type Core } from '../src/core/core.js';
import { IptEngine, ReferenceEngine, parseIpsets, parsePacket, parseRuleset, type Hook, type Packet } from '../src/iptables/all.js';
import { CTX, ipsetArb, packetArb, rulesetArb } from './iptables.arb.js';

let core: Core;
beforeAll(() => {
  core = createCoreSync();
});

/** Every part of the three paths through a host: forwarded, delivered locally, sent locally. */
const PATHS: Hook[][] = [
  ['PREROUTING'], ['INPUT'], ['FORWARD'], ['OUTPUT'], ['POSTROUTING'],
  ['PREROUTING', 'INPUT'], ['PREROUTING', 'FORWARD'], ['FORWARD', 'POSTROUTING'], ['PREROUTING', 'FORWARD', 'POSTROUTING'],
  ['OUTPUT', 'POSTROUTING'],
];

/** The packet `hook` sees on `path`: `carried` as the hooks before left it, the interfaces from `given`. */
function presented(hook: Hook, path: readonly Hook[], carried: Packet, given: Packet): Packet {
  const local = path[0] === 'OUTPUT';
  const hasIn = hook === 'PREROUTING' || hook === 'INPUT' || hook === 'FORWARD' || (hook === 'POSTROUTING' && !local);
  const hasOut = hook === 'FORWARD' || hook === 'OUTPUT' || hook === 'POSTROUTING';
  return { ...carried, in: hasIn ? given.in : '', out: hasOut ? given.out : '' };
}

describe('iptables hook paths', () => {
  it('each hook of a path decides what it decides alone on the packet as Linux presents it there', () => {
    fc.assert(
      // The whole forwarded path half the time: it is where a hook after the
      // first (FORWARD, POSTROUTING) sees interfaces the first did not.
      fc.property(rulesetArb, ipsetArb, fc.oneof(fc.constantFrom(...PATHS), fc.constant(PATHS[8])), packetArb, (text, setText, path, desc) => {
        const ipsets = parseIpsets(setText);
        const rs = parseRuleset(text, { ipsets });
        const given = parsePacket(desc);
        const t = new ReferenceEngine(rs, ipsets, CTX).tracePath(path, given);
        const eng = new IptEngine(core, rs, { ipsets, ctx: CTX });
        try {
          let carried = given;
          let walked = 0;
          for (const hook of path) {
            const seen = presented(hook, path, carried, given);
            const single = new ReferenceEngine(rs, ipsets, CTX).trace(hook, seen);
            const alone = single.result;
            const [wasm] = eng.walk(hook, [seen]);
            const ctx = `${path.join(',')} at ${hook}: ${desc}\n${text}`;
            expect(wasm.verdict, ctx).toBe(alone.verdict);
            expect(wasm.rule, ctx).toEqual(alone.rule);
            // The hop of the path is the single walk: every rule met, what it did, the verdict.
            expect(t.hops[walked], ctx).toEqual(single.hops[0]);
            walked++;
            if (alone.verdict !== 'ACCEPT') break;
            carried = alone.packet;
          }
          expect(t.hops).toHaveLength(walked);
        } finally {
          eng.dispose();
        }
      }),
      { numRuns: 300 },
    );
  });
});
