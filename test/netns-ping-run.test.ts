// The pure readers of src/netns/ping-run.ts (the timed real-kernel runner): ping's
// answered sequence numbers, `ip -ts monitor neigh` miss lines with their times,
// and `bridge fdb show` without the entries Linux adds itself.
import { describe, expect, it } from 'vitest';
import { answeredOf, monitorMisses, unicastFdb } from '../src/netns/ping-run.js';

describe('ping-run readers', () => {
  it('answeredOf: replies and errors by sequence, lost requests absent', () => {
    const out = [
      'PING 10.244.9.2 (10.244.9.2) 56(84) bytes of data.',
      '64 bytes from 10.244.9.2: icmp_seq=3 ttl=62 time=0.140 ms',
      '64 bytes from 10.244.9.2: icmp_seq=2 ttl=62 time=2.78 ms',
      'From 10.244.70.1 icmp_seq=5 Destination Host Unreachable',
      '',
      '--- 10.244.9.2 ping statistics ---',
    ].join('\n');
    expect(answeredOf(out)).toEqual(['2 reply', '3 reply', '5 error']);
  });

  it('monitorMisses: only miss lines, as NODE text, at their local time in epoch ms', () => {
    const text = [
      '[2026-12-07T10:02:18.811898] 10.244.70.2 dev cni0 lladdr 0a:58:0a:f4:46:02 STALE ',
      '[2026-12-07T10:02:18.811911] miss 10.244.9.2 dev flannel.1 INCOMPLETE ',
      '[2026-12-07T10:02:19.250000] miss dev flannel.1 lladdr 52:eb:50:31:17:52 STALE',
    ].join('\n');
    const m = monitorMisses(text, 'n1');
    expect(m.map((x) => x.line)).toEqual(['n1 miss 10.244.9.2 dev flannel.1 INCOMPLETE', 'n1 miss dev flannel.1 lladdr 52:eb:50:31:17:52 STALE']);
    expect(m[0].epochMs).toBeCloseTo(new Date(2026, 11, 7, 10, 2, 18).getTime() + 811.911, 3);
    expect(m[1].epochMs - m[0].epochMs).toBeCloseTo(438.089, 3);
  });

  it('unicastFdb: leaves out the multicast and broadcast entries', () => {
    const text = '33:33:00:00:00:01 self permanent\n01:00:5e:00:00:01 self permanent\n52:eb:50:31:17:52 dst 10.0.2.11 self permanent\n';
    expect(unicastFdb(text)).toBe('52:eb:50:31:17:52 dst 10.0.2.11 self permanent\n');
  });
});
