/** (6) TTL expiry on the way through a router. */
import type { Scenario } from '../kernel/scenario.js';
import { calicoTwoSubnets } from './calico.js';

/**
 * Every forwarding namespace decrements the TTL (the pods do not): a
 * packet sent with TTL n expires at the n-th forwarder (node1, r1, node2),
 * which answers ICMP time exceeded; TTL 4 arrives with TTL 1.
 */
export const ttlExpiry: Scenario = {
  name: 'ttl-expiry',
  description: 'Calico routed, two subnets: probes with TTL 1..4 expire at node1, r1, node2 or arrive',
  segments: [{ name: 'lan-a' }, { name: 'lan-b' }],
  nodes: calicoTwoSubnets(),
  probes: [
    { name: 'icmp ttl=2 expires at r1', from: 'a', to: '192.168.2.2', proto: 'icmp', ttl: 2, expect: 'TTL_EXCEEDED', path: ['a', 'node1', 'r1'] },
    { name: 'udp ttl=1 expires at node1', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 5000, ttl: 1, expect: 'TTL_EXCEEDED', path: ['a', 'node1'] },
    { name: 'udp ttl=3 expires at node2', from: 'a', to: '192.168.2.2', proto: 'udp', dport: 5000, ttl: 3, expect: 'TTL_EXCEEDED', path: ['a', 'node1', 'r1', 'node2'] },
    { name: 'icmp ttl=4 arrives', from: 'a', to: '192.168.2.2', proto: 'icmp', ttl: 4, expect: 'DELIVERED', path: ['a', 'node1', 'r1', 'node2', 'b'] },
  ],
};
