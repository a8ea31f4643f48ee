/** (1) Two Calico nodes on one L2 segment: routed pod-to-pod, no encapsulation. */
import type { Scenario } from '../kernel/scenario.js';
import { calicoSameL2 } from './calico.js';

/** Pod a (node1) talks to pod b (node2) via `192.168.2.0/26 via 10.0.0.12 dev eth0`. */
export const sameL2: Scenario = {
  name: 'same-l2',
  description: 'Calico routed: two nodes on one L2 segment, block routes via the peer node (BIRD-style)',
  segments: [{ name: 'lan' }],
  nodes: calicoSameL2(),
  probes: [
    { name: 'icmp a->b', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
    { name: 'udp a->b', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 5000, expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
    { name: 'icmp b->a', from: 'b', to: '192.168.1.2', proto: 'icmp', expect: 'DELIVERED', path: ['b', 'node2', 'node1', 'a'] },
  ],
};
