/**
 * A network namespace: devices, FIB, neighbour table, netfilter rules and
 * the sysctls that matter for forwarding (`ip_forward`, `proxy_arp`).
 * A node is its host namespace plus one namespace per pod (the pause
 * container's, shared by the pod's containers).
 *
 * Its devices (`ip link`) are here too, as `Iface`: loopback, physical NICs
 * on a fabric segment, veth pairs, Linux bridges, VXLAN, IPIP (`tunl0`), TUN
 * and dummy (a device that holds addresses; what is sent to it is dropped).
 * A device knows its namespace, addresses and the frames it has seen (the
 * model's tcpdump). One file, so that a device and its namespace do not
 * import each other.
 *
 * Simplified: no qdiscs, queues, offloads (GSO/GRO/TSO: every frame is one
 * packet) or carrier events; `up` is administrative only.
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { Core } from '../core/core.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { IptEngine } from '../iptables/engine.js';
import type { Ruleset } from '../iptables/model.js';
import type { SimClock } from '../store/clock.js';
import { NeighTable } from './neigh.js';
import type { NeighMsg } from './neigh-types.js';
import { Fib, LOOPBACK_ROUTES } from './route.js';
import type { BridgeFdb, VxlanFdb } from './fdb.js';
import { inetSelectAddr } from './path/select-addr.js';
import { PmtuCache } from './pmtu.js';

/** One namespace. `node` is the node it belongs to (itself for a host namespace). */
export class Netns {
  readonly ifaces = new Map<string, Iface>();
  readonly fib: Fib;
  readonly neigh: NeighTable;
  /** `net.ipv4.ip_forward`. */
  ipForward = false;
  /** `net.ipv4.conf.all.proxy_arp` (ORed with each device's). */
  proxyArpAll = false;
  private rules?: Ruleset;
  // The compiled engine with its ruleset (one object, read on every hook by the walk).
  private compiled?: { ruleset: Ruleset; engine: IptEngine };
  /** Fragments waiting for reassembly (ip_defrag queues), keyed `src dst id proto`. */
  readonly reasm = new Map<string, Uint8Array[]>();
  /** RTNLGRP_NEIGH of this namespace: the neighbour table's and the vxlan FDBs' notifications (set by the network). */
  neighMonitor: ((m: NeighMsg) => void) | undefined;
  /** A raw ICMP socket (`ping`'s): every ICMP packet delivered to this namespace's local stack, at the time it arrives. */
  icmpRcv: ((ip: Uint8Array) => void) | undefined;
  /** Raw sysctls as given (printed by `sysctl -a`-style helpers). */
  readonly sysctls = new Map<string, string>();
  /** Path MTU exceptions (learned from "fragmentation needed"), on the simulated clock. */
  readonly pmtu: PmtuCache;

  constructor(
    readonly core: Core,
    readonly clock: SimClock,
    readonly name: string,
    readonly node: string,
  ) {
    this.fib = new Fib(core);
    this.neigh = new NeighTable(clock);
    this.pmtu = new PmtuCache(clock);
    this.neigh.monitor = (m) => this.neighMonitor?.(m);
    const lo = this.addIface('lo', 'loopback', '00:00:00:00:00:00', 65536);
    // With lo up, Linux puts 127.0.0.0/8 in the local table (`local 127.0.0.0/8 dev lo`), not in main.
    lo.addrs.push(parseAddr('127.0.0.1/8'));
    for (const r of LOOPBACK_ROUTES) this.fib.add(r);
  }

  /** Makes a device (the door's primitive: programs call `Netlink.linkAdd`, which checks and wires it). */
  addIface(name: string, kind: IfKind, mac: string, mtu?: number): Iface {
    if (this.ifaces.has(name)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${name} in ${this.name})`);
    if (!/^[^\s/]{1,15}$/.test(name)) throw new InputError('InvalidIfName', name, 'an interface name of 1..15 characters (IFNAMSIZ)');
    const i = new Iface(this, name, kind, mac, mtu ?? 1500);
    this.ifaces.set(name, i);
    return i;
  }

  /** The loaded iptables rules as loaded (no engine compiled for reading them). */
  get ruleset(): Ruleset | undefined {
    return this.rules;
  }

  /**
   * Loaded iptables rules and their WASM engine, compiled against the
   * current devices and addresses (the compiled matcher snapshots them):
   * compiled again on first use after a device or address changed.
   */
  get ipt(): { ruleset: Ruleset; engine: IptEngine } | undefined {
    if (!this.rules) return undefined;
    this.compiled ??= { ruleset: this.rules, engine: this.compile(this.rules) };
    return this.compiled;
  }

  /**
   * Compiles `ruleset` against the current devices (throws, changing
   * nothing, if it does not compile) and makes it the loaded one; undefined
   * unloads. The old engine's WASM memory is freed.
   */
  setRuleset(ruleset: Ruleset | undefined): void {
    const engine = ruleset ? this.compile(ruleset) : undefined;
    this.compiled?.engine.dispose();
    this.rules = ruleset;
    this.compiled = ruleset && engine ? { ruleset, engine } : undefined;
  }

  /** Devices or addresses changed: the engine is compiled again when next used. */
  linksChanged(): void {
    this.compiled?.engine.dispose();
    this.compiled = undefined;
  }

  private compile(ruleset: Ruleset): IptEngine {
    const ctx = { interfaces: [...this.ifaces.values()].map((i) => ({ name: i.name, addrs: i.addrs.map((a) => `${formatIPv4(a.addr)}/${a.len}`) })) };
    return new IptEngine(this.core, ruleset, { ctx });
  }

  /** The device `name`, or an error naming the namespace. */
  iface(name: string): Iface {
    const i = this.ifaces.get(name);
    if (!i) throw new InputError('NoSuchDevice', name, `a device of ${this.name} (${[...this.ifaces.keys()].join(', ')})`);
    return i;
  }

  /**
   * The source address for a route out of `dev` without `src`
   * (inet_select_addr): the device's primary address, else the first
   * non-loopback address of any device in creation (ifindex) order.
   */
  primary(dev: string): number | undefined {
    return inetSelectAddr(this.ifaces, dev);
  }

  /** Frees WASM tables. */
  dispose(): void {
    this.fib.dispose();
    this.compiled?.engine.dispose();
    this.compiled = undefined;
  }
}

/** Parses `A.B.C.D/L` (host bits allowed, as `ip addr add`). */
export function parseAddr(s: string): { addr: number; len: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(s);
  if (!m) throw new InputError('InvalidAddress', s, 'an IPv4 address with prefix, e.g. 10.244.1.2/24');
  const len = m[2] === undefined ? 32 : Number(m[2]);
  if (len > 32) throw new InputError('InvalidPrefixLength', s, 'a prefix length 0..32');
  return { addr: parseIPv4(m[1]), len };
}

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
  /** `df unset|set|inherit`: the outer header's DF bit (vxlan_xmit_one). */
  df: VxlanDf;
  fdb: VxlanFdb;
}

/** VXLAN `df`: outer DF clear (Linux's default), set, or copied from the inner IPv4 packet. */
export type VxlanDf = 'unset' | 'set' | 'inherit';

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
  /** Of a NIC: indexes into `frames` that its switch port did not pass (dropped over the segment's MTU). */
  readonly portMissed: number[] = [];

  constructor(
    /** Its namespace (changes with `ip link set DEV netns NS`). */
    public ns: Netns,
    /** Its name (changes only when it moves to another namespace under a new name). */
    public name: string,
    readonly kind: IfKind,
    public mac: string,
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

  /** Whether the device answers ARP itself (IFF_NOARP is set on tunnels, TUN and dummy). */
  get arp(): boolean {
    return this.kind !== 'ipip' && this.kind !== 'tun' && this.kind !== 'loopback' && this.kind !== 'dummy';
  }

  /** Whether the device carries Ethernet frames (IPIP and TUN carry bare IP). */
  get ether(): boolean {
    return this.kind !== 'ipip' && this.kind !== 'tun';
  }
}
