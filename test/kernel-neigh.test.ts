import { afterAll, describe, expect, it } from 'vitest';
import { NeighTable, DEFAULT_NEIGH_PARAMS, type NeighRequest } from '../src/kernel/index.js';
import { SimClock } from '../src/store/clock.js';
import { CnikitError, InputError } from '../src/core/errors.js';
import { kernelLane, sayskip, sh } from './support/netns.js';

const M = 'd6:51:2e:80:5c:69';

function table() {
  const clock = new SimClock();
  return { clock, t: new NeighTable(clock) };
}

describe('ip neigh show format', () => {
  it('prints like iproute2, trailing space included; NOARP hidden unless asked', () => {
    const { t } = table();
    t.add('10.244.1.5', 'flannel.1', { lladdr: 'D6:51:2E:80:5C:69', nud: 'permanent' });
    t.add('10.0.0.9', 'eth0', { nud: 'incomplete' });
    t.add('10.0.0.10', 'eth0', { lladdr: '02:00:00:00:00:0a', nud: 'stale' });
    t.add('10.0.0.2', 'eth0', { lladdr: '02:00:00:00:00:02', nud: 'reachable' });
    t.add('10.0.0.11', 'eth0', { nud: 'failed' });
    t.add('fd00::5', 'eth0', { lladdr: '02:00:00:00:00:0b', router: true });
    t.add('10.1.1.1', 'tunl0', { lladdr: '00:00:00:00:00:00', nud: 'noarp' });
    expect(t.show()).toBe(
      [
        '10.0.0.2 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE ',
        '10.0.0.9 dev eth0 INCOMPLETE ',
        '10.0.0.10 dev eth0 lladdr 02:00:00:00:00:0a STALE ',
        '10.0.0.11 dev eth0 FAILED ',
        'fd00::5 dev eth0 lladdr 02:00:00:00:00:0b router PERMANENT ',
        '10.244.1.5 dev flannel.1 lladdr d6:51:2e:80:5c:69 PERMANENT ',
        '',
      ].join('\n'),
    );
    expect(t.show({ dev: 'flannel.1' })).toBe('10.244.1.5 lladdr d6:51:2e:80:5c:69 PERMANENT \n');
    expect(t.show({ nud: 'noarp' })).toBe('10.1.1.1 dev tunl0 lladdr 00:00:00:00:00:00 NOARP \n');
    expect(t.show({ nud: 'all' }).split('\n')).toHaveLength(8); // 7 entries + the final newline
    expect(() => t.show({ nud: 'bogus' })).toThrow(InputError);
  });
});

describe('ip neigh add/replace/del', () => {
  it('follows RTNETLINK errors and canonicalises addresses', () => {
    const { t } = table();
    t.add('fd00:0:0::1', 'eth0', { lladdr: M });
    expect(t.get('fd00::1', 'eth0')?.state).toBe('PERMANENT');
    expect(() => t.add('fd00::1', 'eth0', { lladdr: M })).toThrow('RTNETLINK answers: File exists');
    expect(() => t.add('10.0.0.1', 'eth0', { nud: 'reachable' })).toThrow('No link layer address given');
    expect(() => t.add('10.0.0.1', 'eth0', { nud: 'bogus' })).toThrow(InputError);
    expect(() => t.add('10.0.0.01', 'eth0')).toThrow(InputError);
    expect(() => t.add('10.0.0.1', 'eth0', { lladdr: 'zz' })).toThrow(InputError);
    t.replace('fd00::1', 'eth0', { nud: 'stale' }); // keeps the known lladdr
    expect(t.get('fd00::1', 'eth0')).toMatchObject({ state: 'STALE', lladdr: M });
    t.del('fd00::1', 'eth0');
    expect(() => t.del('fd00::1', 'eth0')).toThrow('No such file or directory');
    expect(t.entries()).toEqual([]);
  });
  it('checks sysctl values', () => {
    const { t } = table();
    expect(() => t.setParams('eth0', { appSolicit: -1 })).toThrow(InputError);
    t.setParams('eth0', { appSolicit: 3, devAddr: '02:AA:00:00:00:01' });
    expect(t.paramsOf('eth0')).toMatchObject({ appSolicit: 3, mcastSolicit: 3, devAddr: '02:aa:00:00:00:01' });
    expect(t.paramsOf('eth1')).toEqual(DEFAULT_NEIGH_PARAMS);
  });
});

describe('lookup and the L3 MISS', () => {
  it('a hit on a PERMANENT entry (flannel vxlan v3: pre-programmed)', () => {
    const { t } = table();
    t.add('10.244.2.0', 'flannel.1', { lladdr: M });
    const r = t.lookup('10.244.2.0', 'flannel.1');
    expect(r).toMatchObject({ kind: 'hit', was: 'PERMANENT', entry: { lladdr: M } });
  });
  it('app_solicit=3 hands the miss to the agent; its answer is applied as REACHABLE (flannel v2)', () => {
    const { t } = table();
    t.setParams('flannel.1', { appSolicit: 3 });
    const asked: NeighRequest[] = [];
    t.setAgent((req) => {
      asked.push(req);
      return req.dst.startsWith('10.244.2.') ? { lladdr: M } : undefined;
    });
    const r = t.lookup('10.244.2.7', 'flannel.1');
    expect(r).toMatchObject({ kind: 'resolved', by: 'agent', entry: { state: 'REACHABLE', lladdr: M }, probes: [{ kind: 'app', atMs: 0, answered: true }] });
    expect(asked).toEqual([{ dst: '10.244.2.7', dev: 'flannel.1', state: 'INCOMPLETE' }]);
    expect(t.lookup('10.244.2.7', 'flannel.1').kind).toBe('hit');
  });
  it('no answer: app_solicit agent probes, then mcast_solicit broadcasts, then FAILED', () => {
    const { t } = table();
    t.setParams('flannel.1', { appSolicit: 3 });
    let n = 0;
    t.setAgent(() => void n++);
    const r = t.lookup('10.244.9.9', 'flannel.1');
    expect(r.kind).toBe('failed');
    if (r.kind !== 'failed') return;
    expect(r.probes.map((p) => `${p.kind}@${p.atMs}`)).toEqual(['app@0', 'app@1000', 'app@2000', 'mcast@3000', 'mcast@4000', 'mcast@5000']);
    expect(n).toBe(3);
    expect(t.show()).toBe('10.244.9.9 dev flannel.1 FAILED \n');
    // A FAILED entry is retried by the next packet; now the wire answers.
    t.setResolver(({ dst, unicast }) => (dst === '10.244.9.9' && !unicast ? '02:00:00:00:00:99' : undefined));
    expect(t.lookup('10.244.9.9', 'flannel.1')).toMatchObject({ kind: 'resolved', by: 'arp', entry: { state: 'REACHABLE', lladdr: '02:00:00:00:00:99' } });
  });
  it('without app_solicit the agent is never asked (Linux default)', () => {
    const { t } = table();
    let n = 0;
    t.setAgent(() => {
      n++;
      return { lladdr: M };
    });
    expect(t.lookup('10.0.0.5', 'eth0').kind).toBe('failed');
    expect(n).toBe(0);
    t.setParams('eth0', { mcastSolicit: 0 });
    const r = t.lookup('10.0.0.6', 'eth0');
    expect(r.kind === 'failed' && r.probes).toEqual([]);
  });
  it('NOARP devices answer with their own address', () => {
    const { t } = table();
    t.setParams('tunl0', { noarp: true });
    expect(t.lookup('192.168.1.12', 'tunl0')).toMatchObject({ kind: 'hit', was: 'NOARP' });
    expect(t.get('192.168.1.12', 'tunl0')?.lladdr).toBeUndefined();
    t.setParams('tun1', { noarp: true, devAddr: '02:00:00:00:00:01' });
    expect(t.lookup('10.0.0.1', 'tun1')).toMatchObject({ entry: { state: 'NOARP', lladdr: '02:00:00:00:00:01' } });
  });
});

describe('ageing on the simulated clock', () => {
  it('REACHABLE -> STALE after base_reachable_time when unused; a stale hit goes DELAY', () => {
    const { t, clock } = table();
    t.setResolver(() => M);
    t.lookup('10.0.0.2', 'eth0');
    clock.advance(29_999);
    expect(t.get('10.0.0.2', 'eth0')?.state).toBe('REACHABLE');
    clock.advance(1);
    expect(t.get('10.0.0.2', 'eth0')?.state).toBe('STALE');
    const r = t.lookup('10.0.0.2', 'eth0');
    expect(r).toMatchObject({ kind: 'hit', was: 'STALE', entry: { state: 'DELAY', lladdr: M } });
    // Confirmed (e.g. the TCP peer answered) before delay_first_probe_time: REACHABLE again.
    t.confirm('10.0.0.2', 'eth0');
    expect(t.get('10.0.0.2', 'eth0')?.state).toBe('REACHABLE');
  });
  it('used lately at expiry -> DELAY -> PROBE: unicast probes answered -> REACHABLE, else FAILED', () => {
    const { t, clock } = table();
    let up = true;
    const probes: (string | undefined)[] = [];
    t.setResolver(({ unicast }) => {
      probes.push(unicast);
      return up ? M : undefined;
    });
    t.lookup('10.0.0.3', 'eth0');
    clock.advance(27_000);
    t.lookup('10.0.0.3', 'eth0'); // used 3 s before reachable_time ends
    clock.advance(3_000);
    expect(t.get('10.0.0.3', 'eth0')?.state).toBe('DELAY');
    clock.advance(5_000);
    expect(t.get('10.0.0.3', 'eth0')?.state).toBe('REACHABLE');
    expect(probes).toEqual([undefined, M]);
    up = false;
    clock.advance(29_000);
    t.lookup('10.0.0.3', 'eth0');
    clock.advance(6_000);
    // PROBE: one unicast probe at once, then one every retrans_time (neigh_timer_handler)
    expect(t.get('10.0.0.3', 'eth0')?.state).toBe('PROBE');
    clock.advance(2_999);
    expect(t.get('10.0.0.3', 'eth0')?.state).toBe('PROBE');
    clock.advance(1);
    expect(t.get('10.0.0.3', 'eth0')?.state).toBe('FAILED');
    expect(probes.slice(2)).toEqual([M, M, M]); // ucast_solicit = 3, mcast_resolicit = 0
  });
  it('a DELAY entry confirmed within delay_first_probe_time goes back to REACHABLE without probing', () => {
    const { t, clock } = table();
    let probes = 0;
    t.setResolver(() => {
      probes++;
      return M;
    });
    t.lookup('10.0.0.8', 'eth0'); // REACHABLE, confirmed now
    t.replace('10.0.0.8', 'eth0', { nud: 'delay' }); // keeps the confirmation time
    clock.advance(5_000);
    expect(t.get('10.0.0.8', 'eth0')?.state).toBe('REACHABLE');
    expect(probes).toBe(1);
  });
  it('PERMANENT entries and deleted entries do not age', () => {
    const { t, clock } = table();
    t.add('10.0.0.4', 'eth0', { lladdr: M });
    t.add('10.0.0.5', 'eth0', { lladdr: M, nud: 'reachable' });
    t.del('10.0.0.5', 'eth0');
    t.confirm('10.0.0.4', 'eth0');
    t.confirm('10.9.9.9', 'eth0');
    clock.advance(600_000);
    expect(t.show()).toBe(`10.0.0.4 dev eth0 lladdr ${M} PERMANENT \n`);
    expect(clock.pending).toBe(0);
  });
});

const lane = kernelLane(['ip']);
if (!lane.ok) sayskip('kernel-neigh real ip neigh show', lane.reason);
describe.skipIf(!lane.ok)('against real ip neigh show', () => {
  const ns = `cnk-store-${process.pid}-neigh`;
  afterAll(() => void sh(`ip netns del ${ns} 2>/dev/null || true`));
  it('prints the same bytes as iproute2 for the states it can hold still', () => {
    const { t } = table();
    const rows: [string, string, string | undefined, string, boolean][] = [
      ['10.244.1.5', 'eth0', M, 'permanent', false],
      ['10.244.1.6', 'eth0', '02:00:00:00:00:06', 'stale', false],
      ['10.244.1.7', 'eth0', undefined, 'failed', false],
      ['10.244.1.8', 'eth0', undefined, 'incomplete', false],
      ['10.244.1.9', 'eth0', '02:00:00:00:00:09', 'noarp', false],
      ['fd00::5', 'eth0', '02:00:00:00:00:0b', 'permanent', true],
    ];
    let script = `ip netns add ${ns}; ip -n ${ns} link add eth0 type veth peer name eth0p; ip -n ${ns} link set eth0 up\n`;
    for (const [dst, dev, ll, nud, router] of rows) {
      t.add(dst, dev, { lladdr: ll, nud, router });
      script += `ip -n ${ns} neigh add ${dst} dev ${dev} ${ll ? `lladdr ${ll}` : ''} nud ${nud} ${router ? 'router' : ''}\n`;
    }
    sh(script);
    const sorted = (s: string) => s.split('\n').filter(Boolean).sort().join('\n');
    // Linux dumps in hash order, so compare as sets of lines.
    expect(sorted(sh(`ip -n ${ns} neigh show`))).toBe(sorted(t.show()));
    expect(sorted(sh(`ip -n ${ns} neigh show nud all`))).toBe(sorted(t.show({ nud: 'all' })));
    expect(sorted(sh(`ip -n ${ns} neigh show dev eth0`))).toBe(sorted(t.show({ dev: 'eth0' })));
  });
});

it('errors are typed', () => {
  const { t } = table();
  t.add('10.0.0.1', 'eth0', { lladdr: M });
  try {
    t.add('10.0.0.1', 'eth0', { lladdr: M });
  } catch (e) {
    expect((e as CnikitError).code).toBe('Exists');
  }
});
