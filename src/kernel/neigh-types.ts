/**
 * Types and Linux defaults of the neighbour table (see neigh.ts): NUD
 * states, per-device sysctls, entries, and what a user-space agent is asked
 * and answers.
 */

/** NUD states, as `ip neigh` prints them. */
export type NudState = 'PERMANENT' | 'NOARP' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'INCOMPLETE' | 'FAILED';
/** Every NUD state (for parsing `nud` arguments). */
export const STATES: readonly NudState[] = ['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE', 'INCOMPLETE', 'FAILED'];
/** NUD_VALID in include/net/neighbour.h: states with a usable address. */
export const VALID = new Set<NudState>(['PERMANENT', 'NOARP', 'REACHABLE', 'STALE', 'DELAY', 'PROBE']);

/** Per-device neighbour sysctls (`net.ipv4.neigh.<dev>.*`), Linux defaults. */
export interface NeighParams {
  /** Probes handed to user space (`app_solicit`). Default 0 (flannel's old vxlan set 3). */
  appSolicit: number;
  /** Unicast re-probes of a known address (`ucast_solicit`). Default 3. */
  ucastSolicit: number;
  /** Broadcast probes of an unknown address (`mcast_solicit`). Default 3. */
  mcastSolicit: number;
  /** Broadcast re-probes after the unicast ones (`mcast_resolicit`). Default 0. */
  mcastResolicit: number;
  /** `base_reachable_time_ms`. Default 30,000. */
  baseReachableTimeMs: number;
  /** `delay_first_probe_time`, ms. Default 5,000. */
  delayFirstProbeTimeMs: number;
  /** `retrans_time_ms`: gap between probes. Default 1,000. */
  retransTimeMs: number;
  /** The device does no ARP (IFF_NOARP: tun, ipip): entries are NOARP. Default false. */
  noarp: boolean;
  /** The device's own address, used as lladdr of NOARP entries. Default none. */
  devAddr?: string;
}

/** Linux's defaults (net/ipv4/arp.c `arp_tbl`). */
export const DEFAULT_NEIGH_PARAMS: Readonly<NeighParams> = Object.freeze({
  appSolicit: 0,
  ucastSolicit: 3,
  mcastSolicit: 3,
  mcastResolicit: 0,
  baseReachableTimeMs: 30_000,
  delayFirstProbeTimeMs: 5_000,
  retransTimeMs: 1_000,
  noarp: false,
});

/** One entry, as `ip neigh show` knows it. Times are simulated ms. */
export interface NeighEntry {
  readonly dst: string;
  readonly dev: string;
  readonly lladdr?: string;
  readonly state: NudState;
  readonly router: boolean;
  /** Last reachability confirmation. */
  readonly confirmed: number;
  /** Last time a packet used it. */
  readonly used: number;
}

/** What a user-space agent is asked (an RTM_GETNEIGH notification). */
export interface NeighRequest {
  readonly dst: string;
  readonly dev: string;
  /** INCOMPLETE for a first resolution, PROBE for a re-probe. */
  readonly state: 'INCOMPLETE' | 'PROBE';
}

/** The agent's answer: the `NeighSet` it does. Default state REACHABLE. */
export interface NeighAnswer {
  lladdr: string;
  state?: 'REACHABLE' | 'PERMANENT' | 'NOARP' | 'STALE';
}

/** A user-space agent listening on RTNLGRP_NEIGH (old flanneld). */
export type NeighAgent = (req: NeighRequest) => NeighAnswer | undefined;
/** The wire: who answers an ARP probe (`unicast` = the address probed directly). */
export type ArpResolver = (req: { dst: string; dev: string; unicast?: string }) => string | undefined;

/** One probe a resolution made. `atMs` is its offset from the start. */
export interface NeighProbe {
  readonly kind: 'ucast' | 'app' | 'mcast';
  readonly atMs: number;
  readonly answered: boolean;
}

/** Result of `NeighTable.lookup`, for the `neighbour` step of a trace. */
export type NeighResult =
  | { readonly kind: 'hit'; readonly entry: NeighEntry; readonly was: NudState }
  | { readonly kind: 'resolved'; readonly entry: NeighEntry; readonly by: 'agent' | 'arp'; readonly probes: readonly NeighProbe[] }
  | { readonly kind: 'failed'; readonly entry: NeighEntry; readonly probes: readonly NeighProbe[] };

/** Options of `NeighTable.add` / `replace`, as `ip neigh add ... lladdr M nud S router`. */
export interface NeighSetOptions {
  lladdr?: string;
  /** Default `permanent` (as `ip neigh add`). Case-insensitive. */
  nud?: string;
  router?: boolean;
}

/** One entry of a bulk load (`NeighTable.load`): `ip neigh replace DST dev DEV lladdr M nud S [router]`. */
export interface NeighLoadEntry extends NeighSetOptions {
  dst: string;
  dev: string;
}
