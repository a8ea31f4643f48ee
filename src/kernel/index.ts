// Kernel tables for the simulated Linux node (issue #5): neighbour and FDB.
// The rest of the kernel model (interfaces, routing, forwarding) builds on these.
export { NeighTable, DEFAULT_NEIGH_PARAMS } from './neigh.js';
export type { NudState, NeighParams, NeighEntry, NeighRequest, NeighAnswer, NeighAgent, ArpResolver, NeighProbe, NeighResult, NeighSetOptions } from './neigh.js';
export { BridgeFdb, VxlanFdb, DEFAULT_AGEING_MS } from './fdb.js';
export type { FdbState, FdbEntry, BridgeFdbResult, VxlanFdbOptions, FdbAgent, VxlanFdbResult } from './fdb.js';
