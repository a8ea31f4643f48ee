/**
 * Building blocks for Flannel VXLAN scenarios, shaped as flanneld programs
 * a node (shared/reference/flannel.md, vxlan backend): pods on bridge
 * `cni0` (`10.244.X.1/24`), `flannel.1` VXLAN VNI 1 dstport 8472
 * `nolearning` holding `10.244.X.0/32`, and per remote lease the
 * permanent neighbour `10.244.Y.0 lladdr <VtepMAC>`, the FDB entry
 * `<VtepMAC> dst <node IP> self permanent` and the route
 * `10.244.Y.0/24 via 10.244.Y.0 dev flannel.1 onlink`.
 */
import type { NodeSpec, PodSpec } from '../scenario.js';

/** One Flannel host of a two-node cluster on segment `lan`. */
interface Host {
  x: number;
  ip: string;
  mac: string;
  vtep: string;
  cni0: string;
}

const HOSTS: Host[] = [
  { x: 1, ip: '10.0.0.11', mac: '52:54:00:00:00:11', vtep: '0e:6c:0a:f4:01:01', cni0: '0a:58:0a:f4:01:01' },
  { x: 2, ip: '10.0.0.12', mac: '52:54:00:00:00:12', vtep: '0e:6c:0a:f4:02:02', cni0: '0a:58:0a:f4:02:01' },
];

/**
 * Two Flannel VXLAN nodes on one segment, one pod each (a 10.244.1.2 on
 * node1, b 10.244.2.2 on node2). `podMtu` is what the CNI gave the pods:
 * Flannel writes FLANNEL_MTU = 1450 for a 1500 underlay; `flannel.1` is
 * always underlay - 50.
 */
export function flannelTwoNodes(podMtu = 1450, underlayMtu = 1500): NodeSpec[] {
  return HOSTS.map((h) => {
    const peer = HOSTS.find((o) => o.x !== h.x)!;
    const podName = h.x === 1 ? 'a' : 'b';
    const pod: PodSpec = {
      name: podName,
      address: `10.244.${h.x}.2/24`,
      mac: `0a:58:0a:f4:0${h.x}:02`,
      hostVeth: `veth${h.x}a2b3c4d`,
      hostVethMac: `0a:58:0a:f4:0${h.x}:f2`,
      bridge: 'cni0',
      routes: ['default via 10.244.' + h.x + '.1 dev eth0'],
      mtu: podMtu,
    };
    const node: NodeSpec = {
      name: `node${h.x}`,
      interfaces: [
        { kind: 'phys', name: 'eth0', segment: 'lan', address: `${h.ip}/24`, mac: h.mac, mtu: underlayMtu },
        { kind: 'bridge', name: 'cni0', address: `10.244.${h.x}.1/24`, mac: h.cni0, mtu: podMtu },
        { kind: 'vxlan', name: 'flannel.1', vni: 1, local: h.ip, dev: 'eth0', dstport: 8472, learning: false, mac: h.vtep, address: `10.244.${h.x}.0/32`, mtu: underlayMtu - 50 },
      ],
      routes: [`10.244.${peer.x}.0/24 via 10.244.${peer.x}.0 dev flannel.1 onlink`],
      neigh: [`10.244.${peer.x}.0 lladdr ${peer.vtep} dev flannel.1 nud permanent`],
      fdb: [`${peer.vtep} dev flannel.1 dst ${peer.ip} self permanent`],
      sysctls: { 'net.ipv4.ip_forward': '1' },
      pods: [pod],
    };
    return node;
  });
}
