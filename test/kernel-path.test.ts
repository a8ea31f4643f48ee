import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../src/core/core.js';
import type { KernelStep, Step } from '../src/core/trace.js';
import { Codec } from '../src/codec/index.js';
import { buildScenario, Netlink, type NodeSpec, type PacketSpec, type Scenario, type SimNetwork } from '../src/kernel/index.js';
import { calicoPod } from '../src/topology/index.js';
import { calicoPair, flannel } from './support/kernel-scenarios.js';

let core: Core;
let codec: Codec;
beforeAll(async () => {
  core = await createCore();
  codec = new Codec(core);
});

/**
 * Flannel VXLAN with flannel.1, cni0 and the pods at MTU 1500: a full-size
 * inner frame makes a 1550-byte outer packet on a 1500 underlay. Built the
 * way Linux allows it: flannel.1 made at 1500 over a 1550 eth0, then eth0
 * lowered to 1500 (the vxlan MTU is left as it was).
 */
function flannelNoHeadroom(): SimNetwork {
  const s = flannel({ podMtu: 1500 });
  for (const n of s.nodes) for (const i of n.interfaces) if (i.kind === 'vxlan' || i.kind === 'bridge') i.mtu = 1500;
  for (const n of s.nodes) for (const i of n.interfaces) if (i.kind === 'phys') i.mtu = 1550;
  for (const seg of s.segments) seg.mtu = 1550;
  const net = buildScenario(core, s);
  const nl = Netlink.of(net);
  for (const n of s.nodes) nl.linkSet(n.name, 'eth0', { mtu: 1500 });
  return net;
}

/** Two Calico IPIP nodes on one segment with tunl0 at MTU 1500 (Calico sets 1480): a full-size inner packet makes a 1520-byte outer one. */
function ipipNoHeadroom(): Scenario {
  const node = (i: number, other: number): NodeSpec => ({
    name: `node${i}`,
    interfaces: [
      { kind: 'phys', name: 'eth0', segment: 'lan', address: `10.0.0.${i}/24`, mac: `02:00:00:00:00:0${i}` },
      { kind: 'ipip', name: 'tunl0', address: `192.168.${i}.0/32`, mtu: 1500 },
    ],
    // The default route lets proxy_arp answer the pods for 169.254.1.1 (as calicoPair).
    routes: ['default via 10.0.0.254 dev eth0', `192.168.${i}.2 dev cali${i} scope link`, `192.168.${other}.0/26 via 10.0.0.${other} dev tunl0 onlink`],
    sysctls: { [`net.ipv4.conf.cali${i}.proxy_arp`]: '1' },
    pods: [calicoPod(`pod${i}`, `192.168.${i}.2`, `02:aa:00:00:00:0${i}`, `cali${i}`)],
  });
  return { name: 'ipip', description: 'two IPIP nodes', segments: [{ name: 'lan' }], nodes: [node(1, 2), node(2, 1)], probes: [] };
}

const kinds = (steps: readonly Step[]) => steps.map((s) => s.kind);

describe('kernel path: one output path for every packet', () => {
  it('a VXLAN outer packet over the underlay MTU is fragmented (DF clear), reassembled by the receiver, decapsulated and delivered', () => {
    const net = flannelNoHeadroom();
    const sent = net.send({ from: 'p1', to: '10.244.2.2', proto: 'icmp', size: 1472, df: false });
    expect(sent.trace.disposition).toBe('DELIVERED');
    // The first fragment's walk ends where it waits for the second: node2 reassembles before vxlan_rcv.
    expect(sent.trace.hops.map((h) => h.node)).toEqual(['p1', 'node1', 'node2']);
    const n1 = sent.trace.hops[1].steps;
    // vxlan_xmit -> outer route -> skb_tunnel_check_pmtu (a PMTU exception) -> ip_local_out (OUTPUT, POSTROUTING) -> ip_finish_output (fragment) -> neighbour -> transmit
    const tail = kinds(n1).slice(kinds(n1).lastIndexOf('fdb'));
    expect(tail).toEqual(['fdb', 'route', 'mtu', 'encapsulate', 'fragment', 'neighbour', 'transmit', 'wire']);
    expect(net.ipRouteGet('node1', '10.244.2.2')).toBe('10.244.2.2 via 10.244.2.0 dev flannel.1 src 10.244.1.0\n    cache expires 600sec mtu 1450');
    expect(n1.find((s) => s.kind === 'fragment')!.detail).toBe('1550 > mtu 1500 of eth0: 2 fragments');
    const outerRoute = n1.filter((s): s is Extract<KernelStep, { kind: 'route' }> => s.kind === 'route').at(-1)!;
    expect(outerRoute.data).toMatchObject({ table: 'main', type: 'unicast', outer: true });
    // On the wire: two outer fragments each way (MF + offset 0, then offset 1480/8), no frame over the MTU.
    const wire = net.capture('node1', 'eth0');
    expect(wire.map((f) => [f.length, ((f[20] << 8) | f[21]) & 0x3fff])).toEqual([
      [14 + 1500, 0x2000],
      [14 + 70, 185],
      [14 + 1500, 0x2000],
      [14 + 70, 185],
    ]);
    expect(net.capture('node2', 'eth0')).toEqual(wire);
    // The inner frame arrives whole: p2 got the 1500-byte request and p1 the 1500-byte reply.
    expect(net.capture('p2', 'eth0').map((f) => f.length)).toEqual([14 + 1500, 14 + 1500]);
    expect(sent.reply!.disposition).toBe('DELIVERED');
    expect(net.capture('p1', 'eth0').map((f) => f.length)).toEqual([14 + 1500, 14 + 1500]);
    net.dispose();
  });

  it('an IPIP outer packet over the underlay MTU with DF (inherited from the inner packet) is dropped: MTU_EXCEEDED, nothing on the wire', () => {
    const net = buildScenario(core, ipipNoHeadroom());
    const sent = net.send({ from: 'pod1', to: '192.168.2.2', proto: 'icmp', size: 1472 });
    expect(sent.trace.disposition).toBe('MTU_EXCEEDED');
    expect(sent.trace.hops.map((h) => h.node)).toEqual(['pod1', 'node1']);
    const last = sent.trace.hops[1].steps.at(-1)!;
    expect(last).toMatchObject({ kind: 'mtu', action: 'DROP', data: { mtu: 1500, length: 1520 } });
    expect(net.capture('node1', 'eth0')).toEqual([]);
    expect(sent.errors).toEqual([]);
    // Without DF the same packet is fragmented outside and delivered.
    const ok = net.send({ from: 'pod1', to: '192.168.2.2', proto: 'icmp', size: 1472, df: false });
    expect(ok.trace.disposition).toBe('DELIVERED');
    const frames = net.capture('node1', 'eth0');
    expect(frames[0].length).toBe(14 + 1500);
    const d = codec.decode(frames[0], { mode: 'ipip' });
    expect(d.ok).toBe(false); // a fragment: the codec refuses to decapsulate it, as ipip_rcv never sees one
    expect(net.capture('pod2', 'eth0')[0].length).toBe(14 + 1500);
    net.dispose();
  });

  it('an outer packet within the MTU is not fragmented (the recorded scenarios stay as they were)', () => {
    const net = buildScenario(core, flannel());
    const t = net.walk({ from: 'p1', to: '10.244.2.2', proto: 'icmp', size: 1422 });
    expect(t.disposition).toBe('DELIVERED');
    expect(kinds(t.hops[1].steps)).not.toContain('fragment');
    expect(net.capture('node1', 'eth0')[0].length).toBe(14 + 1500);
    net.dispose();
  });
});

describe('kernel path: explicit inputs and results', () => {
  it('walk() and send() take a bare packet; send() returns the reply and errors it caused, nothing is left on the network', () => {
    const net = buildScenario(core, calicoPair());
    const p: PacketSpec = { from: 'a', to: '192.168.2.2', proto: 'icmp' };
    expect(net.walk(p).disposition).toBe('DELIVERED');
    const r = net.send(p);
    expect(r.reply!.hops.map((h) => h.node)).toEqual(['b', 'node2', 'node1', 'a']);
    expect(r.errors).toEqual([]);
    const u = net.send({ from: 'a', to: '192.168.2.2', proto: 'udp', dport: 7 });
    expect(u.reply).toBeUndefined();
    expect(u.errors.map((t) => t.hops.map((h) => h.node))).toEqual([['b', 'node2', 'node1', 'a']]);
    expect(Object.keys(net)).not.toEqual(expect.arrayContaining(['lastReply']));
    net.dispose();
  });

  it('steps are typed by kind: a neighbour step carries lladdr, a transmit step dev and length', () => {
    const net = buildScenario(core, calicoPair());
    const t = net.walk({ from: 'a', to: '192.168.2.2', proto: 'icmp' });
    const steps = t.hops.flatMap((h) => h.steps);
    const lladdrs: string[] = [];
    let bytes = 0;
    for (const s of steps) {
      if (s.kind === 'neighbour' && s.data?.lladdr) lladdrs.push(s.data.lladdr);
      if (s.kind === 'transmit' && s.data) bytes += s.data.length;
    }
    expect(lladdrs[0]).toBe('ee:ee:ee:ee:ee:ee');
    expect(bytes).toBe(3 * 98); // a's eth0, node1's eth0, node2's cali3
    net.dispose();
  });

  it('a forwarded packet hitting a throw route is told "net unreachable" (ip_error: ENETUNREACH), as the one route-type map says', () => {
    const s = calicoPair();
    s.nodes[0].routes.push('throw 192.168.7.0/24');
    const net = buildScenario(core, s);
    const r = net.send({ from: 'a', to: '192.168.7.1', proto: 'icmp' });
    expect(r.trace.disposition).toBe('NULL_ROUTED');
    expect(r.trace.hops[1].steps.at(-1)!.data).toMatchObject({ type: 'throw', icmp: 'net unreachable' });
    const err = net.capture('a', 'eth0').at(-1)!;
    expect([err[34], err[35]]).toEqual([3, 0]);
    expect(r.errors).toHaveLength(1);
    net.dispose();
  });
});

describe('kernel path: the shape of src/kernel/path/', () => {
  // Why this test? The path reads top-down only while no stage calls another stage directly:
  // a stage returns the next stage and walk.ts calls it, which also keeps the folder free of import cycles.
  it('no stage module imports another stage module; only the driver (walk.ts) imports stages', () => {
    const dir = new URL('../src/kernel/path/', import.meta.url);
    const stages = ['output', 'xmit', 'bridge', 'receive', 'forward', 'vxlan', 'ipip', 'tun'];
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files).toEqual(expect.arrayContaining([...stages, 'walk'].map((s) => `${s}.ts`)));
    const bad: string[] = [];
    for (const f of files) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      for (const m of text.matchAll(/from '\.\/([\w-]+)\.js'/g)) if (f !== 'walk.ts' && stages.includes(m[1])) bad.push(`${f} imports ${m[1]}.ts`);
      // Each file opens with a comment naming the Linux functions it models.
      expect(text.startsWith('/**'), f).toBe(true);
    }
    expect(bad).toEqual([]);
  });
});
