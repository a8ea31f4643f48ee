/**
 * The seed's two-node Flannel cluster, built by flanneld rather than by
 * hand: etcd holds the seed's net-conf (`172.16.0.0/16`, vxlan), each node
 * runs flanneld (v0.5-v0.6 with its netlink misses, or the modern one) with
 * its VtepMAC as the seed shows it, and Docker takes `--bip` and `--mtu`
 * from subnet.env (mk-docker-opts.sh), so `docker0` holds `<subnet>.1`
 * and the pods hang off it. Nodes, addresses and MACs are the ones
 * `cnikit ping`'s pairs use (src/ping/scenarios.ts): master 172.16.99.0/24
 * with pod1 172.16.99.8, minion 172.16.57.0/24 with pod3 172.16.57.15.
 *
 * Each node is taken to have held its subnet before (subnet.env from an
 * earlier run), which is how the seed's subnets come back rather than
 * random ones. `--ip-masq` is off (flanneld's own default; the seed's
 * setup predates kube-flannel's manifest).
 */
import type { Core } from '../core/core.js';
import { createNetwork, Netlink, type SimNetwork } from '../kernel/index.js';
import { PING_NETWORK, PING_NODES, type PingNode } from '../ping/scenarios.js';
import { MemoryStore, SimClock } from '../store/index.js';
import { Flanneld } from '../flannel/flanneld.js';
import { DEFAULT_PREFIX } from '../flannel/lease.js';
import { seededRandInt } from '../flannel/rand.js';
import { readSubnetEnv, subnetEnvText } from '../flannel/subnet-env.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';

/** The seed's cluster as built. */
export interface SeedCluster {
  net: SimNetwork;
  nl: Netlink;
  store: MemoryStore;
  clock: SimClock;
  daemons: ReadonlyMap<string, Flanneld>;
  nodes: readonly PingNode[];
  /** Whether flanneld runs its v0.5 netlink-miss mode. */
  legacy: boolean;
}

/** The net-conf the seed's etcd holds. */
export const SEED_NET_CONF = { Network: PING_NETWORK, Backend: { Type: 'vxlan' } };

/** Builds the seed's cluster; `legacy` (default true) runs flanneld v0.5, else the current vxlan backend. */
export function buildSeedCluster(core: Core, opts: { legacy?: boolean } = {}): SeedCluster {
  const legacy = opts.legacy ?? true;
  const clock = new SimClock();
  const store = new MemoryStore({ clock });
  const net = createNetwork(core, { clock });
  const nl = Netlink.of(net);
  store.put(`${DEFAULT_PREFIX}/config`, JSON.stringify(SEED_NET_CONF));
  nl.segmentAdd('underlay');
  const daemons = new Map<string, Flanneld>();
  PING_NODES.forEach((n, i) => {
    nl.netnsAdd(n.name, { ipForward: true });
    nl.linkAdd(n.name, { kind: 'phys', name: 'eth0', segment: 'underlay', mac: n.ethMac });
    nl.addrAdd(n.name, 'eth0', `${n.publicIp}/24`);
    const d: Flanneld = new Flanneld({
      node: n.name, net, nl, store, clock, ipMasq: false, vtepMac: n.vtepMac, randInt: seededRandInt(i + 1),
      ...(legacy ? { legacy: 'v0.5' as const } : {}),
      onReady: () => dockerStart(nl, n, d.subnetEnv!),
    });
    // subnet.env of an earlier run: flanneld asks for the same subnet again.
    const [a, l] = n.subnet.split('/');
    d.subnetEnv = subnetEnvText({ network: PING_NETWORK, subnet: { addr: parseIPv4(a), len: Number(l) }, mtu: 1450, ipMasq: false });
    daemons.set(n.name, d);
  });
  for (const d of daemons.values()) d.register();
  for (const d of daemons.values()) d.serve();
  clock.advance(0);
  net.setCapture(true);
  return { net, nl, store, clock, daemons, nodes: PING_NODES, legacy };
}

/** dockerd with `--bip=FLANNEL_SUBNET --mtu=FLANNEL_MTU`, then the node's pod on docker0. */
function dockerStart(nl: Netlink, n: PingNode, subnetEnv: string): void {
  const env = readSubnetEnv(subnetEnv)!;
  const bip = formatIPv4(env.subnet.addr + 1);
  nl.linkAdd(n.name, { kind: 'bridge', name: 'docker0', mac: n.docker0Mac });
  nl.addrAdd(n.name, 'docker0', `${bip}/${env.subnet.len}`);
  nl.podAdd(n.name, {
    name: n.pod.name, address: `${n.pod.address}/${env.subnet.len}`, mac: n.pod.mac, hostVeth: n.pod.hostVeth, hostVethMac: n.pod.hostVethMac,
    bridge: 'docker0', routes: [`default via ${bip} dev eth0`], mtu: env.mtu,
  });
}
