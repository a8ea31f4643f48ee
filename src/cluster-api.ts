/**
 * `cnikit/cluster`: the cluster file, what every design shares, and the
 * designs (Flannel). Its own entry beside the main one, because it needs
 * the `yaml` package: the main entry stays loadable in a browser without a
 * bundler or an import map.
 *
 * ```ts
 * import { createCore } from 'cnikit';
 * import { parseCluster, buildCluster, verifyCluster, flannelDesign } from 'cnikit/cluster';
 * ```
 */
export { parseCluster, checkCluster, readSource, parseDuration, formatDuration, OutageStore, UNAVAILABLE, buildUnderlay, ROUTER, buildCluster, verifyCluster } from './cluster/index.js';
export type { Source, Path, Cluster, NodeSpec as ClusterNode, PodSpec as ClusterPod, RackSpec, PortSpec, ClusterEvent, EventKind, FlannelSection, Design, DesignContext, DesignRun, ClusterRun, BuildClusterOptions, VerifyReport, VerifyOptions } from './cluster/index.js';
export * from './flannel/index.js';
