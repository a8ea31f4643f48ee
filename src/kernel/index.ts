// The simulated Linux kernel, as an embedder uses it: build a network
// (buildScenario, or createNetwork and the programming door, Netlink), send
// packets through it (SimNetwork.send/walk), read its tables in Linux's own
// formats. The walk's stages (src/kernel/path/), packet builders and the
// fabric's switch are internal. Names carry a K/Kernel/Nl prefix where a
// plain one could clash with another domain.
export { NeighTable } from './neigh.js';
export { DEFAULT_NEIGH_PARAMS, neighMsgText } from './neigh-types.js';
export type { NudState, NeighParams, NeighEntry, NeighRequest, NeighAnswer, NeighAgent, ArpResolver, NeighProbe, NeighResult, NeighSetOptions, NeighMsg, NeighParked } from './neigh-types.js';
export { BridgeFdb, VxlanFdb, DEFAULT_AGEING_MS } from './fdb.js';
export type { FdbState, FdbEntry, BridgeFdbResult, VxlanFdbOptions, FdbAgent, VxlanFdbResult } from './fdb.js';
export type { Scenario, SegmentSpec, NodeSpec, IfaceSpec, PodSpec, PacketSpec, Probe, MissLease, MissResponderSpec } from './scenario.js';
export { routeText, type Fib, type KRoute, type KRouteType, type KRouteMatch, type KRouteOp } from './route.js';
export type { Iface, IfKind, IfAddr, VxlanParams, TunAgent } from './iface.js';
export type { Netns } from './netns.js';
export { SimNetwork, monitorLine, tsShort, type ProbeResult, type NeighNotification } from './network.js';
export { buildScenario, createNetwork, type BuildOptions } from './build.js';
export { Netlink } from './netlink.js';
export type { LinkSpec, LinkSetSpec, RouteSpec, NeighSpec, FdbSpec, PodAddSpec, NetnsOptions } from './netlink-spec.js';
export type { PodRecord } from './netlink-pod.js';
export { NlEvents, zeroCounters, type NlEvent, type NlKind, type NlOp, type NlListener, type NlCounters } from './events.js';
export type { WalkPins, WalkStats } from './path/context.js';
export type { SendResult, LaterResult, LaterSink } from './path/walk.js';
