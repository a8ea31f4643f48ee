// Kernel tables for the simulated Linux node (issue #5): neighbour and FDB.
// The rest of the kernel model (interfaces, routing, forwarding) builds on these.
export { NeighTable } from './neigh.js';
export { DEFAULT_NEIGH_PARAMS } from './neigh-types.js';
export type { NudState, NeighParams, NeighEntry, NeighRequest, NeighAnswer, NeighAgent, ArpResolver, NeighProbe, NeighResult, NeighSetOptions } from './neigh-types.js';
export { BridgeFdb, VxlanFdb, DEFAULT_AGEING_MS } from './fdb.js';
export type { FdbState, FdbEntry, BridgeFdbResult, VxlanFdbOptions, FdbAgent, VxlanFdbResult } from './fdb.js';
