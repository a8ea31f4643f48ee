/**
 * The Flannel pairs of `cnikit ping` (src/ping/scenarios.ts) built in real
 * network namespaces, with the same addresses and MACs, flannel.1 as each
 * flanneld version built it, and old flanneld's miss handling as the
 * netns export's python3 responder per node (src/netns/miss-responder.ts:
 * `ip monitor neigh` answered with `ip neigh replace ... nud reachable` /
 * `bridge fdb replace ... self dynamic`) from the static lease table. Runs
 * iputils ping from pod1, captures `ip -ts monitor neigh` in each node and
 * the underlay on master's eth0 (tcpdump), and returns what it saw.
 * IPv6 is off in every namespace (no ND/MLD on the wires).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLANNEL_MTU, PING_NETWORK, PING_NODES, type PingFlavour } from '../../src/ping/index.js';
import { MISS_RESPONDER_PY, responderArgs } from '../../src/netns/miss-responder.js';

/** What one real run saw. */
export interface RealPing {
  /** ping's standard output. */
  readonly ping: string;
  /** `ip -ts monitor neigh` per node. */
  readonly monitor: Record<string, string[]>;
  /** `ip neigh show dev flannel.1` and `bridge fdb show dev flannel.1` per node, afterwards. */
  readonly neigh: Record<string, string>;
  readonly fdb: Record<string, string>;
  /** The pcap of master's eth0. */
  readonly pcap: Uint8Array;
  /** Wall time (s, epoch) just before ping started and just after it ended. */
  readonly startS: number;
  readonly endS: number;
}


/** The bash lines that build `f` with namespace prefix `p`. */
export function buildScript(f: PingFlavour, p: string): string {
  const len = PING_NETWORK.split('/')[1];
  const L: string[] = [];
  const all = PING_NODES.flatMap((n) => [n.name, n.pod.name]);
  for (const ns of all) {
    L.push(`ip netns add ${p}${ns}`);
    L.push(`ip netns exec ${p}${ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`);
    L.push(`ip -n ${p}${ns} link set lo up`);
  }
  const [a, b] = PING_NODES;
  L.push(`ip link add eth0 netns ${p}${a.name} address ${a.ethMac} type veth peer name eth0 netns ${p}${b.name} address ${b.ethMac}`);
  for (const n of PING_NODES) {
    const N = `${p}${n.name}`;
    const sub = n.subnet.split('/')[0];
    L.push(`ip -n ${N} link set eth0 up`, `ip -n ${N} addr add ${n.publicIp}/24 dev eth0`);
    L.push(`ip netns exec ${N} sysctl -qw net.ipv4.ip_forward=1`);
    L.push(`ip -n ${N} link add docker0 address ${n.docker0Mac} type bridge`, `ip -n ${N} link set docker0 up`, `ip -n ${N} addr add ${n.docker0}/24 dev docker0`);
    const flags = `${f.learning ? 'learning' : 'nolearning'}${f.proxy ? ' proxy' : ''}${f.l2miss ? ' l2miss' : ''}${f.l3miss ? ' l3miss' : ''}`;
    L.push(`ip -n ${N} link add flannel.1 address ${n.vtepMac} type vxlan id 1 local ${n.publicIp} dev eth0 dstport 8472 ${flags}`);
    L.push(`ip -n ${N} link set flannel.1 up`, `ip -n ${N} addr add ${sub}/${f.addr === 'network' ? len : '32'} dev flannel.1`);
    if (f.appSolicit) L.push(`ip netns exec ${N} sysctl -qw net.ipv4.neigh.flannel/1.app_solicit=${f.appSolicit}`);
    const P = `${p}${n.pod.name}`;
    L.push(`ip link add ${n.pod.hostVeth} netns ${N} address ${n.pod.hostVethMac} mtu ${FLANNEL_MTU} type veth peer name eth0 netns ${P} address ${n.pod.mac} mtu ${FLANNEL_MTU}`);
    L.push(`ip -n ${N} link set ${n.pod.hostVeth} master docker0 up`);
    L.push(`ip -n ${P} link set eth0 up`, `ip -n ${P} addr add ${n.pod.address}/24 dev eth0`, `ip -n ${P} route add default via ${n.docker0} dev eth0`);
  }
  for (const n of PING_NODES) {
    const N = `${p}${n.name}`;
    for (const o of PING_NODES) {
      if (o === n) continue;
      const osub = o.subnet.split('/')[0];
      if (f.fdbUpFront) L.push(`ip netns exec ${N} bridge fdb add ${o.vtepMac} dev flannel.1 dst ${o.publicIp} self permanent`);
      if (f.eager) L.push(`ip -n ${N} neigh add ${osub} lladdr ${o.vtepMac} dev flannel.1`, `ip -n ${N} route add ${o.subnet} via ${osub} dev flannel.1 onlink`);
    }
  }
  return L.join('\n') + '\n';
}

/** Runs ping (`-c count`) from pod1 to pod3 in the real pair; always tears it down. */
export function realPing(f: PingFlavour, opts: { prefix: string; count: number; interval?: number; noAgent?: boolean }): RealPing {
  const p = opts.prefix;
  const dir = mkdtempSync(join(tmpdir(), 'cnk-ping-'));
  const names = PING_NODES.flatMap((n) => [n.name, n.pod.name]);
  const down = names.map((n) => `ip netns del ${p}${n} 2>/dev/null || true`).join('\n');
  writeFileSync(join(dir, 'responder.py'), MISS_RESPONDER_PY);
  const answer = !opts.noAgent && (f.answersL3 || f.answersL2);
  const bg: string[] = [];
  for (const n of PING_NODES) {
    const N = `${p}${n.name}`;
    bg.push(`ip netns exec ${N} ip -ts monitor neigh > ${dir}/mon-${n.name}.txt 2>&1 & echo $! >> ${dir}/pids`);
    if (answer) {
      // Every answering flavour answers L3 misses (answersL3); L2 as it says.
      const args = responderArgs({ dev: 'flannel.1', l2: f.answersL2, leases: PING_NODES.filter((o) => o !== n).map((o) => ({ subnet: o.subnet, vtepMac: o.vtepMac, publicIp: o.publicIp })) }, n.name);
      bg.push(`ip netns exec ${N} python3 ${dir}/responder.py ${args.join(' ')} > ${dir}/resp-${n.name}.txt 2>&1 & echo $! >> ${dir}/pids`);
    }
  }
  const [a] = PING_NODES;
  const script = `
set -euo pipefail
${down}
trap '${down.replace(/\n/g, '; ')}' EXIT
${buildScript(f, p)}
${bg.join('\n')}
ip netns exec ${p}${a.name} tcpdump -i eth0 --immediate-mode -U -s 0 -w ${dir}/eth0.pcap 2>/dev/null & echo $! >> ${dir}/pids
for i in $(seq 50); do
  ok=1; for r in ${dir}/resp-*.txt; do [ -e "$r" ] && ! grep -q ready "$r" && ok=0; done
  [ -s ${dir}/eth0.pcap ] || [ $i -gt 5 ] || ok=0
  [ $ok = 1 ] && break; sleep 0.1
done
sleep 0.3
date +%s.%N > ${dir}/start
ip netns exec ${p}${a.pod.name} ping -c ${opts.count} -i ${opts.interval ?? 1} 172.16.57.15 > ${dir}/ping.txt 2>&1 || true
date +%s.%N > ${dir}/end
sleep 0.5
for n in ${PING_NODES.map((n) => n.name).join(' ')}; do
  ip -n ${p}$n neigh show dev flannel.1 > ${dir}/neigh-$n.txt
  ip netns exec ${p}$n bridge fdb show dev flannel.1 > ${dir}/fdb-$n.txt
done
# A responder leads its own process group (with its ip monitor): kill the group, else the process.
for p in $(cat ${dir}/pids); do kill -- -$p 2>/dev/null || kill $p 2>/dev/null || true; done
sleep 0.2
`;
  try {
    execFileSync('bash', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    const rd = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      ping: rd('ping.txt'),
      monitor: Object.fromEntries(PING_NODES.map((n) => [n.name, rd(`mon-${n.name}.txt`).split('\n').filter((l) => l.trim())])),
      neigh: Object.fromEntries(PING_NODES.map((n) => [n.name, rd(`neigh-${n.name}.txt`)])),
      fdb: Object.fromEntries(PING_NODES.map((n) => [n.name, rd(`fdb-${n.name}.txt`)])),
      pcap: new Uint8Array(readFileSync(join(dir, 'eth0.pcap'))),
      startS: Number(rd('start').trim()),
      endS: Number(rd('end').trim()),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
