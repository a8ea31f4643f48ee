/**
 * The Flannel VXLAN cluster of the recorded real-kernel scenarios, from the
 * topology generator (`src/topology/flannel.ts`) with the names and MACs
 * the recordings were made with (test/fixtures/kernel-scenarios): nodes
 * 10.0.0.11 and 10.0.0.12 on segment `lan`, fixed VtepMACs and host veths,
 * pod a 10.244.1.2 on node1 and b 10.244.2.2 on node2, no default route.
 */
import type { NodeSpec } from '../kernel/scenario.js';
import { flannelNode, planFlannel } from '../topology/index.js';
import { labMac } from './calico.js';

/**
 * Two Flannel VXLAN nodes on one segment, one pod each. `podMtu` is what
 * the CNI gave the pods and `cni0`: Flannel writes FLANNEL_MTU = 1450 for a
 * 1500 underlay; `flannel.1` is always underlay - 50.
 */
export function flannelTwoNodes(podMtu = 1450, underlayMtu = 1500): NodeSpec[] {
  const plan = planFlannel({
    nodes: 2,
    racks: [{ segment: 'lan', cidr: '10.0.0.0/24' }],
    underlayMtu,
    podMtu,
    defaultRoute: false,
    nodeMac: labMac,
    vtepMac: (n) => ['0e:6c:0a:f4:01:01', '0e:6c:0a:f4:02:02'][n.index],
    podName: (p) => ['a', 'b'][p.node],
    hostVeth: (p) => `veth${p.node + 1}a2b3c4d`,
    hostVethMac: (p) => `0a:58:0a:f4:0${p.node + 1}:f2`,
  });
  return [flannelNode(plan, 0), flannelNode(plan, 1)];
}
