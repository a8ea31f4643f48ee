// The cluster file and what both designs share: parsing and checks, the
// underlay, events on the clock, the Design interface, verification.
export { parseCluster, checkCluster } from './parse.js';
export { readSource, type Source, type Path } from './source.js';
export type { Cluster, NodeSpec, PodSpec, RackSpec, PortSpec, ClusterEvent, EventKind, FlannelSection } from './spec.js';
export { parseDuration, formatDuration } from './duration.js';
export type { Design, DesignContext, DesignRun } from './design.js';
export { OutageStore, UNAVAILABLE } from './outage.js';
export { buildUnderlay, ROUTER } from './underlay.js';
export { buildCluster, type ClusterRun, type BuildClusterOptions } from './run.js';
export { verifyCluster, type VerifyReport, type VerifyOptions } from './verify.js';
