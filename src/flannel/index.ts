// Flannel's control plane: net-conf.json, subnet leases in the store,
// flanneld per node (backends, iptables, subnet.env), the CNI plugin, and
// the cluster design. See docs/flannel.md.
export { parseNetConf, subnetCapacity, netConfJson, type NetConf } from './net-conf.js';
export { BACKEND_OVERHEAD, type BackendConfig, type BackendType } from './backend-conf.js';
export { attrsJson, parseSubnetKey, subnetKey, subnetText, DEFAULT_PREFIX, SUBNET_TTL_S, type Lease, type LeaseAttrs, type Subnet } from './lease.js';
export { SubnetManager, type SubnetManagerOptions, type LeaseEvent, type LeaseKeeper } from './subnet-manager.js';
export { subnetEnvText, previousSubnet, type SubnetEnv } from './subnet-env.js';
export { masqRules, forwardRules } from './iptables.js';
export { Flanneld, type FlanneldOptions } from './flanneld.js';
export { FlannelCni } from './cni.js';
export { flannelDesign, clusterNetConf } from './design.js';
