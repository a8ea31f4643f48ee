/**
 * Renders a scenario as a bash script that builds it in real network
 * namespaces with `ip`, `bridge`, `sysctl`, `ethtool` and
 * `iptables-restore` (see docs/netns.md). Route, neighbour and FDB lines
 * are passed to `ip route add`, `ip neigh add` and `bridge fdb add` as
 * given, so the script is a plain rendering of the scenario's tables.
 *
 * The fabric: each segment is a bridge `br0` (a learning switch) in its own
 * namespace; each `phys` interface is a veth whose peer is a port of that
 * bridge. IPv6 is disabled everywhere so that captures hold only the
 * probes' IPv4 and ARP frames, and TX checksum offload is turned off on
 * every veth so captured bytes are final.
 *
 * A node's miss responder (`NodeSpec.missResponder`) is started last, in
 * the background in the node's namespace (miss-responder.ts); the build
 * waits until each says it runs, and `down` (and a failed build) kills it
 * before deleting the namespaces.
 */
import { InputError } from '../core/errors.js';
import { parseIPv4, parseMac } from '../net/ip.js';
import { layout } from './layout.js';
import { MISS_RESPONDER_PY, responderArgs } from './miss-responder.js';
import type { IfaceSpec, NodeSpec, Scenario } from '../kernel/scenario.js';

/** Options of {@link exportNetns}. */
export interface ExportOptions {
  /** Namespace name prefix. Default `cnk-`. */
  prefix?: string;
}

/** Where the script keeps each miss responder's pid and log (`<netns>.miss.pid`, `.log`). */
export const RUN_DIR = '/run/cnikit';

const WORDS = /^[A-Za-z0-9 ._:/=-]+$/;

function words(s: string, what: string): string {
  if (!WORDS.test(s)) throw new InputError('BadTableLine', what, `words of [A-Za-z0-9 ._:/=-], got ${JSON.stringify(s)}`);
  return s.trim().replace(/\s+/g, ' ');
}

function mac(s: string, what: string): string {
  parseMac(s);
  return words(s, what).toLowerCase();
}

/** An interface address `A.B.C.D[/len]` (host bits allowed, as `ip addr add` takes it). */
function addr(s: string, what: string): string {
  const [ip, len, more] = s.split('/');
  parseIPv4(ip);
  if (more !== undefined || (len !== undefined && !/^([0-9]|[12][0-9]|3[0-2])$/.test(len))) throw new InputError('BadAddress', what, `A.B.C.D or A.B.C.D/0..32, got ${JSON.stringify(s)}`);
  return words(s, what);
}

function mtuOf(n: number | undefined, what: string): number | undefined {
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < 68 || n > 65535) throw new InputError('BadMtu', what, `an MTU in 68..65535, got ${n}`);
  return n;
}

/** Lines that create one host interface in namespace `ns`. */
function ifaceLines(ns: string, i: IfaceSpec, node: NodeSpec, segMtu: (s: string) => number, port: (n: string, i: string) => string, segNs: (s: string) => string): string[] {
  const at = `${node.name} ${i.name}`;
  const L: string[] = [];
  const ipn = `ip -n ${ns}`;
  let mtu = mtuOf(i.mtu, at);
  if (i.kind === 'phys') {
    const p = port(node.name, i.name);
    const sns = segNs(i.segment);
    mtu ??= segMtu(i.segment);
    L.push(`${ipn} link add ${i.name} type veth peer name ${p}`, `${ipn} link set ${p} netns ${sns}`);
    // The switch port has the segment's MTU (the model's Segment.mtu), the NIC its own.
    L.push(`ip -n ${sns} link set ${p} mtu ${segMtu(i.segment)} master br0 up`, `ip netns exec ${sns} ethtool -K ${p} tx off >/dev/null`);
    L.push(`ip netns exec ${ns} ethtool -K ${i.name} tx off >/dev/null`);
  } else if (i.kind === 'bridge') {
    L.push(`${ipn} link add ${i.name} type bridge`);
  } else if (i.kind === 'vxlan') {
    if (!Number.isInteger(i.vni) || i.vni < 0 || i.vni > 0xffffff) throw new InputError('BadVni', at, `a VNI in 0..16777215, got ${i.vni}`);
    if (!Number.isInteger(i.dstport) || i.dstport < 1 || i.dstport > 65535) throw new InputError('BadPort', at, `a UDP port in 1..65535, got ${i.dstport}`);
    const flags = `${i.learning ? 'learning' : 'nolearning'}${i.proxy ? ' proxy' : ''}${i.l2miss ? ' l2miss' : ''}${i.l3miss ? ' l3miss' : ''}`;
    L.push(`${ipn} link add ${i.name} type vxlan id ${i.vni} local ${addr(i.local, at)} dev ${words(i.dev, at)} dstport ${i.dstport} ${flags}${i.df && i.df !== 'unset' ? ` df ${i.df}` : ''}`);
  } else {
    L.push(`${ipn} link add ${i.name} type ipip${i.local ? ` local ${addr(i.local, at)}` : ''}`);
  }
  if ('mac' in i) L.push(`${ipn} link set ${i.name} address ${mac(i.mac, at)}`);
  if (mtu !== undefined) L.push(`${ipn} link set ${i.name} mtu ${mtu}`);
  if (i.address) L.push(`${ipn} addr add ${addr(i.address, at)} dev ${i.name}`);
  L.push(`${ipn} link set ${i.name} up`);
  return L;
}

/** Renders `scenario` as a bash script (build, or `down` to tear down). */
export function exportNetns(scenario: Scenario, opts: ExportOptions = {}): string {
  const lay = layout(scenario, opts.prefix ?? 'cnk-');
  const byName = new Map(lay.namespaces.map((p) => [p.name, p.netns]));
  const segMtu = new Map(scenario.segments.map((s) => [s.name, mtuOf(s.mtu, `segment ${s.name}`) ?? 1500]));
  const segNs = (s: string) => byName.get(s)!;
  const port = (n: string, i: string) => lay.ports.get(`${n}/${i}`)!;
  const all = lay.namespaces.map((p) => p.netns);
  // Miss responders (old flanneld's miss handler), started last; their pid and log files are named by namespace.
  const responders = scenario.nodes.filter((n) => n.missResponder).map((n) => ({ netns: byName.get(n.name)!, args: responderArgs(n.missResponder!, n.name) }));
  const run = (netns: string, ext: string) => `${RUN_DIR}/${netns}.miss.${ext}`;
  const L: string[] = [
    '#!/usr/bin/env bash',
    `# cnikit netns export ${scenario.name}: ${scenario.description.replace(/\n/g, ' ')}`,
    '# Builds the scenario in network namespaces; run with "down" to delete them. Needs root.',
    'set -euo pipefail',
    '',
    'teardown() {',
    ...responders.map((r) => `  if [ -e ${run(r.netns, 'pid')} ]; then kill -- -"$(cat ${run(r.netns, 'pid')})" 2>/dev/null || true; rm -f ${run(r.netns, 'pid')} ${run(r.netns, 'log')}; fi`),
    `  for ns in ${all.join(' ')}; do ip netns del "$ns" 2>/dev/null || true; done`,
    '}',
    'if [ "${1:-}" = down ]; then teardown; exit 0; fi',
    'trap \'teardown; echo "build failed: namespaces removed" >&2\' ERR',
    '',
    '# namespaces (IPv6 off so that captures hold only IPv4 and ARP)',
  ];
  for (const ns of all) {
    L.push(`ip netns add ${ns}`, `ip -n ${ns} link set lo up`);
    L.push(`ip netns exec ${ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1`, `ip netns exec ${ns} sysctl -qw net.ipv6.conf.default.disable_ipv6=1`);
  }
  L.push('', '# fabric: one learning switch per segment (no multicast snooping: it would join 224.0.0.106 and send IGMP reports)');
  for (const s of scenario.segments) L.push(`ip -n ${segNs(s.name)} link add br0 type bridge mcast_snooping 0`, `ip -n ${segNs(s.name)} link set br0 mtu ${segMtu.get(s.name)} up`);
  for (const node of scenario.nodes) {
    const ns = byName.get(node.name)!;
    L.push('', `# node ${node.name}`);
    // Underlay first: a vxlan device names its `dev`.
    const order = [...node.interfaces].sort((a, b) => rank(a) - rank(b));
    for (const i of order) L.push(...ifaceLines(ns, i, node, (s) => segMtu.get(s) ?? 1500, port, segNs));
    for (const pod of node.pods) {
      const pns = byName.get(pod.name)!;
      const at = `pod ${pod.name}`;
      const mtu = mtuOf(pod.mtu, at);
      L.push('', `# pod ${pod.name} on ${node.name}`);
      L.push(`ip -n ${pns} link add eth0 type veth peer name ${pod.hostVeth}`, `ip -n ${pns} link set ${pod.hostVeth} netns ${ns}`);
      L.push(`ip -n ${pns} link set eth0 address ${mac(pod.mac, at)}${mtu ? ` mtu ${mtu}` : ''} up`, `ip -n ${pns} addr add ${addr(pod.address, at)} dev eth0`);
      L.push(`ip netns exec ${pns} ethtool -K eth0 tx off >/dev/null`, `ip netns exec ${ns} ethtool -K ${pod.hostVeth} tx off >/dev/null`);
      L.push(`ip -n ${ns} link set ${pod.hostVeth} address ${mac(pod.hostVethMac, at)}${mtu ? ` mtu ${mtu}` : ''}${pod.bridge ? ` master ${words(pod.bridge, at)}` : ''} up`);
      for (const r of pod.routes) L.push(`ip -n ${pns} route add ${words(r, at)}`);
      for (const n of pod.neigh ?? []) L.push(`ip -n ${pns} neigh add ${words(n, at)}`);
    }
    const sysctls = { 'net.ipv4.ip_forward': '1', ...(node.sysctls ?? {}) };
    for (const [k, v] of Object.entries(sysctls)) L.push(`ip netns exec ${ns} sysctl -qw ${words(k, node.name)}=${words(v, node.name)}`);
    for (const r of node.routes) L.push(`ip -n ${ns} route add ${words(r, node.name)}`);
    for (const n of node.neigh ?? []) L.push(`ip -n ${ns} neigh add ${words(n, node.name)}`);
    for (const f of node.fdb ?? []) L.push(`bridge -n ${ns} fdb add ${words(f, node.name)}`);
    if (node.iptables) {
      if (/^EOF$/m.test(node.iptables)) throw new InputError('BadIptables', `${node.name} iptables`, 'iptables-save text without a line "EOF"');
      L.push(`ip netns exec ${ns} iptables-restore <<'EOF'`, node.iptables.replace(/\n$/, ''), 'EOF');
    }
  }
  if (responders.length) {
    L.push('', "# miss responders: stand-ins for old flanneld's miss handler, each answering from the leases on its command line (they watch no store)");
    L.push(`mkdir -p ${RUN_DIR}`, "MISS_RESPONDER=$(cat <<'PY'", MISS_RESPONDER_PY.replace(/\n$/, ''), 'PY', ')');
    for (const r of responders) L.push(`ip netns exec ${r.netns} python3 -c "$MISS_RESPONDER" ${r.args.join(' ')} </dev/null >${run(r.netns, 'log')} 2>&1 & echo $! >${run(r.netns, 'pid')}`);
    L.push(`for f in ${responders.map((r) => run(r.netns, 'log')).join(' ')}; do`);
    L.push('  for i in $(seq 100); do grep -q ^ready "$f" && break; sleep 0.05; done');
    L.push('  grep -q ^ready "$f" || { echo "miss responder did not start: $f: $(cat "$f")" >&2; false; }');
    L.push('done');
    // "ready" comes once ip monitor is started, not once it has joined RTNLGRP_NEIGH: a moment more.
    L.push('sleep 0.2');
  }
  L.push('', 'trap - ERR', `echo "scenario ${scenario.name} built in ${all.length} namespaces"`, '');
  return L.join('\n');
}

function rank(i: IfaceSpec): number {
  return i.kind === 'phys' ? 0 : i.kind === 'bridge' ? 1 : 2;
}
