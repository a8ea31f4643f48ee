/** (7) MTU overflow with DF: pods at 1500 over a 1450 VXLAN device. */
import type { Scenario } from '../kernel/scenario.js';
import { flannelTwoNodes } from './flannel.js';

/**
 * A misconfigured Flannel cluster whose pods (and cni0) got MTU 1500 while
 * flannel.1 is 1450 (underlay 1500 - 50): a 1500-byte DF packet passes the
 * pod and the bridge, then node1 cannot forward it into flannel.1 and
 * answers ICMP fragmentation needed (mtu 1450). Without DF node1 fragments.
 */
export const mtuOverflow: Scenario = {
  name: 'mtu-overflow',
  description: 'Flannel vxlan with pod MTU 1500 over flannel.1 MTU 1450: DF packets over 1450 bytes get frag-needed',
  segments: [{ name: 'lan' }],
  nodes: flannelTwoNodes(1500),
  probes: [
    { name: 'icmp 1472 DF a->b', from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, df: true, expect: 'MTU_EXCEEDED', path: ['a', 'node1'] },
    { name: 'udp 1472 DF a->b', from: 'a', to: '10.244.2.2', proto: 'udp', dport: 5000, size: 1472, df: true, expect: 'MTU_EXCEEDED', path: ['a', 'node1'] },
    { name: 'icmp 1422 DF a->b', from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1422, df: true, expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
    { name: 'icmp 1472 no DF a->b', from: 'a', to: '10.244.2.2', proto: 'icmp', size: 1472, df: false, expect: 'DELIVERED', path: ['a', 'node1', 'node2', 'b'] },
  ],
};
