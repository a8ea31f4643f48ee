/** (5) An iptables FORWARD DROP for one flow on the receiving node. */
import type { Scenario } from '../kernel/scenario.js';
import { calicoSameL2 } from './calico.js';

/** node2 drops UDP 192.168.1.2 -> 192.168.2.2:5000 in FORWARD; other traffic passes. */
const IPTABLES = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -s 192.168.1.2/32 -d 192.168.2.2/32 -p udp -m udp --dport 5000 -j DROP
COMMIT
`;

/** The DROP rule on node2; a is on node1, b on node2. */
export const dropRule: Scenario = {
  name: 'drop-rule',
  description: 'Calico routed, same L2: an iptables FORWARD DROP on node2 for UDP a->b:5000',
  segments: [{ name: 'lan' }],
  nodes: calicoSameL2(IPTABLES),
  probes: [
    { name: 'udp a->b:5000 dropped', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 5000, expect: 'DENIED', path: ['a', 'node1', 'node2'] },
    { name: 'udp a->b:5001 passes', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 5001, expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
    { name: 'icmp a->b passes', from: 'a', to: '192.168.2.2', proto: 'icmp', expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
  ],
};
