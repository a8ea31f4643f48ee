// The simulated Linux kernel: tables, devices, namespaces, the programming
// door (Netlink), the forwarding walk and buildScenario. Names carry a
// K/Kernel/Nl prefix where a plain one could clash with another domain.
export { NeighTable } from './neigh.js';
export { DEFAULT_NEIGH_PARAMS, neighMsgText } from './neigh-types.js';
export type { NudState, NeighParams, NeighEntry, NeighRequest, NeighAnswer, NeighAgent, ArpResolver, NeighProbe, NeighResult, NeighSetOptions, NeighMsg, NeighParked } from './neigh-types.js';
export { BridgeFdb, VxlanFdb, DEFAULT_AGEING_MS } from './fdb.js';
export type { FdbState, FdbEntry, BridgeFdbResult, VxlanFdbOptions, FdbAgent, VxlanFdbResult } from './fdb.js';
export type { Scenario, SegmentSpec, NodeSpec, IfaceSpec, PodSpec, PacketSpec, Probe } from './scenario.js';
export { Fib, parseRouteLine, routeText, addressRoutes, type KRoute, type KRouteType, type KRouteMatch, type KRouteOp } from './route.js';
export { Iface, type IfKind, type IfAddr, type VxlanParams, type TunAgent } from './iface.js';
export { Netns, parseAddr } from './netns.js';
export { buildIpPacket, ethFrame, readIp, decTtl, fragment, reassemble, isFragment, type ProbeBytes, type IpView } from './packet.js';
export { SimNetwork, monitorLine, tsShort, type ProbeResult, type NeighNotification } from './network.js';
export { buildScenario, createNetwork, type BuildOptions } from './build.js';
export { Netlink } from './netlink.js';
export type { LinkSpec, LinkSetSpec, RouteSpec, NeighSpec, FdbSpec, PodAddSpec, NetnsOptions } from './netlink-spec.js';
export type { PodRecord } from './netlink-pod.js';
export { NlEvents, zeroCounters, type NlEvent, type NlKind, type NlOp, type NlListener, type NlCounters } from './events.js';
export type { WalkPins, WalkStats } from './path/context.js';
export type { SendResult, LaterResult, LaterSink } from './path/walk.js';
export { icmpError, echoReply, ICMP } from './path/icmp.js';
export { Segment, portName } from './segment.js';
