/**
 * Network devices of the model (`ip link`): loopback, physical NICs on a
 * fabric segment, veth pairs, Linux bridges, VXLAN, IPIP (`tunl0`), TUN and
 * dummy (a device that holds addresses; what is sent to it is dropped).
 * A device knows its namespace, addresses and the frames it has seen (the
 * model's tcpdump).
 *
 * Simplified: no qdiscs, queues, offloads (GSO/GRO/TSO: every frame is one
 * packet) or carrier events; `up` is administrative only.
 */
import type { BridgeFdb, VxlanFdb } from './fdb.js';
import type { Netns } from './netns.js';

/** Device kinds (`ip -d link` `link/...` and `kind` words). */
export type IfKind = 'loopback' | 'phys' | 'veth' | 'bridge' | 'vxlan' | 'ipip' | 'tun' | 'dummy';

/** An IPv4 address on a device. */
export interface IfAddr {
  addr: number;
  len: number;
}

/**
 * VXLAN parameters (`ip link add ... type vxlan id VNI local A dev D dstport P
 * [no]learning [proxy] [l2miss] [l3miss] [ttl N]`). `l2miss` lives in the
 * FDB (`fdb.l2miss`), which applies it; `learning` is kept in both.
 */
export interface VxlanParams {
  vni: number;
  /** `local`; undefined: the route's source address is used. */
  local?: number;
  /** `dev`: the underlay device. */
  dev?: string;
  dstport: number;
  learning: boolean;
  /** `proxy`: printed; ARP on the device is not reduced by the model. */
  proxy: boolean;
  /** `l3miss`: neighbour misses go to user space (see Netlink.setMissAgents). */
  l3miss: boolean;
  /** `ttl` of the outer header; undefined is `auto`. Printed only (the walk sends 64). */
  ttl?: number;
  fdb: VxlanFdb;
}

/** A user-space program reading a TUN device (Flannel's udp backend): what it does with a packet. */
export type TunAgent = (ip: Uint8Array, dev: string) => { remote: string } | undefined;

/** A device in one namespace. */
export class Iface {
  /** IPv4 addresses, in the order added. */
  readonly addrs: IfAddr[] = [];
  up = true;
  /** `net.ipv4.conf.<dev>.proxy_arp`. */
  proxyArp = false;
  /** The other end of a veth. */
  peer?: Iface;
  /** The bridge this device is enslaved to. */
  master?: Iface;
  /** A bridge's ports and FDB. */
  ports?: Iface[];
  bridgeFdb?: BridgeFdb;
  /** The fabric segment a physical NIC is plugged into. */
  segment?: string;
  /** The other NICs on that segment (set when plugged in). */
  segmentPeers?: () => Iface[];
  vxlan?: VxlanParams;
  /** IPIP: local address (`local`), `any` when undefined. */
  ipipLocal?: number;
  tunAgent?: TunAgent;
  /** Frames seen on the device, both directions, in order (the model's tcpdump). */
  readonly frames: Uint8Array[] = [];

  constructor(
    readonly ns: Netns,
    readonly name: string,
    readonly kind: IfKind,
    public mac: string,
    public mtu = 1500,
  ) {}

  /** Whether {@link see} keeps frames (default true; benchmarks turn it off). */
  capture = true;

  /** Records a frame seen on this device (a copy, as a capture would keep). */
  see(frame: Uint8Array): void {
    if (this.capture) this.frames.push(frame.slice());
  }

  /** Whether the device answers ARP itself (IFF_NOARP is set on tunnels, TUN and dummy). */
  get arp(): boolean {
    return this.kind !== 'ipip' && this.kind !== 'tun' && this.kind !== 'loopback' && this.kind !== 'dummy';
  }

  /** Whether the device carries Ethernet frames (IPIP and TUN carry bare IP). */
  get ether(): boolean {
    return this.kind !== 'ipip' && this.kind !== 'tun';
  }
}
