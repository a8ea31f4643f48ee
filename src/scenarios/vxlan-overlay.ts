/** (3) Flannel VXLAN overlay with static (permanent) neighbour and FDB entries. */
import type { Scenario } from '../kernel/scenario.js';
import { flannelTwoNodes } from './flannel.js';

/** Pod a (10.244.1.2) to pod b (10.244.2.2) through flannel.1 (VNI 1, UDP 8472). */
export const vxlanOverlay: Scenario = {
  name: 'vxlan-overlay',
  description: 'Flannel vxlan: cni0 bridges, flannel.1 (VNI 1, port 8472, nolearning), onlink routes, permanent neigh + FDB',
  segments: [{ name: 'lan' }],
  nodes: flannelTwoNodes(),
  probes: [
    { name: 'icmp a->b', from: 'a', to: '10.244.2.2', proto: 'icmp', expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
    { name: 'udp a->b', from: 'a', to: '10.244.2.2', proto: 'udp', dport: 5000, expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
    { name: 'icmp 1422 DF a->b', from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, df: true, expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
  ],
};
