/**
 * Typed inputs of the programming door (netlink.ts), beside the text ones:
 * what `ip link`, `ip route`, `ip neigh` and `bridge fdb` take, as data.
 * Addresses are dotted-quad text; prefixes `A.B.C.D/L`, `A.B.C.D` (a /32)
 * or `default`.
 */
import type { KRouteType } from './route.js';

/** Fields every device has. */
interface LinkCommon {
  name: string;
  /** `address`. Default 00:00:00:00:00:00 (Linux would pick a random one). */
  mac?: string;
  /** Default 1500 (1480 for ipip, lower device's minus 50 for vxlan with `dev`; a vxlan MTU above that is lowered to it, as vxlan_config_apply does). */
  mtu?: number;
  /** Administratively up. Default true (iproute2 creates devices down; the door saves the `ip link set up`). */
  up?: boolean;
}

/** `ip link add NAME type KIND ...` (and `phys`: a NIC plugged into a fabric segment). */
export type LinkSpec =
  | (LinkCommon & {
      kind: 'phys';
      segment: string;
      /** Switch port name on the segment. Default `NS.NAME`. */
      port?: string;
    })
  | (LinkCommon & {
      kind: 'veth';
      /** `peer name P [netns NS] [address M] [mtu N]`; the peer is in the same namespace unless `ns`. */
      peer: { name: string; ns?: string; mac?: string; mtu?: number; up?: boolean };
    })
  | (LinkCommon & { kind: 'bridge' })
  | (LinkCommon & { kind: 'dummy' })
  | (LinkCommon & { kind: 'tun' })
  | (LinkCommon & { kind: 'ipip'; local?: string })
  | (LinkCommon & {
      kind: 'vxlan';
      /** VNI (`id`), 0..16777215. */
      id: number;
      local?: string;
      /** Underlay device (`dev`). */
      dev?: string;
      /** UDP port (`dstport`). Default 8472, Linux's (the IANA port is 4789). */
      dstport?: number;
      /** `[no]learning`. Default true. */
      learning?: boolean;
      /** `proxy`: ARP answered from the neighbour table. Default false. */
      proxy?: boolean;
      /** `l2miss`: FDB misses reported to user space. Default false. */
      l2miss?: boolean;
      /** `l3miss`: neighbour misses reported to user space. Default false. */
      l3miss?: boolean;
      /** `ttl`. Default auto (the route's, 64). */
      ttl?: number;
      /** `df unset|set|inherit`: the outer DF bit. Default unset (Linux's). */
      df?: 'unset' | 'set' | 'inherit';
    });

/** `ip link set DEV ...`. Unset fields are left as they are. */
export interface LinkSetSpec {
  up?: boolean;
  mtu?: number;
  /** `address`. */
  address?: string;
  /** `master BR`, or `nomaster` with null. */
  master?: string | null;
  /** vxlan `[no]l2miss` on a live device. */
  l2miss?: boolean;
  /** vxlan `[no]l3miss` on a live device. */
  l3miss?: boolean;
  /** vxlan `[no]learning`. */
  learning?: boolean;
  /** vxlan `[no]proxy`. */
  proxy?: boolean;
  /**
   * `netns NS`: moves the device to namespace NS (as CNI plugins move a veth
   * end). It arrives down, without addresses, routes or master, as Linux
   * moves it; bridges, vxlan and loopback devices cannot move (NETIF_F_NETNS_LOCAL).
   */
  netns?: string;
  /** With `netns`: its name there (the move's IFLA_IFNAME). Renaming in place is not modelled. */
  name?: string;
}

/** An `ip route` route: `{ dst: '10.244.2.0/24', via: '10.244.2.0', dev: 'flannel.1', onlink: true }`. */
export interface RouteSpec {
  dst: string;
  /** Default unicast. */
  type?: KRouteType;
  via?: string;
  dev?: string;
  onlink?: boolean;
  /** Default: host for local, link for unicast without via, else global. */
  scope?: 'global' | 'link' | 'host';
  src?: string;
  /** Default `boot`. */
  proto?: string;
  metric?: number;
  /** Default main (local for local and broadcast routes). */
  table?: 'main' | 'local';
}

/** An `ip neigh` entry: `{ dst: '10.244.2.0', lladdr: 'd6:...', dev: 'flannel.1' }`. */
export interface NeighSpec {
  dst: string;
  dev: string;
  lladdr?: string;
  /** Default permanent (as `ip neigh add`). */
  nud?: string;
  router?: boolean;
}

/** A `bridge fdb` entry: on a vxlan device (`dst` = remote VTEP) or a bridge port (`master`). */
export interface FdbSpec {
  mac: string;
  dev: string;
  /** Remote VTEP (vxlan devices). */
  dst?: string;
  /** `permanent` (default), `static` or `dynamic`. */
  state?: string;
}

/** A pod: namespace, veth pair, address, routes and neighbours (what a CNI plugin's ADD does). */
export interface PodAddSpec {
  name: string;
  /** `eth0` address with prefix. */
  address: string;
  mac: string;
  hostVeth: string;
  hostVethMac: string;
  /** Bridge the host end is enslaved to (Flannel `cni0`); none for routed veths (Calico). */
  bridge?: string;
  /** Routes inside the pod. */
  routes: readonly (string | RouteSpec)[];
  /** Neighbours inside the pod. */
  neigh?: readonly (string | NeighSpec)[];
  /** Routes in the host namespace, e.g. Calico's `192.168.1.2 dev cali1 scope link`; removed with the pod. */
  hostRoutes?: readonly (string | RouteSpec)[];
  mtu?: number;
}

/** Options of a namespace. */
export interface NetnsOptions {
  /** The node it belongs to. Default itself (a host namespace). */
  node?: string;
  /** `net.ipv4.ip_forward`. Default false, as Linux. */
  ipForward?: boolean;
}
