import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { BridgeFdb, VxlanFdb, DEFAULT_AGEING_MS } from '../src/kernel/index.js';
import { SimClock } from '../src/store/clock.js';
import { InputError } from '../src/core/errors.js';
import { kernelLane, sayskip, sh } from './support/netns.js';

const M = 'd6:51:2e:80:5c:69';

describe('BridgeFdb (cni0)', () => {
  it('learns sources, forwards known unicast, floods unknown and group addresses', () => {
    const clock = new SimClock();
    const br = new BridgeFdb('cni0', clock);
    expect(br.lookup('02:00:00:00:00:01')).toEqual({ kind: 'flood' });
    expect(br.learn('02:00:00:00:00:01', 'veth1')).toBe(true);
    expect(br.learn('01:00:5e:00:00:01', 'veth1')).toBe(true); // never learned
    expect(br.lookup('02:00:00:00:00:01')).toMatchObject({ kind: 'forward', entry: { dev: 'veth1', state: 'dynamic' } });
    expect(br.lookup('ff:ff:ff:ff:ff:ff')).toEqual({ kind: 'flood' });
    expect(br.entries()).toHaveLength(1);
    // The station moves: the next frame from it re-learns the port.
    br.learn('02:00:00:00:00:01', 'veth2');
    expect(br.lookup('02:00:00:00:00:01')).toMatchObject({ kind: 'forward', entry: { dev: 'veth2' } });
  });
  it('ages learned entries after ageing_time (300 s); refreshes on every frame', () => {
    const clock = new SimClock();
    const br = new BridgeFdb('cni0', clock);
    expect(br.ageingTimeMs).toBe(DEFAULT_AGEING_MS);
    br.learn('02:00:00:00:00:01', 'veth1');
    clock.advance(200_000);
    br.learn('02:00:00:00:00:01', 'veth1');
    clock.advance(299_999);
    expect(br.lookup('02:00:00:00:00:01').kind).toBe('forward');
    clock.advance(1);
    expect(br.lookup('02:00:00:00:00:01').kind).toBe('flood');
    expect(br.show()).toBe('');
  });
  it('local (permanent) entries deliver to the bridge and never move; static entries do not age', () => {
    const clock = new SimClock();
    const br = new BridgeFdb('cni0', clock, 10_000);
    br.add('0a:58:0a:f4:01:01', 'cni0');
    br.add('02:11:22:33:44:55', 'veth1', { state: 'static' });
    expect(br.lookup('0a:58:0a:f4:01:01')).toMatchObject({ kind: 'local' });
    expect(br.learn('0a:58:0a:f4:01:01', 'veth3')).toBe(false);
    expect(br.lookup('0a:58:0a:f4:01:01')).toMatchObject({ entry: { dev: 'cni0' } });
    clock.advance(60_000);
    expect(br.lookup('02:11:22:33:44:55')).toMatchObject({ kind: 'forward', entry: { state: 'static' } });
    expect(() => br.add('02:11:22:33:44:55', 'veth1')).toThrow('RTNETLINK answers: File exists');
    expect(() => br.add('02:11:22:33:44:56', 'veth1', { state: 'bogus' })).toThrow(InputError);
    expect(() => br.add('02:11:22:33:44', 'veth1')).toThrow(InputError);
    br.del('02:11:22:33:44:55', 'veth1');
    expect(() => br.del('02:11:22:33:44:55', 'veth1')).toThrow('No such file or directory');
    expect(() => br.del('0a:58:0a:f4:01:01', 'veth1')).toThrow('No such file or directory');
  });
  it('prints bridge fdb show lines (a learned entry has no state word, keeps the space)', () => {
    const clock = new SimClock();
    const br = new BridgeFdb('cni0', clock);
    br.add('02:11:22:33:44:55', 'veth1', { state: 'static' });
    br.add('22:90:BE:6F:A0:D3', 'veth1', { state: 'local' });
    br.learn('02:00:00:00:00:09', 'veth2');
    expect(br.show()).toBe(['02:11:22:33:44:55 dev veth1 master cni0 static', '22:90:be:6f:a0:d3 dev veth1 master cni0 permanent', '02:00:00:00:00:09 dev veth2 master cni0 ', ''].join('\n'));
    expect(br.show({ dev: 'veth2' })).toBe('02:00:00:00:00:09 master cni0 \n');
  });
});

describe('VxlanFdb (flannel.1)', () => {
  it('prints flannel\'s per-node entry as bridge fdb show does', () => {
    const clock = new SimClock();
    const fdb = new VxlanFdb('flannel.1', clock, { learning: false });
    fdb.add(M, '10.0.0.2');
    expect(fdb.show()).toBe(`${M} dev flannel.1 dst 10.0.0.2 self permanent\n`);
    expect(fdb.show({ withDev: false })).toBe(`${M} dst 10.0.0.2 self permanent\n`);
    expect(fdb.lookup(M)).toMatchObject({ kind: 'hit', dsts: ['10.0.0.2'] });
    expect(() => fdb.add(M, '10.0.0.3')).toThrow('File exists');
    fdb.replace(M, '10.0.0.3');
    expect(fdb.lookup(M)).toMatchObject({ dsts: ['10.0.0.3'] });
  });
  it('the all-zeros entry is the default (flood list built with append)', () => {
    const clock = new SimClock();
    const fdb = new VxlanFdb('vxlan0', clock);
    fdb.append('00:00:00:00:00:00', '10.0.0.2');
    fdb.append('00:00:00:00:00:00', '10.0.0.3');
    fdb.append('00:00:00:00:00:00', '10.0.0.3');
    expect(fdb.lookup(M)).toMatchObject({ kind: 'default', dsts: ['10.0.0.2', '10.0.0.3'] });
    expect(fdb.lookup('ff:ff:ff:ff:ff:ff')).toMatchObject({ kind: 'default' });
    fdb.del('00:00:00:00:00:00', '10.0.0.2');
    expect(fdb.lookup(M)).toMatchObject({ dsts: ['10.0.0.3'] });
    expect(() => fdb.del('00:00:00:00:00:00', '10.0.0.9')).toThrow('No such file or directory');
    fdb.del('00:00:00:00:00:00');
    expect(fdb.lookup(M)).toEqual({ kind: 'miss', dropped: true, l2miss: false });
    expect(() => fdb.del(M)).toThrow('No such file or directory');
  });
  it('learning: remote MACs are learned from the outer source, aged after 300 s; permanent ones never move', () => {
    const clock = new SimClock();
    const fdb = new VxlanFdb('vxlan0', clock);
    fdb.learn('02:00:00:00:00:07', '10.0.0.7');
    expect(fdb.show()).toBe('02:00:00:00:00:07 dev vxlan0 dst 10.0.0.7 self \n');
    fdb.learn('02:00:00:00:00:07', '10.0.0.8');
    expect(fdb.lookup('02:00:00:00:00:07')).toMatchObject({ dsts: ['10.0.0.8'] });
    fdb.add(M, '10.0.0.2');
    fdb.learn(M, '10.0.0.66');
    expect(fdb.lookup(M)).toMatchObject({ dsts: ['10.0.0.2'] });
    clock.advance(300_000);
    expect(fdb.lookup('02:00:00:00:00:07').kind).toBe('miss');
    expect(fdb.entries()).toHaveLength(1);
    // A flood list mixing a learned-age remote and a permanent one loses only the aged one.
    fdb.append('00:00:00:00:00:00', '10.0.0.2', { state: 'dynamic' });
    fdb.append('00:00:00:00:00:00', '10.0.0.3');
    clock.advance(300_000);
    expect(fdb.lookup('02:00:00:00:00:42')).toMatchObject({ kind: 'default', dsts: ['10.0.0.3'] });
    const off = new VxlanFdb('flannel.1', clock, { learning: false });
    off.learn(M, '10.0.0.2');
    expect(off.entries()).toEqual([]);
  });
  it('L2 MISS: the frame is dropped, the agent\'s answer installed as a dynamic entry for the retry (flannel ≤ v0.4)', () => {
    const clock = new SimClock();
    const fdb = new VxlanFdb('flannel.1', clock, { l2miss: true, ageingMs: 60_000 });
    const asked: string[] = [];
    fdb.setAgent(({ mac, dev }) => {
      asked.push(`${dev} ${mac}`);
      return mac === M ? { dst: '192.168.1.12' } : undefined;
    });
    const r = fdb.lookup(M);
    expect(r).toMatchObject({ kind: 'miss', dropped: true, l2miss: true, installed: { mac: M, dst: '192.168.1.12', state: 'dynamic' } });
    expect(fdb.lookup(M)).toMatchObject({ kind: 'hit', dsts: ['192.168.1.12'] });
    expect(fdb.lookup('02:00:00:00:00:01')).toEqual({ kind: 'miss', dropped: true, l2miss: true });
    expect(fdb.lookup('33:33:00:00:00:01')).toEqual({ kind: 'miss', dropped: true, l2miss: false }); // no miss for group MACs
    expect(asked).toEqual([`flannel.1 ${M}`, 'flannel.1 02:00:00:00:00:01']);
    clock.advance(60_000); // "The entries aged out and were re-missed."
    expect(fdb.lookup(M).kind).toBe('miss');
    expect(asked).toHaveLength(3);
    fdb.setAgent(undefined);
    expect(fdb.lookup('02:00:00:00:00:02')).toEqual({ kind: 'miss', dropped: true, l2miss: true });
  });
  it('validates addresses and states', () => {
    const fdb = new VxlanFdb('vxlan0', new SimClock());
    expect(() => fdb.add(M, '10.0.0')).toThrow(InputError);
    expect(() => fdb.add(M, '10.0.0.1', { state: 'nope' })).toThrow(InputError);
    fdb.add(M, 'fd00::2', { state: 'static' });
    expect(fdb.show()).toBe(`${M} dev vxlan0 dst fd00::2 self static\n`);
  });
});

const lane = kernelLane(['ip', 'bridge']);
if (!lane.ok) sayskip('kernel-fdb real bridge fdb show', lane.reason);
describe.skipIf(!lane.ok)('against real bridge fdb show', () => {
  const ns = `cnk-store-${process.pid}-fdb`;
  afterAll(() => void sh(`ip netns del ${ns} 2>/dev/null || true`));
  it('bridge master entries print the same bytes', () => {
    sh(`ip netns add ${ns}; ip -n ${ns} link add cni0 type bridge; ip -n ${ns} link add veth1 type veth peer name veth1p; ip -n ${ns} link set veth1 master cni0
        bridge -n ${ns} fdb add 02:11:22:33:44:55 dev veth1 master static
        bridge -n ${ns} fdb add 02:11:22:33:44:66 dev veth1 master`);
    const br = new BridgeFdb('cni0', new SimClock());
    br.add('02:11:22:33:44:55', 'veth1', { state: 'static' });
    br.add('02:11:22:33:44:66', 'veth1');
    const ours = (s: string) => s.split('\n').filter((l) => l.startsWith('02:11:22:33:44:')).sort().join('\n');
    expect(ours(sh(`bridge -n ${ns} fdb show br cni0`))).toBe(ours(br.show()));
    expect(ours(sh(`bridge -n ${ns} fdb show dev veth1`))).toBe(ours(br.show({ dev: 'veth1' })));
  });
  it('vxlan self entries print the same bytes (needs the vxlan module)', (ctx) => {
    const probe = spawnSync('ip', ['-n', ns, 'link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning']);
    if (probe.status !== 0) {
      sayskip('kernel-fdb vxlan', `cannot create a vxlan device here: ${String(probe.stderr).trim()}`);
      return ctx.skip();
    }
    sh(`bridge -n ${ns} fdb append ${M} dev flannel.1 dst 10.0.0.2 self permanent
        bridge -n ${ns} fdb append 00:00:00:00:00:00 dev flannel.1 dst 10.0.0.3 self permanent`);
    const fdb = new VxlanFdb('flannel.1', new SimClock(), { learning: false });
    fdb.add(M, '10.0.0.2');
    fdb.append('00:00:00:00:00:00', '10.0.0.3');
    const sorted = (s: string) => s.split('\n').filter(Boolean).sort().join('\n');
    expect(sorted(sh(`bridge -n ${ns} fdb show dev flannel.1`))).toBe(sorted(fdb.show({ withDev: false })));
  });
});
