/** (4) Calico's `blackhole <block>/26 proto bird` swallowing unallocated addresses. */
import type { Scenario } from '../kernel/scenario.js';
import { calicoSameL2 } from './calico.js';

/**
 * 192.168.2.9 is inside node2's block but no pod has it: node1 forwards it
 * to node2 (block route), where the blackhole route drops it silently
 * (Linux sends no ICMP for `blackhole`).
 */
export const blackhole: Scenario = {
  name: 'blackhole',
  description: "Calico routed: probes to unallocated addresses of a block end in the owning node's blackhole route",
  segments: [{ name: 'lan' }],
  nodes: calicoSameL2(),
  probes: [
    { name: 'icmp a->unallocated in node2 block', from: 'a', to: '192.168.2.9', proto: 'icmp', expect: 'NULL_ROUTED', path: ['a', 'node1', 'node2'] },
    { name: 'udp a->unallocated in node2 block', from: 'a', to: '192.168.2.9', proto: 'udp', dport: 5000, expect: 'NULL_ROUTED', path: ['a', 'node1', 'node2'] },
    { name: 'icmp a->unallocated in own block', from: 'a', to: '192.168.1.9', proto: 'icmp', expect: 'NULL_ROUTED', path: ['a', 'node1'] },
    { name: 'icmp a->b', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
  ],
};
