/**
 * Network devices of the model (`ip link`): loopback, physical NICs on a
 * fabric segment, veth pairs, Linux bridges, VXLAN, IPIP (`tunl0`) and TUN.
 * A device knows its namespace, addresses and the frames it has seen (the
 * model's tcpdump).
 *
 * Simplified: no qdiscs, queues, offloads (GSO/GRO/TSO: every frame is one
 * packet) or carrier events; `up` is administrative only.
 */
import type { BridgeFdb, VxlanFdb } from './fdb.js';
import type { Netns } from './netns.js';

/** Device kinds (`ip -d link` `link/...` and `kind` words). */
export type IfKind = 'loopback' | 'phys' | 'veth' | 'bridge' | 'vxlan' | 'ipip' | 'tun';

/** An IPv4 address on a device. */
export interface IfAddr {
  addr: number;
  len: number;
}

/** VXLAN parameters (`ip link add ... type vxlan id VNI local A dev D dstport P [no]learning`). */
export interface VxlanParams {
  vni: number;
  local: number;
  dev: string;
  dstport: number;
  learning: boolean;
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
    readonly mac: string,
    public mtu = 1500,
  ) {}

  /**
   * Whether {@link see} keeps frames. Default false: a programmatically
   * built cluster of thousands of devices must not keep a copy of every
   * frame; `buildScenario` turns it on (tests read the captures).
   */
  capture = false;

  /** Records a frame seen on this device (a copy, as a capture would keep). */
  see(frame: Uint8Array): void {
    if (this.capture) this.frames.push(frame.slice());
  }

  /** Whether the device answers ARP itself (IFF_NOARP is set on tunnels and TUN). */
  get arp(): boolean {
    return this.kind !== 'ipip' && this.kind !== 'tun' && this.kind !== 'loopback';
  }

  /** Whether the device carries Ethernet frames (IPIP and TUN carry bare IP). */
  get ether(): boolean {
    return this.kind !== 'ipip' && this.kind !== 'tun';
  }
}
