/** (2) Two Calico nodes on different subnets, joined by a plain L3 router. */
import type { Scenario } from '../kernel/scenario.js';
import { calicoTwoSubnets } from './calico.js';

/** Each node's route to the other block goes via router r1, which forwards between the segments. */
export const twoSubnets: Scenario = {
  name: 'two-subnets',
  description: 'Calico routed: nodes on two segments behind router r1, block routes via the router',
  segments: [{ name: 'lan-a' }, { name: 'lan-b' }],
  nodes: calicoTwoSubnets(),
  probes: [
    { name: 'icmp a->b', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED', path: ['a', 'node1', 'r1', 'node2', 'b'] },
    { name: 'udp a->b', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 5000, expect: 'DELIVERED', path: ['a', 'node1', 'r1', 'node2', 'b'] },
    { name: 'udp b->a', from: 'b', to: '192.168.1.2', proto: 'udp', dport: 5000, expect: 'DELIVERED', path: ['b', 'node2', 'r1', 'node1', 'a'] },
  ],
};
