// Proxy ARP as the model answers it, against the real kernel: Calico-style
// /32 pods on cali veths with proxy_arp get an answer for 169.254.1.1 only
// when the host has a route to it (here: its default route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, type Scenario } from '../src/kernel/index.js';
import { calicoPod } from '../src/topology/index.js';
import { kernelLane, sayskip, sh } from './support/netns.js';
import { readCapture } from '../src/pcap/index.js';
import { readFileSync } from 'node:fs';

function scenario(withDefault: boolean): Scenario {
  const pod = (name: string, i: number, veth: string) => calicoPod(name, `192.168.1.${i}`, `02:aa:00:00:00:0${i}`, veth);
  return {
    name: 'proxy-arp',
    description: 'one Calico node, two pods',
    segments: [{ name: 'lan' }],
    nodes: [
      {
        name: 'n',
        interfaces: [{ kind: 'phys', name: 'up0', segment: 'lan', address: '10.0.0.1/24', mac: '02:00:00:00:00:01' }],
        routes: [...(withDefault ? ['default via 10.0.0.254 dev up0'] : []), '192.168.1.2 dev cali1 scope link', '192.168.1.3 dev cali2 scope link'],
        sysctls: { 'net.ipv4.conf.cali1.proxy_arp': '1', 'net.ipv4.conf.cali2.proxy_arp': '1' },
        pods: [pod('a', 2, 'cali1'), pod('b', 3, 'cali2')],
      },
    ],
    probes: [],
  };
}

const lane = kernelLane(['ip', 'ping', 'tcpdump']);
if (!lane.ok) sayskip('kernel-real-arp proxy_arp vs the model', lane.reason);

describe.skipIf(!lane.ok)('the real kernel: proxy_arp needs a route, as the model says', () => {
  const p = `cnk-kmodel-${process.pid}`;
  let core: Core;
  beforeAll(async () => {
    core = await createCore();
    sh(`for x in n a b; do ip netns add ${p}-$x; ip -n ${p}-$x link set lo up; done
ip -n ${p}-n link add cali1 type veth peer name eth0 netns ${p}-a
ip -n ${p}-n link add cali2 type veth peer name eth0 netns ${p}-b
ip -n ${p}-n link add up0 type veth peer name up1
for d in cali1 cali2; do ip -n ${p}-n link set $d address ee:ee:ee:ee:ee:ee; ip -n ${p}-n link set $d up; done
ip -n ${p}-n link set up0 up; ip -n ${p}-n link set up1 up; ip -n ${p}-n addr add 10.0.0.1/24 dev up0
ip netns exec ${p}-n sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.cali1.proxy_arp=1 net.ipv4.conf.cali2.proxy_arp=1
ip -n ${p}-n route add 192.168.1.2 dev cali1 scope link
ip -n ${p}-n route add 192.168.1.3 dev cali2 scope link
for x in a:2 b:3; do n=\${x%:*}; i=\${x#*:}; ip -n ${p}-$n link set eth0 address 02:aa:00:00:00:0$i; ip -n ${p}-$n addr add 192.168.1.$i/32 dev eth0; ip -n ${p}-$n link set eth0 up; ip -n ${p}-$n route add 169.254.1.1 dev eth0 scope link; ip -n ${p}-$n route add default via 169.254.1.1 dev eth0; done`);
  });
  afterAll(() => {
    sh(`for x in n a b; do ip netns del ${p}-$x 2>/dev/null || true; done`);
  });

  // A proxied ARP reply waits a random 0..proxy_delay (0.8 s) (arp_process -> pneigh_enqueue), once for
  // the request's 169.254.1.1 and once for the reply's: up to 1.6 s, so ping gets a deadline, not -W1.
  const realPing = () => sh(`ip netns exec ${p}-a ping -c3 -i0.2 -w5 192.168.1.3 >/dev/null 2>&1 && echo DELIVERED || echo FAILED`).trim();

  it('no default route on the node: neither answers; with one: both deliver', () => {
    const without = buildScenario(core, scenario(false));
    const m1 = without.walkRoundTrip({ name: 'x', from: 'a', to: '192.168.1.3', proto: 'icmp', expect: 'NEIGH_FAILED' });
    expect(m1.request.disposition).toBe('NEIGH_FAILED');
    expect(realPing()).toBe('FAILED');
    without.dispose();

    sh(`ip -n ${p}-n route add default via 10.0.0.254 dev up0; ip -n ${p}-a neigh flush all`);
    const withDefault = buildScenario(core, scenario(true));
    const m2 = withDefault.walkRoundTrip({ name: 'x', from: 'a', to: '192.168.1.3', proto: 'icmp', expect: 'DELIVERED' });
    expect(m2.request.disposition).toBe('DELIVERED');
    expect(m2.reply!.disposition).toBe('DELIVERED');
    expect(realPing()).toBe('DELIVERED');
    expect(withDefault.ipNeigh('a')).toBe(sh(`ip -n ${p}-a neigh show`));
    expect(withDefault.ipRoute('n')).toBe(sh(`ip -n ${p}-n route`));
    withDefault.dispose();
  });

  it('the forwarded echo request on cali2 is the same frame, apart from the fields ping randomises', () => {
    const file = `/tmp/${p}-cali2.pcap`;
    sh(`ip -n ${p}-n route replace default via 10.0.0.254 dev up0
(ip netns exec ${p}-n timeout 5 tcpdump -U -c 1 -i cali2 -w ${file} icmp[0]==8 >/dev/null 2>&1 &)
sleep 0.7
ip netns exec ${p}-a ping -c1 -W1 192.168.1.3 >/dev/null
sleep 0.5`);
    const real = readCapture(readFileSync(file)).packets[0].data;
    const net = buildScenario(core, scenario(true));
    const id = (real[18] << 8) | real[19];
    const icmpId = (real[38] << 8) | real[39];
    net.pins = { ipId: id, icmpId };
    net.walk({ name: 'x', from: 'a', to: '192.168.1.3', proto: 'icmp', expect: 'DELIVERED' });
    const model = net.capture('n', 'cali2')[0];
    // Ethernet + IPv4 header (TTL 63, DF, addresses, checksum with the pinned ID) and ICMP type/code/id
    expect([...model.subarray(0, 36)]).toEqual([...real.subarray(0, 36)]);
    expect([...model.subarray(38, 40)]).toEqual([...real.subarray(38, 40)]);
    expect(model.length).toBe(real.length);
    sh(`rm -f ${file}`);
    net.dispose();
  });
});
