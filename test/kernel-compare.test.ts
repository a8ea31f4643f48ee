import { describe, expect, it } from 'vitest';
import { compareWithModel, maskRandomised, outcomeFromTrace, type ProbeOutcome } from '../src/netns/compare.js';
import { observe } from '../src/netns/observe.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { loadFacts } from './support/kernel-fixtures.js';

function kernel(name: string): ProbeOutcome[] {
  const s = SCENARIOS.find((x) => x.name === name)!;
  const facts = loadFacts(name);
  return s.probes.map((p, i) => observe(s, p, facts[i]));
}

/** A deep copy whose frames can be edited. */
const copy = (r: ProbeOutcome[]): ProbeOutcome[] => r.map((p) => ({ ...p, path: [...p.path], frames: Object.fromEntries(Object.entries(p.frames).map(([k, v]) => [k, v.map((f) => f.slice())])) }));

function ipOff(f: Uint8Array): number {
  return 14;
}

describe('compareWithModel', () => {
  it('a run compared with itself has no mismatches', () => {
    for (const s of SCENARIOS) expect(compareWithModel(kernel(s.name), kernel(s.name)), s.name).toEqual([]);
  });

  it('ignores the fields Linux randomises: IPv4 ID, ICMP id/seq/timestamp, VXLAN source port, their checksums', () => {
    const k = kernel('vxlan-overlay');
    const m = copy(k);
    const under = m[0].frames['node1/eth0'].find((f) => f.length > 100 && f[23] === 17)!;
    under[18] ^= 0xff; // outer IPv4 ID
    under[24] ^= 0xff; // outer header checksum
    under[34] ^= 0x55; // VXLAN UDP source port
    const innerIp = 14 + 20 + 8 + 8 + 14;
    under[innerIp + 4] ^= 1; // inner IPv4 ID
    under[innerIp + 20 + 4] ^= 1; // ICMP echo id
    under[innerIp + 20 + 8 + 3] ^= 1; // ping's timeval
    const pod = m[0].frames['a/eth0'].find((f) => f[23] === 1)!;
    pod[14 + 20 + 6] ^= 1; // ICMP seq
    expect(compareWithModel(k, m)).toEqual([]);
    const te = copy(kernel('ttl-expiry'));
    const err = te[0].frames['a/eth0'].find((f) => f[23] === 1 && f[34] === 11)!;
    err[34 + 8 + 4] ^= 1; // quoted IPv4 ID inside time exceeded
    err[36] ^= 1; // ICMP checksum covering it
    expect(compareWithModel(kernel('ttl-expiry'), te)).toEqual([]);
  });

  it('reports a changed TTL, MAC or payload byte with wire, frame index and offset', () => {
    const k = kernel('same-l2');
    const m = copy(k);
    const frames = m[0].frames['node2/eth0'] as Uint8Array[];
    const i = frames.findIndex((f) => f[12] === 8 && f[13] === 0);
    frames[i][ipOff(frames[i]) + 8] -= 1;
    const d = compareWithModel(k, m);
    expect(d).toEqual([{ probe: k[0].probe, kind: 'frame', wire: 'node2/eth0', index: i, offset: 22, detail: expect.stringContaining('differs at byte 22') }]);
  });

  it('reports dispositions, paths, frame counts, missing probes and truncated frames', () => {
    const k = kernel('blackhole');
    const m = copy(k);
    m[0] = { ...m[0], disposition: 'DELIVERED', path: ['a', 'node1'] };
    (m[1].frames as Record<string, Uint8Array[]>)['node1/eth0'] = m[1].frames['node1/eth0'].slice(1);
    const a = m[2].frames['a/eth0'] as Uint8Array[];
    a[a.length - 1] = a[a.length - 1].slice(0, 60);
    m.pop();
    m.push({ probe: 'extra', disposition: 'NO_ROUTE', path: [], frames: {} });
    const d = compareWithModel(k, m);
    expect(d.map((x) => x.kind).sort()).toEqual(['disposition', 'frame', 'frame-count', 'missing', 'missing', 'path']);
    expect(d.find((x) => x.kind === 'frame')).toMatchObject({ wire: 'a/eth0', offset: 60 });
  });

  it('can skip ARP frames for a model that resolves neighbours silently', () => {
    const k = kernel('same-l2');
    const m = copy(k).map((p) => ({ ...p, frames: Object.fromEntries(Object.entries(p.frames).map(([w, fs]) => [w, fs.filter((f) => !(f[12] === 8 && f[13] === 6))])) }));
    expect(compareWithModel(k, m).length).toBeGreaterThan(0);
    expect(compareWithModel(k, m, { ignoreArp: true })).toEqual([]);
  });

  it('maskRandomised leaves non-IPv4 frames and short frames alone and does not modify its input', () => {
    const arp = new Uint8Array(42).fill(7);
    arp[12] = 8;
    arp[13] = 6;
    expect(maskRandomised(arp)).toEqual(arp);
    const short = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0x45]);
    expect(maskRandomised(short)).toEqual(short);
    const k = kernel('same-l2')[0].frames['a/eth0'].find((f) => f[23] === 1)!;
    const before = k.slice();
    const masked = maskRandomised(k);
    expect(k).toEqual(before);
    expect([...masked.slice(18, 20), ...masked.slice(24, 26)]).toEqual([0, 0, 0, 0]);
  });

  it('outcomeFromTrace takes disposition and path from a trace and frames from capture (unknown wires empty)', () => {
    const k = kernel('same-l2')[0];
    const trace = { disposition: 'DELIVERED' as const, hops: k.path.map((node) => ({ node, steps: [] })) };
    const capture = (ns: string, dev: string) => {
      const f = k.frames[`${ns}/${dev}`];
      if (!f || ns === 'lan') throw new Error(`no device ${dev} in ${ns}`);
      return f;
    };
    const m = outcomeFromTrace(k.probe, trace, capture, Object.keys(k.frames));
    expect(m.frames['lan/node1.eth0']).toEqual([]);
    expect(compareWithModel([k], [m]).map((d) => d.wire)).toEqual(['lan/node1.eth0', 'lan/node2.eth0']);
  });
});
