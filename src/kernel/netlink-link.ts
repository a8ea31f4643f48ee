/**
 * `ip link add/del/set` behind the door: each function checks everything
 * first and returns what applies the change, so that a failing call
 * changes nothing. What Linux does with the rest of the kernel when a
 * device comes, goes or goes down is done here too: routes and neighbours
 * through it are flushed (fib_sync_down_dev, neigh_ifdown), a bridge port's
 * FDB entries go, a NIC leaves its segment, vxlan devices over a deleted
 * lower device are deleted with it, iptables are compiled again.
 *
 * Simplified: devices are created up unless `up: false`; a MAC left out is
 * made from a counter (02:00:00:xx:xx:xx), not random; a bridge keeps the
 * MAC it was given (Linux takes its lowest port's until one is set); a vxlan
 * MTU above its lower device's minus 50 is accepted (vxlan_change_mtu
 * refuses it), so that an underlay without headroom can be studied.
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { SimClock } from '../store/clock.js';
import { parseIPv4 } from '../net/ip.js';
import type { Segment } from './segment.js';
import { BridgeFdb, VxlanFdb } from './fdb.js';
import type { Iface, IfKind } from './iface.js';
import type { Netns } from './netns.js';
import { macText } from './netlink-parse.js';
import type { LinkSetSpec, LinkSpec } from './netlink-spec.js';
import { addressRoutes } from './route.js';

/** What the link functions need from the door. */
export interface LinkEnv {
  ns(name: string): Netns;
  dev(ns: Netns, name: string): Iface;
  segment(name: string): Segment;
  clock: SimClock;
  /** A fresh locally administered MAC. */
  nextMac(): string;
  /** A fresh switch port name. */
  nextPort(): string;
}

const IFNAME = /^[^\s/:]{1,15}$/;

function ifname(name: string): void {
  if (typeof name !== 'string' || !IFNAME.test(name)) throw new InputError('InvalidIfName', String(name), 'an interface name of 1..15 characters (IFNAMSIZ)');
}

function mtuOk(mtu: number | undefined, max = 65535): void {
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 68 && mtu <= max)) throw new CnikitError('InvalidMtu', `RTNETLINK answers: Invalid argument (mtu ${mtu}: 68..${max})`);
}

function free(ns: Netns, name: string): void {
  ifname(name);
  if (ns.ifaces.has(name)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${name} in ${ns.name})`);
}

/** Checks `ip link add` in `n`; returns what creates the device (and a veth's peer). */
export function checkLinkAdd(env: LinkEnv, n: Netns, s: LinkSpec): () => Iface {
  free(n, s.name);
  const mac = s.mac === undefined ? undefined : macText(s.mac);
  mtuOk(s.mtu);
  const make = (kind: IfKind, mtu: number) => {
    const i = n.addIface(s.name, kind, mac ?? (kind === 'ipip' || kind === 'tun' ? '00:00:00:00:00:00' : env.nextMac()), s.mtu ?? mtu);
    i.up = s.up ?? true;
    return i;
  };
  switch (s.kind) {
    case 'phys': {
      const seg = env.segment(s.segment);
      const port = s.port ?? (`${n.name}.${s.name}`.length <= 15 ? `${n.name}.${s.name}` : undefined);
      if (port !== undefined && seg.ports.has(port)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (port ${port} of segment ${seg.name})`);
      return () => {
        const i = make('phys', 1500);
        seg.attach(i, port ?? env.nextPort());
        return i;
      };
    }
    case 'veth': {
      const pn = s.peer.ns === undefined ? n : env.ns(s.peer.ns);
      free(pn, s.peer.name);
      if (pn === n && s.peer.name === s.name) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${s.name} in ${n.name})`);
      const pmac = s.peer.mac === undefined ? undefined : macText(s.peer.mac);
      mtuOk(s.peer.mtu);
      return () => {
        const i = make('veth', 1500);
        const p = pn.addIface(s.peer.name, 'veth', pmac ?? env.nextMac(), s.peer.mtu ?? s.mtu ?? 1500);
        p.up = s.peer.up ?? true;
        i.peer = p;
        p.peer = i;
        pn.linksChanged();
        return i;
      };
    }
    case 'bridge':
      return () => {
        const i = make('bridge', 1500);
        i.ports = [];
        i.bridgeFdb = new BridgeFdb(s.name, env.clock);
        i.bridgeFdb.add(i.mac, s.name);
        return i;
      };
    case 'dummy':
    case 'tun':
      return () => make(s.kind, 1500);
    case 'ipip': {
      const local = s.local === undefined ? undefined : parseIPv4(s.local);
      return () => {
        const i = make('ipip', 1480);
        i.ipipLocal = local;
        return i;
      };
    }
    case 'vxlan': {
      if (!(Number.isInteger(s.id) && s.id >= 0 && s.id < 1 << 24)) throw new InputError('InvalidVni', String(s.id), 'a VNI 0..16777215');
      const local = s.local === undefined ? undefined : parseIPv4(s.local);
      const lower = s.dev === undefined ? undefined : env.dev(n, s.dev);
      const dstport = s.dstport ?? 8472;
      if (!(Number.isInteger(dstport) && dstport >= 1 && dstport <= 65535)) throw new InputError('InvalidPort', String(s.dstport), 'a dstport 1..65535');
      if (s.ttl !== undefined && !(Number.isInteger(s.ttl) && s.ttl >= 1 && s.ttl <= 255)) throw new InputError('InvalidTtl', String(s.ttl), 'a ttl 1..255');
      for (const o of n.ifaces.values()) {
        if (o.vxlan && o.vxlan.vni === s.id && o.vxlan.dstport === dstport) throw new CnikitError('Exists', `RTNETLINK answers: File exists (vxlan id ${s.id} dstport ${dstport} is ${o.name})`);
      }
      return () => {
        const i = make('vxlan', lower ? lower.mtu - 50 : 1500);
        const learning = s.learning ?? true;
        const fdb = new VxlanFdb(s.name, env.clock, { learning, l2miss: s.l2miss ?? false });
        i.vxlan = { vni: s.id, local, dev: lower?.name, dstport, learning, proxy: s.proxy ?? false, l3miss: false, ttl: s.ttl, fdb };
        if (s.l3miss) setL3miss(n, i, true);
        return i;
      };
    }
    default:
      throw new InputError('UnsupportedLinkKind', String((s as { kind: unknown }).kind), 'phys, veth, bridge, vxlan, ipip, tun or dummy');
  }
}

/**
 * `l3miss`: the model hands the device's neighbour misses to user space as
 * app probes (`app_solicit` 3 when unset). In Linux the L3 miss comes from
 * the vxlan driver's ARP reduction (`proxy`); the agent's answer is the same.
 */
function setL3miss(n: Netns, i: Iface, on: boolean): void {
  const v = i.vxlan!;
  const app = n.neigh.paramsOf(i.name).appSolicit;
  if (on && !v.l3miss && app === 0) n.neigh.setParams(i.name, { appSolicit: 3 });
  if (!on && v.l3miss && app === 3) n.neigh.setParams(i.name, { appSolicit: 0 });
  v.l3miss = on;
}

/** The devices `ip link del` removes with `i`: a veth's peer, vxlan devices over it. */
export function linkVictims(n: Netns, i: Iface): Iface[] {
  if (i.kind === 'loopback') throw new CnikitError('NotSupported', `RTNETLINK answers: Operation not supported (${i.name} in ${n.name})`);
  const out = [i];
  if (i.peer) out.push(i.peer);
  for (const o of n.ifaces.values()) if (o.vxlan?.dev === i.name) out.push(o);
  return out;
}

/** Removes a device and what hangs on it. */
export function unplug(env: LinkEnv, i: Iface): void {
  const n = i.ns;
  n.fib.flushDev(i.name);
  n.neigh.flushDev(i.name);
  if (i.master) release(i);
  for (const p of i.ports ?? []) p.master = undefined;
  if (i.segment) env.segment(i.segment).detach(i);
  if (i.peer) i.peer.peer = undefined;
  n.ifaces.delete(i.name);
  n.linksChanged();
}

function release(i: Iface): void {
  const br = i.master!;
  br.ports = br.ports!.filter((p) => p !== i);
  br.bridgeFdb!.flushPort(i.name);
  i.master = undefined;
}

function enslave(i: Iface, br: Iface): void {
  if (i.master) release(i);
  i.master = br;
  br.ports!.push(i);
  // br_fdb_add_local: the port's own address, unless the bridge has it already.
  const r = br.bridgeFdb!.lookup(i.mac);
  if (r.kind === 'forward') br.bridgeFdb!.del(i.mac, r.entry.dev);
  if (r.kind !== 'local') br.bridgeFdb!.add(i.mac, i.name);
}

/** Checks `ip link set` of `i`; returns what applies it. */
export function checkLinkSet(env: LinkEnv, i: Iface, s: LinkSetSpec): () => void {
  const n = i.ns;
  const move = checkMove(env, i, s);
  const mac = s.address === undefined ? undefined : macText(s.address);
  mtuOk(s.mtu);
  let br: Iface | undefined;
  if (s.master) {
    br = env.dev(n, s.master);
    if (!br.ports || br === i) throw new CnikitError('NotSupported', `RTNETLINK answers: Operation not supported (${s.master} is not a bridge device of ${n.name} for ${i.name})`);
  }
  const vx = s.l2miss !== undefined || s.l3miss !== undefined || s.learning !== undefined || s.proxy !== undefined;
  if (vx && !i.vxlan) throw new InputError('NotVxlan', i.name, `a vxlan device of ${n.name} for l2miss, l3miss, learning or proxy`);
  if (move && s.master) throw new CnikitError('NotSupported', `RTNETLINK answers: Operation not supported (master with netns: enslave in ${s.netns} after the move)`);
  return () => {
    move?.();
    if (mac !== undefined && mac !== i.mac) {
      const old = i.mac;
      changeMac(i, mac);
      // The segment's station index follows the NIC's new address.
      if (i.segment) env.segment(i.segment).macChanged(i, old);
    }
    if (s.mtu !== undefined) i.mtu = s.mtu;
    if (s.master === null && i.master) release(i);
    if (br && i.master !== br) enslave(i, br);
    if (i.vxlan) {
      if (s.l2miss !== undefined) i.vxlan.fdb.l2miss = s.l2miss;
      if (s.learning !== undefined) i.vxlan.learning = i.vxlan.fdb.learning = s.learning;
      if (s.proxy !== undefined) i.vxlan.proxy = s.proxy;
      if (s.l3miss !== undefined) setL3miss(n, i, s.l3miss);
    }
    if (s.up === false && i.up) down(i);
    if (s.up === true && !i.up) up(i);
  };
}

/**
 * `ip link set DEV netns NS [name N]` (dev_change_net_namespace): checks,
 * and returns the move. The device is closed and unregistered from its
 * namespace (routes, neighbours, addresses, master go), then registered in
 * the other one, down.
 */
function checkMove(env: LinkEnv, i: Iface, s: LinkSetSpec): (() => void) | undefined {
  if (s.netns === undefined) {
    if (s.name !== undefined && s.name !== i.name) throw new InputError('UnsupportedRename', s.name, 'a new name only with netns (renaming in place is not modelled)');
    return undefined;
  }
  const to = env.ns(s.netns);
  if (to === i.ns) return checkMove(env, i, { name: s.name }); // dev_change_net_namespace: nothing to do
  if (i.kind === 'loopback' || i.kind === 'bridge' || i.kind === 'vxlan') throw new CnikitError('InvalidArgument', `RTNETLINK answers: Invalid argument (${i.kind} ${i.name} cannot leave ${i.ns.name})`);
  const name = s.name ?? i.name;
  free(to, name);
  return () => {
    const from = i.ns;
    const seg = i.segment ? env.segment(i.segment) : undefined;
    const port = seg ? [...seg.ports].find(([, m]) => m === i)?.[0] : undefined;
    const peer = i.peer;
    unplug(env, i);
    i.peer = peer;
    if (peer) peer.peer = i;
    i.addrs.length = 0;
    i.up = false;
    i.proxyArp = false;
    i.ns = to;
    i.name = name;
    to.ifaces.set(name, i);
    if (seg) seg.attach(i, port);
    from.linksChanged();
    to.linksChanged();
  };
}

// br_fdb_changeaddr / br_fdb_change_mac_address: the local entry follows the MAC.
function changeMac(i: Iface, mac: string): void {
  // A port's entry is on the port, the bridge's own on the bridge: both named i.name.
  const fdb = i.master?.bridgeFdb ?? i.bridgeFdb;
  const old = fdb?.lookup(i.mac);
  if (old?.kind === 'local' && old.entry.dev === i.name) fdb!.del(i.mac, i.name);
  i.mac = mac;
  if (fdb && fdb.lookup(mac).kind === 'flood') fdb.add(mac, i.name);
}

// NETDEV_DOWN: routes through the device go except its local ones; neighbours go; learned FDB entries go.
function down(i: Iface): void {
  i.up = false;
  i.ns.fib.flushDev(i.name, { keepLocal: true });
  i.ns.neigh.flushDev(i.name);
  i.master?.bridgeFdb!.flushPort(i.name, { dynamicOnly: true });
  i.vxlan?.fdb.flush();
}

// NETDEV_UP: the routes of its addresses come back (fib_add_ifaddr); static routes do not.
function up(i: Iface): void {
  i.up = true;
  for (const a of i.addrs) i.ns.fib.addAddress(a.addr, a.len, i.name);
}

/** `ip addr add` on a device: with the device down only the local route goes in (fib_add_ifaddr). */
export function addAddress(i: Iface, a: { addr: number; len: number }): void {
  i.addrs.push(a);
  if (i.up) i.ns.fib.addAddress(a.addr, a.len, i.name);
  else i.ns.fib.replace(addressRoutes(a.addr, a.len, i.name)[0]);
  i.ns.linksChanged();
}
