/**
 * Packets walked through the kernel model: a 2-node Calico-style routed
 * scenario and a 2-node Flannel VXLAN overlay, each with and without a
 * 1,000-rule FORWARD chain on both nodes (rules that do not match, so every
 * packet is classified through them and accepted by the policy).
 * Reported per packet and per hop (a hop = one namespace crossed), with the
 * estimated share of time spent in WASM: the number of each WASM call per
 * packet (route lookups, iptables hook walks, codec encap/decap; counted by
 * the walker) times its cost timed alone in the same run (FIB lookup through
 * its thin wrapper, an iptables hook walk of one record evaluated in place,
 * codec encap/decode through the Codec wrapper, which copies).
 * Baseline: the same scenario without the rules (the ratio is the cost of
 * the chain). Captures are off while timing.
 */
import { timeBatches, type BenchContext } from './harness.js';
import type { Result } from './results.js';
import { createCore, type Core } from '../src/core/core.js';
import { buildScenario, type Probe, type Scenario, type SimNetwork } from '../src/kernel/index.js';
import { calicoCluster, flannelCluster, type PodPlan } from '../src/topology/index.js';
import { parseIptPacket } from '../src/iptables/index.js';
import { resolveDecap, resolveEncap } from '../src/codec/index.js';

function forwardChain(rules: number): string | undefined {
  if (!rules) return undefined;
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < rules; i++) lines.push(`-A FORWARD -s 172.16.${i >> 8}.${i & 255}/32 -p tcp -m tcp --dport ${1000 + i} -j DROP`);
  return [...lines, 'COMMIT', ''].join('\n');
}

/** Nodes 10.0.0.1 and 10.0.0.2 on one segment, one pod each (pod1, pod2), from the topology generator. */
const PAIR = {
  nodes: 2,
  racks: [{ segment: 'lan', cidr: '10.0.0.0/24', gateway: '10.0.0.254' }],
  firstHost: 1,
  podName: (p: PodPlan) => `pod${p.node + 1}`,
} as const;

/** Two Calico nodes on one segment, a /32 pod on each: pod1 192.168.1.2 in block 192.168.1.0/26, pod2 192.168.2.2. */
export function routedScenario(rules = 0): Scenario {
  const blocks = { blockOrdinal: (i: number) => 4 * (i + 1), firstOrdinal: 2 };
  return calicoCluster({ ...PAIR, ...blocks, iptables: () => forwardChain(rules) }, 'routed', '2-node Calico routed');
}

/** Two Flannel VXLAN nodes with static neigh/FDB entries, a pod behind cni0 on each (pod2 is 10.244.2.2). */
export function overlayScenario(rules = 0): Scenario {
  return flannelCluster({ ...PAIR, defaultRoute: false, iptables: () => forwardChain(rules) }, 'overlay', '2-node Flannel VXLAN');
}

/** `eth0` address of the first pod of the scenario's second node: the destination of every probe. */
const farPod = (s: Scenario) => s.nodes[1].pods[0].address.split('/')[0];

interface Case {
  name: string;
  net: SimNetwork;
  probe: Probe;
  hops: number;
  calls: { fib: number; ipt: number; codec: number };
}

function prepare(core: Core, name: string, s: Scenario): Case {
  const to = farPod(s);
  // One-way: the port unreachable the destination kernel answers with is not walked.
  const net = buildScenario(core, s, { icmpErrors: false });
  const probe: Probe = { name, from: 'pod1', to, proto: 'udp', dport: 9, expect: 'DELIVERED' };
  const first = net.walk(probe); // resolves ARP, learns FDBs
  if (first.disposition !== 'DELIVERED') throw new Error(`${name}: ${first.disposition}`);
  net.stats = { fib: 0, ipt: 0, codec: 0 };
  const t = net.walk(probe);
  const calls = { ...net.stats };
  net.stats = undefined;
  net.setCapture(false);
  return { name, net, probe, hops: t.hops.length, calls };
}

/** The suite. */
export async function run(ctx: BenchContext): Promise<Result[]> {
  const core = await createCore();
  const cases = [
    prepare(core, 'routed', routedScenario()),
    prepare(core, 'routed+1000 FORWARD rules', routedScenario(1000)),
    prepare(core, 'overlay', overlayScenario()),
    prepare(core, 'overlay+1000 FORWARD rules', overlayScenario(1000)),
  ];
  const n = ctx.quick ? 200 : 2000;
  // JIT warm-up of the walk before any timing (a quick run has one round only).
  for (const c of cases) for (let i = 0; i < 500; i++) c.net.walk(c.probe);
  const opts = { rounds: ctx.quick ? 1 : 3, iterations: ctx.quick ? 3 : 8, warmup: 1 };
  const timings = await timeBatches(
    cases.map((c) => ({
      name: c.name,
      opsPerCall: n,
      fn: () => {
        for (let i = 0; i < n; i++) c.net.walk(c.probe);
      },
    })),
    opts,
  );
  // Costs of single WASM calls, as the walker makes them (one at a time).
  const routed = cases[0].net.ns('node1');
  const rules = cases[1].net.ns('node1').ipt!.engine;
  const cali = routedScenario().nodes[0].pods[0].hostVeth;
  const pkt = parseIptPacket(`proto=udp src=192.168.1.2 dst=192.168.2.2 dport=9 in=${cali} out=eth0`);
  rules.encode('FORWARD', pkt, rules.recordsView(), 0); // evaluated in place: the WASM walk without the per-call JS wrapper
  const ov = cases[2].net;
  const frame = ov.capture('node1', 'eth0')[0] ?? new Uint8Array();
  const inner = frame.subarray(50);
  // Resolved once, as the walker caches them per tunnel and peer.
  const codecParams = resolveEncap({ local: '10.0.0.1', remote: '10.0.0.2', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02' });
  const decap = resolveDecap({ mode: 'vxlan', ports: [8472] });
  const unit = await timeBatches(
    [
      { name: 'fib', opsPerCall: n, fn: () => { for (let i = 0; i < n; i++) routed.fib.get(0xc0a80202); } },
      { name: 'ipt', opsPerCall: n, fn: () => { for (let i = 0; i < n; i++) rules.evalInPlace('FORWARD', 1); } },
      { name: 'codec', opsPerCall: n, fn: () => { for (let i = 0; i < n; i += 2) { ov.codec.encap(inner, codecParams); ov.codec.decode(frame, decap); } } },
    ],
    opts,
  );
  const cost = Object.fromEntries(unit.map((u) => [u.name, u.nsPerOp])) as Record<'fib' | 'ipt' | 'codec', number>;
  const rows: Result[] = [];
  cases.forEach((c, i) => {
    const t = timings[i];
    const base = c.name.includes('+') ? c.name.split('+')[0] : undefined;
    const baseT = base ? timings[cases.findIndex((x) => x.name === base)] : undefined;
    const wasm = c.calls.fib * cost.fib + c.calls.ipt * cost.ipt + c.calls.codec * cost.codec;
    const share = Math.min(1, wasm / t.nsPerOp);
    rows.push(
      { suite: 'kernel', case: c.name, metric: 'ns/packet', value: t.nsPerOp, unit: 'ns', ...(baseT ? { baseline: base, ratio: baseT.nsPerOp / t.nsPerOp } : {}) },
      { suite: 'kernel', case: c.name, metric: 'ns/hop', value: t.nsPerOp / c.hops, unit: 'ns' },
      { suite: 'kernel', case: c.name, metric: 'packets/s', value: t.opsPerSec, unit: 'pkt/s' },
      { suite: 'kernel', case: c.name, metric: 'wasm share', value: share * 100, unit: '%' },
    );
    ctx.log(`kernel ${c.name}: ${t.nsPerOp.toFixed(0)} ns/packet, ${c.hops} hops, ${(t.nsPerOp / c.hops).toFixed(0)} ns/hop, ${t.opsPerSec.toFixed(0)} pkt/s, wasm ~${(share * 100).toFixed(0)}% (calls fib ${c.calls.fib} ipt ${c.calls.ipt} codec ${c.calls.codec})`);
  });
  ctx.log(`kernel unit costs: fib ${cost.fib.toFixed(0)} ns, ipt hook walk in place ${cost.ipt.toFixed(0)} ns (1000 rules), codec ${cost.codec.toFixed(0)} ns`);
  for (const c of cases) c.net.dispose();
  return rows;
}
