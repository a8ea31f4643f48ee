/**
 * A network namespace: devices, FIB, neighbour table, netfilter rules and
 * the sysctls that matter for forwarding (`ip_forward`, `proxy_arp`).
 * A node is its host namespace plus one namespace per pod (the pause
 * container's, shared by the pod's containers).
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { Core } from '../core/core.js';
import { parseIPv4 } from '../net/ip.js';
import type { IptEngine } from '../iptables/engine.js';
import type { Ruleset } from '../iptables/model.js';
import type { SimClock } from '../store/clock.js';
import { NeighTable } from './neigh.js';
import { Fib } from './route.js';
import { Iface, type IfKind } from './iface.js';
import { inetSelectAddr } from './path/select-addr.js';

/** One namespace. `node` is the node it belongs to (itself for a host namespace). */
export class Netns {
  readonly ifaces = new Map<string, Iface>();
  readonly fib: Fib;
  readonly neigh: NeighTable;
  /** `net.ipv4.ip_forward`. */
  ipForward = false;
  /** `net.ipv4.conf.all.proxy_arp` (ORed with each device's). */
  proxyArpAll = false;
  /** Loaded iptables rules and their WASM engine (host namespaces only). */
  ipt?: { ruleset: Ruleset; engine: IptEngine };
  /** Fragments waiting for reassembly (ip_defrag queues), keyed `src dst id proto`. */
  readonly reasm = new Map<string, Uint8Array[]>();
  /** Raw sysctls as given (printed by `sysctl -a`-style helpers). */
  readonly sysctls = new Map<string, string>();

  constructor(
    readonly core: Core,
    readonly clock: SimClock,
    readonly name: string,
    readonly node: string,
  ) {
    this.fib = new Fib(core);
    this.neigh = new NeighTable(clock);
    const lo = this.addIface('lo', 'loopback', '00:00:00:00:00:00', 65536);
    // With lo up, Linux puts 127.0.0.0/8 in the local table (`local 127.0.0.0/8 dev lo`), not in main.
    lo.addrs.push(parseAddr('127.0.0.1/8'));
    const k = { table: 'local', dev: 'lo', onlink: false, src: 0x7f000001, proto: 'kernel' } as const;
    this.fib.add({ ...k, type: 'local', prefix: 0x7f000000, len: 8, scope: 'host' });
    this.fib.add({ ...k, type: 'local', prefix: 0x7f000001, len: 32, scope: 'host' });
    this.fib.add({ ...k, type: 'broadcast', prefix: 0x7fffffff, len: 32, scope: 'link' });
  }

  /** `ip link add NAME type KIND`. */
  addIface(name: string, kind: IfKind, mac: string, mtu?: number): Iface {
    if (this.ifaces.has(name)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${name} in ${this.name})`);
    if (!/^[^\s/]{1,15}$/.test(name)) throw new InputError('InvalidIfName', name, 'an interface name of 1..15 characters (IFNAMSIZ)');
    const i = new Iface(this, name, kind, mac, mtu ?? 1500);
    this.ifaces.set(name, i);
    return i;
  }

  /** The device `name`, or an error naming the namespace. */
  iface(name: string): Iface {
    const i = this.ifaces.get(name);
    if (!i) throw new InputError('NoSuchDevice', name, `a device of ${this.name} (${[...this.ifaces.keys()].join(', ')})`);
    return i;
  }

  /** `ip addr add A/L dev D`: the address and the routes Linux derives from it. */
  addAddress(i: Iface, a: { addr: number; len: number }): void {
    i.addrs.push(a);
    this.fib.addAddress(a.addr, a.len, i.name);
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
    this.ipt?.engine.dispose();
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
