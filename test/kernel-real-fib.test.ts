// The model's FIB printers against the real kernel: the same address and
// `ip route add` lines in a namespace, `ip route` / `ip route show table
// local` / `ip route get` compared byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, type Scenario } from '../src/kernel/index.js';
import { kernelLane, sayskip, sh } from './support/netns.js';

const ROUTES = [
  'default via 10.0.0.254 dev eth0',
  '192.168.1.2 dev eth0 scope link',
  '192.168.2.0/26 via 10.0.0.2 dev eth0 proto bird',
  'blackhole 192.168.9.0/24',
  'unreachable 10.66.0.0/16',
  '10.244.2.0/24 via 10.244.2.0 dev eth0 onlink',
  '10.1.0.0/16 via 10.0.0.3 dev eth0 src 10.0.0.1 metric 10 proto static',
  '10.51.0.0/16 via 10.0.0.9',
];
const GETS = ['192.168.2.2', '10.0.0.1', '10.244.2.7', '10.1.2.3', '10.51.0.1', '8.8.8.8', '10.0.0.255'];

const scenario: Scenario = {
  name: 'fib',
  description: 'one node, routes of every kind',
  segments: [{ name: 'lan' }],
  nodes: [{ name: 'n1', interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan', address: '10.0.0.1/24', mac: '02:00:00:00:00:01' }], routes: ROUTES, pods: [] }],
  probes: [],
};

const lane = kernelLane(['ip']);
if (!lane.ok) sayskip('kernel-real-fib ip route vs the model', lane.reason);

describe.skipIf(!lane.ok)('the real kernel: ip route as the model prints it', () => {
  const ns = `cnk-kmodel-${process.pid}-fib`;
  let core: Core;
  beforeAll(async () => {
    core = await createCore();
    sh(`ip netns add ${ns}
ip -n ${ns} link set lo up
ip -n ${ns} link add eth0 type veth peer name eth9
ip -n ${ns} link set eth0 up
ip -n ${ns} link set eth9 up
ip -n ${ns} addr add 10.0.0.1/24 dev eth0
${ROUTES.map((r) => `ip -n ${ns} route add ${r}`).join('\n')}`);
  });
  afterAll(() => {
    sh(`ip netns del ${ns} || true`);
  });

  it('ip route, ip route show table local and ip route get agree', () => {
    const net = buildScenario(core, scenario);
    expect(net.ipRoute('n1')).toBe(sh(`ip -n ${ns} route`));
    expect(net.ipRoute('n1', 'local')).toBe(sh(`ip -n ${ns} route show table local`));
    for (const a of GETS) {
      const real = sh(`ip -n ${ns} route get ${a}`).split('\n')[0].replace(/ uid 0\s*$/, '');
      expect(net.ipRouteGet('n1', a), a).toBe(real);
    }
    for (const a of ['192.168.9.1', '10.66.0.1']) {
      const err = sh(`ip -n ${ns} route get ${a} 2>&1 || true`).trim();
      expect(net.ipRouteGet('n1', a), a).toBe(err);
    }
    net.dispose();
  });
});
