/**
 * The two-node Flannel pairs `cnikit ping` runs on, built through the door
 * (Netlink) as each flanneld version built flannel.1, with the seed's
 * addresses (master 172.16.99.0/24 with pod1 172.16.99.8 on docker0,
 * minion 172.16.57.0/24 with pod3 172.16.57.15, network 172.16.0.0/16),
 * and the "old flanneld" of the legacy versions: a responder that answers
 * the kernel's misses from a static lease table after its own latency on
 * the clock (not the flanneld control plane; see docs/kernel.md).
 *
 * | name | flanneld | flannel.1 | what is programmed up front | misses answered |
 * |---|---|---|---|---|
 * | `flannel-seed` | v0.5-v0.6 | `nolearning`, `<subnet>.0/16`, app_solicit 3 | FDB `MAC dst IP self permanent` per lease | L3 (REACHABLE) |
 * | `flannel-v04` | v0.4.1 | `learning proxy l2miss`, `/16`, app_solicit 3 | nothing | L3 and L2 |
 * | `flannel-l2miss` | the seed's text | `nolearning l2miss l3miss`, `/16`, app_solicit 3 | nothing | L3 and L2 |
 * | `flannel-eager` | >= v0.9 | `nolearning`, `<subnet>.0/32`, app_solicit 0 | per lease: route via `<subnet>.0` onlink, neighbour and FDB permanent | none (no listener) |
 */
import type { Core } from '../core/core.js';
import { InputError } from '../core/errors.js';
import { createNetwork } from '../kernel/build.js';
import { missResponderAgents } from '../kernel/miss-responder.js';
import { Netlink } from '../kernel/netlink.js';
import type { SimNetwork } from '../kernel/network.js';
import { SimClock } from '../store/clock.js';

/** One node of the pair: its lease and what it is made of. */
export interface PingNode {
  readonly name: string;
  /** Underlay address on `eth0` (the lease's PublicIP). */
  readonly publicIp: string;
  readonly ethMac: string;
  /** The lease's subnet (`/24`) and docker0's address in it. */
  readonly subnet: string;
  readonly docker0: string;
  readonly docker0Mac: string;
  /** flannel.1's MAC (the lease's VtepMAC). */
  readonly vtepMac: string;
  readonly pod: { readonly name: string; readonly address: string; readonly mac: string; readonly hostVeth: string; readonly hostVethMac: string };
}

/** The seed's pair. The minion's VtepMAC is the seed's; the rest is made up in the same style. */
export const PING_NODES: readonly PingNode[] = [
  {
    name: 'master',
    publicIp: '10.46.181.145',
    ethMac: '52:54:00:2e:b5:91',
    subnet: '172.16.99.0/24',
    docker0: '172.16.99.1',
    docker0Mac: '02:42:ac:10:63:01',
    vtepMac: 'd6:51:2e:80:5c:62',
    pod: { name: 'pod1', address: '172.16.99.8', mac: '02:42:ac:10:63:08', hostVeth: 'veth8', hostVethMac: '6e:2c:61:10:63:08' },
  },
  {
    name: 'minion',
    publicIp: '10.46.181.146',
    ethMac: '52:54:00:2e:b5:92',
    subnet: '172.16.57.0/24',
    docker0: '172.16.57.1',
    docker0Mac: '02:42:ac:10:39:01',
    vtepMac: 'd6:51:2e:80:5c:69',
    pod: { name: 'pod3', address: '172.16.57.15', mac: '02:42:ac:10:39:0f', hostVeth: 'veth15', hostVethMac: '6e:2c:61:10:39:0f' },
  },
];

/** The flannel network. */
export const PING_NETWORK = '172.16.0.0/16';

/** The pods' MTU: FLANNEL_MTU (eth0's 1500 - 50) from subnet.env, which docker's `--mtu` took. */
export const FLANNEL_MTU = 1450;

/** How a flanneld version built flannel.1 and what its listener answered. */
export interface PingFlavour {
  readonly name: string;
  readonly description: string;
  /** `ip link add flannel.1 type vxlan ...` flags. */
  readonly learning: boolean;
  readonly proxy: boolean;
  readonly l2miss: boolean;
  readonly l3miss: boolean;
  /** `net.ipv4.neigh.flannel/1.app_solicit`. */
  readonly appSolicit: number;
  /** flannel.1's address: the network's prefix (`/16`, the connected route) or `/32` with routes per lease. */
  readonly addr: 'network' | 'host';
  /** FDB entries per lease installed up front (`self permanent`). */
  readonly fdbUpFront: boolean;
  /** Neighbour entries and routes per lease (v0.9+). */
  readonly eager: boolean;
  /** The listener answers L3 misses / L2 misses. */
  readonly answersL3: boolean;
  readonly answersL2: boolean;
}

/** The scenarios `cnikit ping` knows. */
export const PING_SCENARIOS: readonly PingFlavour[] = [
  { name: 'flannel-seed', description: 'flanneld v0.5-v0.6 as the seed shows it: nolearning, FDB installed per lease, app_solicit 3, L3 misses answered', learning: false, proxy: false, l2miss: false, l3miss: false, appSolicit: 3, addr: 'network', fdbUpFront: true, eager: false, answersL3: true, answersL2: false },
  { name: 'flannel-v04', description: 'flanneld v0.4.1: learning proxy l2miss, app_solicit 3, L3 and L2 misses answered', learning: true, proxy: true, l2miss: true, l3miss: false, appSolicit: 3, addr: 'network', fdbUpFront: false, eager: false, answersL3: true, answersL2: true },
  { name: 'flannel-l2miss', description: "the seed's text: nolearning l2miss l3miss, app_solicit 3, L3 and L2 misses answered", learning: false, proxy: false, l2miss: true, l3miss: true, appSolicit: 3, addr: 'network', fdbUpFront: false, eager: false, answersL3: true, answersL2: true },
  { name: 'flannel-eager', description: 'flanneld >= v0.9: route, neighbour and FDB entry per lease, no misses', learning: false, proxy: false, l2miss: false, l3miss: false, appSolicit: 0, addr: 'host', fdbUpFront: true, eager: true, answersL3: false, answersL2: false },
];

/** Options of {@link buildPingScenario}. */
export interface PingScenarioOptions {
  /** No listener answers the misses (`--no-agent`). */
  noAgent?: boolean;
  /** The listener's latency on the clock, ms (default 2: a responder reading `ip monitor`). */
  agentLatencyMs?: number;
  /** The clock (default a new one at 0). */
  clock?: SimClock;
}

/** The scenario named `name`, or an error naming the choices. */
export function pingFlavour(name: string): PingFlavour {
  const f = PING_SCENARIOS.find((s) => s.name === name);
  if (!f) throw new InputError('UnknownScenario', '--scenario', `one of ${PING_SCENARIOS.map((s) => s.name).join(', ')}, got ${JSON.stringify(name)}`);
  return f;
}

/** `<subnet>.0` of a lease. */
function subnetIp(n: PingNode): string {
  return n.subnet.split('/')[0];
}

/**
 * Builds the pair for `flavour` on `core`: underlay segment, eth0,
 * docker0 with the pod, flannel.1 as that version built it, and (unless
 * `noAgent`) the listener on each node.
 */
export function buildPingScenario(core: Core, flavour: PingFlavour, opts: PingScenarioOptions = {}): SimNetwork {
  const net = createNetwork(core, { clock: opts.clock ?? new SimClock() });
  const nl = Netlink.of(net);
  const netLen = PING_NETWORK.split('/')[1];
  nl.segmentAdd('underlay');
  for (const n of PING_NODES) {
    nl.netnsAdd(n.name, { ipForward: true });
    nl.linkAdd(n.name, { kind: 'phys', name: 'eth0', segment: 'underlay', mac: n.ethMac });
    nl.addrAdd(n.name, 'eth0', `${n.publicIp}/24`);
    nl.linkAdd(n.name, { kind: 'bridge', name: 'docker0', mac: n.docker0Mac });
    nl.addrAdd(n.name, 'docker0', `${n.docker0}/24`);
    nl.linkAdd(n.name, { kind: 'vxlan', name: 'flannel.1', id: 1, local: n.publicIp, dev: 'eth0', mac: n.vtepMac, learning: flavour.learning, proxy: flavour.proxy, l2miss: flavour.l2miss, l3miss: flavour.l3miss });
    nl.addrAdd(n.name, 'flannel.1', `${subnetIp(n)}/${flavour.addr === 'network' ? netLen : '32'}`);
    if (flavour.appSolicit) nl.sysctl(n.name, 'net.ipv4.neigh.flannel/1.app_solicit', String(flavour.appSolicit));
    nl.podAdd(n.name, { name: n.pod.name, address: `${n.pod.address}/24`, mac: n.pod.mac, hostVeth: n.pod.hostVeth, hostVethMac: n.pod.hostVethMac, bridge: 'docker0', routes: [`default via ${n.docker0} dev eth0`], mtu: FLANNEL_MTU });
  }
  for (const n of PING_NODES) {
    for (const o of PING_NODES) {
      if (o === n) continue;
      if (flavour.fdbUpFront) nl.fdbAdd(n.name, { mac: o.vtepMac, dev: 'flannel.1', dst: o.publicIp });
      if (flavour.eager) {
        nl.neighAdd(n.name, `${subnetIp(o)} lladdr ${o.vtepMac} dev flannel.1`);
        nl.routeAdd(n.name, `${o.subnet} via ${subnetIp(o)} dev flannel.1 onlink`);
      }
    }
    if (!opts.noAgent && (flavour.answersL3 || flavour.answersL2)) installResponder(nl, n.name, flavour, opts.agentLatencyMs ?? 2);
  }
  net.setCapture(true);
  return net;
}

/**
 * Old flanneld's handleMiss on node `ns`, answering from the static lease
 * table: an L3 miss (an address, no lladdr) with the VtepMAC of the lease
 * whose subnet holds the address (`NeighSet`, NUD_REACHABLE); an L2 miss
 * (an lladdr, no address) with the PublicIP of the lease with that VtepMAC
 * (an FDB entry, NUD_REACHABLE). A PROBE notification carries both and is
 * "not a miss": ignored. Its own lease is never an answer. The agents are
 * a scenario's miss responder (src/kernel/miss-responder.ts), the one the
 * netns export runs in real namespaces too.
 */
function installResponder(nl: Netlink, ns: string, f: PingFlavour, latencyMs: number): void {
  const leases = PING_NODES.filter((n) => n.name !== ns).map((n) => ({ subnet: n.subnet, vtepMac: n.vtepMac, publicIp: n.publicIp }));
  const a = missResponderAgents({ dev: 'flannel.1', l2: true, leases, latencyMs });
  nl.setMissAgents(ns, 'flannel.1', { ...(f.answersL3 ? { neigh: a.neigh } : {}), ...(f.answersL2 ? { fdb: a.fdb } : {}) });
}

/** The node a pod lives on, and the pod. */
export function pingPod(name: string): PingNode {
  const n = PING_NODES.find((x) => x.pod.name === name || x.name === name);
  if (!n) throw new InputError('UnknownPod', '--from', `one of ${PING_NODES.flatMap((x) => [x.pod.name, x.name]).join(', ')}, got ${JSON.stringify(name)}`);
  return n;
}
