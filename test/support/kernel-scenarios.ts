/** Small inline scenarios shared by the kernel model tests. */
import type { NodeSpec, Scenario } from '../../src/kernel/index.js';
import { calicoPod } from '../../src/kernel/scenarios/calico.js';

/** Two Calico-style nodes on one L2 segment: /32 pods on cali veths, proxy_arp, 169.254.1.1 gateway. */
export function calicoSameL2(): Scenario {
  return {
    name: 'calico-same-l2',
    description: 'routed pods, two nodes on one segment',
    segments: [{ name: 'lan' }],
    nodes: [
      {
        name: 'node1',
        interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan', address: '10.0.0.1/24', mac: '02:00:00:00:00:01' }],
        routes: ['default via 10.0.0.254 dev eth0', '192.168.1.2 dev cali1 scope link', '192.168.1.3 dev cali2 scope link', '192.168.2.0/26 via 10.0.0.2 dev eth0 proto bird', 'blackhole 192.168.9.0/24'],
        sysctls: { 'net.ipv4.conf.cali1.proxy_arp': '1', 'net.ipv4.conf.cali2.proxy_arp': '1' },
        pods: [calicoPod('a', '192.168.1.2', '02:aa:00:00:00:02', 'cali1'), calicoPod('a2', '192.168.1.3', '02:aa:00:00:00:03', 'cali2')],
      },
      {
        name: 'node2',
        interfaces: [{ kind: 'phys', name: 'eth0', segment: 'lan', address: '10.0.0.2/24', mac: '02:00:00:00:00:02' }],
        routes: ['default via 10.0.0.254 dev eth0', '192.168.2.2 dev cali3 scope link', '192.168.1.0/26 via 10.0.0.1 dev eth0 proto bird'],
        sysctls: { 'net.ipv4.conf.cali3.proxy_arp': '1' },
        iptables: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p udp --dport 53 -j DROP\nCOMMIT\n',
        pods: [calicoPod('b', '192.168.2.2', '02:bb:00:00:00:02', 'cali3')],
      },
    ],
    probes: [],
  };
}


export const vtepMac = (i: number) => `d6:51:2e:80:5c:6${i}`;

/** A Flannel VXLAN node `i` of `n`, with static neigh/FDB entries for the others unless `dynamic`. */
export function flannelNode(i: number, n: number, opts: { dynamic?: boolean; podMtu?: number } = {}): NodeSpec {
  const others = [...Array(n).keys()].map((k) => k + 1).filter((k) => k !== i);
  return {
    name: `node${i}`,
    interfaces: [
      { kind: 'phys', name: 'eth0', segment: 'lan', address: `10.0.0.${i}/24`, mac: `02:00:00:00:00:0${i}` },
      { kind: 'bridge', name: 'cni0', address: `10.244.${i}.1/24`, mac: `0a:58:0a:f4:0${i}:01`, mtu: 1450 },
      { kind: 'vxlan', name: 'flannel.1', vni: 1, local: `10.0.0.${i}`, dev: 'eth0', dstport: 8472, learning: false, mac: vtepMac(i), address: `10.244.${i}.0/32`, mtu: 1450 },
    ],
    routes: others.map((k) => `10.244.${k}.0/24 via 10.244.${k}.0 dev flannel.1 onlink`),
    neigh: opts.dynamic ? [] : others.map((k) => `10.244.${k}.0 lladdr ${vtepMac(k)} dev flannel.1 nud permanent`),
    fdb: opts.dynamic ? [] : others.map((k) => `${vtepMac(k)} dev flannel.1 dst 10.0.0.${k} self permanent`),
    pods: [
      { name: `p${i}`, address: `10.244.${i}.2/24`, mac: `0a:58:0a:f4:0${i}:02`, hostVeth: `veth${i}a`, hostVethMac: `7e:00:00:00:0${i}:02`, bridge: 'cni0', routes: ['default via 10.244.' + i + '.1 dev eth0'], mtu: opts.podMtu ?? 1450 },
      { name: `q${i}`, address: `10.244.${i}.3/24`, mac: `0a:58:0a:f4:0${i}:03`, hostVeth: `veth${i}b`, hostVethMac: `7e:00:00:00:0${i}:03`, bridge: 'cni0', routes: ['default via 10.244.' + i + '.1 dev eth0'], mtu: opts.podMtu ?? 1450 },
    ],
  };
}

export function flannel(opts: { dynamic?: boolean; podMtu?: number } = {}): Scenario {
  return { name: 'flannel-vxlan', description: 'two Flannel VXLAN nodes on one segment', segments: [{ name: 'lan' }], nodes: [flannelNode(1, 2, opts), flannelNode(2, 2, opts)], probes: [] };
}

