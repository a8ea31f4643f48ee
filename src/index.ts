/**
 * cnikit: the public API for embedding.
 *
 * ```ts
 * import { createCore, RouteTable } from 'cnikit';
 * const core = await createCore();
 * ```
 * Each domain re-exports its API from its own index file below.
 */
export { createCore, createCoreSync, Core } from './core/core.js';
export type { CoreOptions, BaseExports } from './core/core.js';
export { CnikitError, InputError, WasmTrapError } from './core/errors.js';
export type { InputPosition } from './core/errors.js';
export type { Trace, Hop, Step, Disposition } from './core/trace.js';
export * from './lpm/index.js';
export * from './codec/index.js';
export * from './pcap/index.js';
export * from './iptables/index.js';
export * from './store/index.js';
export * from './kernel/index.js';
export * from './netns/index.js';
export * from './topology/index.js';
export * from './scenarios/index.js';
export { parseCluster, buildCluster, verifyCluster, OutageStore, parseDuration, formatDuration } from './cluster/index.js';
export type { Cluster, ClusterRun, BuildClusterOptions, Design, DesignContext, DesignRun, VerifyReport, VerifyOptions, ClusterEvent, RackSpec, NodeSpec as ClusterNode, PodSpec as ClusterPod } from './cluster/index.js';
export { flannelDesign, parseNetConf, SubnetManager, Flanneld, FlannelCni, subnetEnvText, attrsJson, masqRules, forwardRules } from './flannel/index.js';
export type { NetConf, BackendConfig, BackendType, Lease as FlannelLease, LeaseAttrs, LeaseEvent, FlanneldOptions } from './flannel/index.js';
