/**
 * One generator of cluster topologies with real address and MAC
 * arithmetic: Flannel-shaped (vxlan, host-gw) and Calico-shaped (routed
 * /32 veths, proxy_arp, block routes; one segment or racks behind a router)
 * `Scenario`s for N nodes and their pods. `plan*` gives every address,
 * MAC and name in O(nodes + pods); `*Node` renders one node's tables, so
 * thousands of nodes can be programmed one at a time.
 */
export { planFlannel, flannelNode, flannelCluster, type FlannelOptions, type FlannelPlan } from './flannel.js';
export { planCalico, calicoNode, calicoRouter, calicoCluster, calicoPod, type CalicoOptions, type CalicoPlan } from './calico.js';
export type { ClusterOptions, ClusterPlan, NodePlan, PodPlan, Rack } from './plan.js';
export { hostCount, nthHost, nthSubnet, subnetCount, prefix4, prefixText, type Prefix4 } from './address.js';
export { macFromIPv4, randomMac, qemuMac, CNI_MAC_PREFIX, DOCKER_MAC_PREFIX, CALICO_HOST_MAC } from './mac.js';
export { caliName, cniVethName } from './names.js';
