/**
 * The one door through which the kernel model is built and changed, in
 * iproute2's vocabulary (`ip netns`, `ip link`, `ip addr`, `ip route`,
 * `ip neigh`, `bridge fdb`, `sysctl`, `iptables-restore`), as rtnetlink is
 * Linux's. Scenarios (build.ts), tests and control planes program through
 * it alike.
 *
 * Every call checks everything first and changes nothing when it fails:
 * malformed input is an `InputError`; what the kernel refuses is a
 * `CnikitError` with iproute2's own words (`RTNETLINK answers: File exists`,
 * `RTNETLINK answers: No such process`, `Error: Nexthop has invalid
 * gateway`, `Cannot find device "X"`, `RTNETLINK answers: No such file or
 * directory`). Each change is one event (events.ts), counted per kind.
 *
 * ```ts
 * const nl = Netlink.of(net);
 * nl.netnsAdd('node1'); nl.linkAdd('node1', { kind: 'phys', name: 'eth0', segment: 'lan', mac: '02:00:00:00:00:01' });
 * nl.addrAdd('node1', 'eth0', '10.0.0.1/24');
 * nl.routeAdd('node1', '10.244.2.0/24 via 10.0.0.2 dev eth0');
 * nl.counters.route; // 1
 * ```
 */
import { CnikitError, InputError } from '../core/errors.js';
import { Segment } from './segment.js';
import { NlEvents, type NlCounters, type NlListener } from './events.js';
import type { FdbAgent } from './fdb.js';
import type { TunAgent } from './iface.js';
import type { NeighAgent } from './neigh-types.js';
import { parseAddr, type Netns } from './netns.js';
import type { SimNetwork } from './network.js';
import { addAddress, checkLinkAdd, checkLinkSet, linkVictims, unplug, type LinkEnv } from './netlink-link.js';
import { restoreRuleset } from './netlink-ipt.js';
import { fdbOf, neighOf, routeMatchOf } from './netlink-parse.js';
import { bridgeReplace, checkFdbLoad, checkNeighLoad, checkRoute, devOf, fdbTarget, loadRoutes, routeKey } from './netlink-tables.js';
import type { FdbSpec, LinkSetSpec, LinkSpec, NeighSpec, NetnsOptions, PodAddSpec, RouteSpec } from './netlink-spec.js';
import { checkSysctl } from './netlink-sysctl.js';
import { podAdd, podDel, type PodRecord } from './netlink-pod.js';

const doors = new WeakMap<SimNetwork, Netlink>();

/** The programming door of one {@link SimNetwork}. */
export class Netlink {
  /** Events and their counters. */
  readonly events = new NlEvents();
  /** Pods made by {@link podAdd}, by name. */
  readonly pods = new Map<string, PodRecord>();
  private macs = 0;
  private portN = 0;
  private readonly env: LinkEnv;

  /** The door of `net` (made on first use, so every caller shares its counters). */
  static of(net: SimNetwork): Netlink {
    return doors.get(net) ?? new Netlink(net);
  }

  constructor(readonly net: SimNetwork) {
    if (!doors.has(net)) doors.set(net, this);
    this.env = {
      ns: (n) => this.netns(n),
      dev: devOf,
      segment: (s) => this.segment(s),
      clock: net.clock,
      nextMac: () => {
        const k = ++this.macs;
        return `02:00:00:${[k >> 16, k >> 8, k].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`;
      },
      nextPort: () => `p${this.portN++}`,
    };
  }

  /** Entries changed per kind since the door was made (or `events.reset()`). */
  get counters(): NlCounters {
    return this.events.counters;
  }

  /** Called on every change (default none). */
  set listener(f: NlListener | undefined) {
    this.events.listener = f;
  }
  get listener(): NlListener | undefined {
    return this.events.listener;
  }

  /** The namespace, or iproute2's error. */
  netns(name: string): Netns {
    const n = this.net.namespaces.get(name);
    if (!n) throw new CnikitError('NoSuchNetns', `Cannot open network namespace "${name}": No such file or directory`);
    return n;
  }

  private segment(name: string): Segment {
    const s = this.net.segments.get(name);
    if (!s) throw new InputError('NoSuchSegment', name, `a fabric segment (${[...this.net.segments.keys()].join(', ')})`);
    return s;
  }

  // --- ip netns, segments ------------------------------------------------

  /** `ip netns add NAME`: a namespace with `lo`. */
  netnsAdd(name: string, opts: NetnsOptions = {}): void {
    // A file under /var/run/netns: NAME_MAX, no slash (and no blank, for the export's shell script).
    if (typeof name !== 'string' || !/^[^\s/]{1,255}$/.test(name) || name === '.' || name === '..') {
      throw new InputError('InvalidNetnsName', String(name), 'a namespace name of 1..255 characters without blanks or slashes');
    }
    if (this.net.namespaces.has(name)) throw new CnikitError('Exists', `Cannot create namespace file "/var/run/netns/${name}": File exists (node and pod names must be unique)`);
    const n = this.net.addNamespace(name, opts.node ?? name);
    n.ipForward = opts.ipForward ?? false;
    this.events.emit('netns', 'add', name, name);
  }

  /**
   * `ip netns del NAME`: its devices go (a veth's peer in another namespace
   * with it, routes through that peer there), then its WASM tables (FIB,
   * iptables engine) are freed.
   */
  netnsDel(name: string): void {
    const n = this.netns(name);
    for (const i of [...n.ifaces.values()]) if (i.kind !== 'loopback' && n.ifaces.has(i.name)) for (const v of linkVictims(n, i)) if (v.ns.ifaces.get(v.name) === v) unplug(this.env, v);
    n.dispose();
    this.net.namespaces.delete(name);
    this.pods.delete(name);
    this.events.emit('netns', 'del', name, name);
  }

  /** A fabric L2 segment (a learning switch) NICs can be plugged into. */
  segmentAdd(name: string, opts: { mtu?: number } = {}): void {
    if (typeof name !== 'string' || !/^[^\s/]{1,64}$/.test(name)) throw new InputError('InvalidSegmentName', String(name), 'a segment name of 1..64 characters');
    if (this.net.segments.has(name)) throw new CnikitError('Exists', `segment ${name}: File exists`);
    const mtu = opts.mtu ?? 1500;
    if (!(Number.isInteger(mtu) && mtu >= 68 && mtu <= 65535)) throw new InputError('InvalidMtu', String(opts.mtu), 'an MTU 68..65535');
    this.net.segments.set(name, new Segment(name, this.net.clock, mtu));
    this.events.emit('segment', 'add', name, name);
  }

  // --- ip link, ip addr ----------------------------------------------------

  /** `ip link add NAME type KIND ...` (see {@link LinkSpec}); a veth pair may span namespaces. */
  linkAdd(ns: string, spec: LinkSpec): void {
    const n = this.netns(ns);
    checkLinkAdd(this.env, n, spec)();
    n.linksChanged();
    this.events.emit('link', 'add', ns, spec.name);
  }

  /** `ip link del NAME`: a veth's peer and vxlan devices over it go too. */
  linkDel(ns: string, name: string): void {
    const n = this.netns(ns);
    for (const v of linkVictims(n, devOf(n, name))) unplug(this.env, v);
    this.events.emit('link', 'del', ns, name);
  }

  /** `ip link set NAME [up|down] [mtu N] [address M] [master BR|nomaster] [vxlan flags]`. */
  linkSet(ns: string, name: string, spec: LinkSetSpec): void {
    const n = this.netns(ns);
    checkLinkSet(this.env, devOf(n, name), spec)();
    this.events.emit('link', 'set', ns, name);
  }

  /** `ip addr add A/L dev DEV`, with the routes Linux derives (local, broadcast, connected). */
  addrAdd(ns: string, dev: string, cidr: string): void {
    const n = this.netns(ns);
    const i = devOf(n, dev);
    const a = parseAddr(cidr);
    if (i.addrs.some((x) => x.addr === a.addr && x.len === a.len)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${cidr} dev ${dev})`);
    addAddress(i, a);
    this.events.emit('addr', 'add', ns, `${cidr} dev ${dev}`);
  }

  /** `ip addr del A/L dev DEV`, and its routes (and routes with it as `src`). */
  addrDel(ns: string, dev: string, cidr: string): void {
    const n = this.netns(ns);
    const i = devOf(n, dev);
    const a = parseAddr(cidr);
    const at = i.addrs.findIndex((x) => x.addr === a.addr && x.len === a.len);
    if (at < 0) throw new CnikitError('NotFound', `RTNETLINK answers: Cannot assign requested address (${cidr} dev ${dev})`);
    i.addrs.splice(at, 1);
    n.fib.delAddress(a.addr, a.len, dev);
    // The last address gone disables IP on the device (fib_disable_ip, forced): every route and neighbour through it goes.
    if (i.addrs.length === 0) {
      n.fib.flushDev(dev);
      n.neigh.flushDev(dev);
    }
    n.linksChanged();
    this.events.emit('addr', 'del', ns, `${cidr} dev ${dev}`);
  }

  // --- ip route ---------------------------------------------------------------

  /** `ip route add ARGS` (or a {@link RouteSpec}): EEXIST when the prefix has a route of the same metric. */
  routeAdd(ns: string, r: string | RouteSpec): void {
    const n = this.netns(ns);
    const k = checkRoute(n, r);
    n.fib.add(k);
    this.events.emit('route', 'add', ns, () => routeKey(k));
  }

  /** `ip route replace ARGS`: the route of the same prefix and metric, or a new one. */
  routeReplace(ns: string, r: string | RouteSpec): void {
    const n = this.netns(ns);
    const k = checkRoute(n, r);
    n.fib.replace(k);
    this.events.emit('route', 'replace', ns, () => routeKey(k));
  }

  /** `ip route append ARGS`: one more route on the prefix (lookups use the first). */
  routeAppend(ns: string, r: string | RouteSpec): void {
    const n = this.netns(ns);
    const k = checkRoute(n, r);
    n.fib.append(k);
    this.events.emit('route', 'append', ns, () => routeKey(k));
  }

  /** `ip route del PREFIX [type] [via A] [dev D] [table T]`: the first route matching; ESRCH when none. */
  routeDel(ns: string, r: string | RouteSpec): void {
    const n = this.netns(ns);
    const m = routeMatchOf(r);
    if (m.dev !== undefined) devOf(n, m.dev);
    n.fib.del(m);
    this.events.emit('route', 'del', ns, () => routeKey(m));
  }

  /** Adds many routes at once (all `add`); one failing route (named by its index) loads none. */
  routeLoad(ns: string, batch: readonly (string | RouteSpec)[]): void {
    loadRoutes(this.netns(ns), batch);
    this.events.emit('route', 'add', ns, `${batch.length} routes`, batch.length);
  }

  // --- ip neigh ---------------------------------------------------------------

  /** `ip neigh add ADDR lladdr MAC dev DEV [nud STATE]` (or a {@link NeighSpec}): EEXIST when present. */
  neighAdd(ns: string, a: string | NeighSpec): void {
    const n = this.netns(ns);
    const s = neighOf(a);
    devOf(n, s.dev);
    n.neigh.add(s.dst, s.dev, s);
    this.events.emit('neigh', 'add', ns, `${s.dst} dev ${s.dev}`);
  }

  /** `ip neigh replace ...`: creates or overwrites. */
  neighReplace(ns: string, a: string | NeighSpec): void {
    const n = this.netns(ns);
    const s = neighOf(a);
    devOf(n, s.dev);
    n.neigh.replace(s.dst, s.dev, s);
    this.events.emit('neigh', 'replace', ns, `${s.dst} dev ${s.dev}`);
  }

  /** `ip neigh del ADDR dev DEV`: ENOENT when absent. */
  neighDel(ns: string, a: string | NeighSpec): void {
    const n = this.netns(ns);
    const s = neighOf(a, 'del');
    devOf(n, s.dev);
    n.neigh.del(s.dst, s.dev);
    this.events.emit('neigh', 'del', ns, `${s.dst} dev ${s.dev}`);
  }

  /** Adds many neighbours at once (all `add`); one failing entry loads none. */
  neighLoad(ns: string, batch: readonly (string | NeighSpec)[]): void {
    const n = this.netns(ns);
    n.neigh.load(checkNeighLoad(n, batch), { exclusive: true });
    this.events.emit('neigh', 'add', ns, `${batch.length} neighbours`, batch.length);
  }

  // --- bridge fdb -------------------------------------------------------------

  /** `bridge fdb add MAC dev DEV [dst A] [self|master] [STATE]` (or an {@link FdbSpec}): EEXIST when the MAC is there. */
  fdbAdd(ns: string, a: string | FdbSpec): void {
    const { s, i } = fdbTarget(this.netns(ns), a);
    if (i.vxlan) i.vxlan.fdb.add(s.mac, s.dst!, s);
    else i.master!.bridgeFdb!.add(s.mac, i.name, s);
    this.events.emit('fdb', 'add', ns, `${s.mac} dev ${s.dev}`);
  }

  /** `bridge fdb append`: one more remote VTEP for the MAC (the all-zeros flood list). */
  fdbAppend(ns: string, a: string | FdbSpec): void {
    const { s, i } = fdbTarget(this.netns(ns), a);
    if (i.vxlan) i.vxlan.fdb.append(s.mac, s.dst!, s);
    else bridgeReplace(i, s);
    this.events.emit('fdb', 'append', ns, `${s.mac} dev ${s.dev}`);
  }

  /** `bridge fdb replace`: the MAC now has this one entry. */
  fdbReplace(ns: string, a: string | FdbSpec): void {
    const { s, i } = fdbTarget(this.netns(ns), a);
    if (i.vxlan) i.vxlan.fdb.replace(s.mac, s.dst!, s);
    else bridgeReplace(i, s);
    this.events.emit('fdb', 'replace', ns, `${s.mac} dev ${s.dev}`);
  }

  /** `bridge fdb del MAC dev DEV [dst A]`: ENOENT when absent. */
  fdbDel(ns: string, a: string | FdbSpec): void {
    const n = this.netns(ns);
    const s = fdbOf(a);
    const i = devOf(n, s.dev);
    if (i.vxlan) i.vxlan.fdb.del(s.mac, s.dst);
    else if (i.master) i.master.bridgeFdb!.del(s.mac, i.name);
    else throw new InputError('InvalidFdb', typeof a === 'string' ? a : s.mac, `a vxlan device or a bridge port (${s.dev} in ${n.name})`);
    this.events.emit('fdb', 'del', ns, `${s.mac} dev ${s.dev}`);
  }

  /** Adds many FDB entries at once (all `add`); one failing entry loads none. */
  fdbLoad(ns: string, batch: readonly (string | FdbSpec)[]): void {
    checkFdbLoad(this.netns(ns), batch)();
    this.events.emit('fdb', 'add', ns, `${batch.length} fdb entries`, batch.length);
  }

  // --- sysctl, iptables -----------------------------------------------------

  /** `sysctl -w KEY=VALUE` in `ns` (see netlink-sysctl.ts for the keys the model acts on). */
  sysctl(ns: string, key: string, value: string): void {
    checkSysctl(this.netns(ns), key, value)();
    this.events.emit('sysctl', 'set', ns, key);
  }

  /**
   * `iptables-restore [--noflush]` of a whole ruleset or some tables,
   * compiled against the namespace's current devices (and again whenever
   * they change). The old engine's WASM memory is freed.
   */
  iptablesRestore(ns: string, text: string, opts: { noflush?: boolean } = {}): void {
    const n = this.netns(ns);
    const rs = restoreRuleset(n.ipt?.ruleset, text, `${ns} iptables`, opts.noflush ?? false);
    n.setRuleset(rs);
    this.events.emit('iptables', opts.noflush ? 'append' : 'replace', ns, [...rs.tables.keys()].join(','));
  }

  // --- pods and user-space listeners -----------------------------------------

  /**
   * A pod, as a CNI plugin's ADD makes it: namespace `spec.name`, a veth
   * pair (`eth0` in the pod, `hostVeth` in `host`, enslaved to `bridge` if
   * given), the pod's address, routes and neighbours, and host routes.
   * Each part is a door call (and its event); if one fails, what was made
   * is removed again and the error thrown.
   */
  podAdd(host: string, spec: PodAddSpec): void {
    podAdd(this, host, spec);
  }

  /** Removes a pod made by {@link podAdd}: its namespace, veth pair and host routes. */
  podDel(name: string): void {
    podDel(this, name);
  }

  /**
   * Registers user-space listeners of a device's misses, as old flanneld
   * did: `neigh` answers L3 misses (the RTM_GETNEIGH of the neighbour
   * table's `app_solicit` probes: none when it is 0, whatever `l3miss`
   * says) and `fdb` answers L2 misses of a vxlan device (it needs
   * `l2miss`). An answer is installed at once, or `latencyMs` later on
   * the clock: a packet waiting for the neighbour leaves with it, while the
   * frame that raised an L2 miss was dropped and only later frames use it.
   * Each answer is the listener's own kernel change (flanneld's `NeighSet`),
   * so it is an event (`neigh replace`, `fdb add`) like any other, counted
   * when the listener answers. `undefined` removes a listener.
   */
  setMissAgents(ns: string, dev: string, agents: { neigh?: NeighAgent; fdb?: FdbAgent }): void {
    const n = this.netns(ns);
    const i = devOf(n, dev);
    if ('fdb' in agents && !i.vxlan) throw new InputError('NotVxlan', dev, `a vxlan device of ${ns} for an L2 MISS agent`);
    const neigh = agents.neigh;
    const fdb = agents.fdb;
    if ('neigh' in agents) {
      n.neigh.setAgent(
        neigh &&
          ((q) => {
            const a = neigh(q);
            if (a) this.events.emit('neigh', 'replace', ns, `${q.dst} dev ${q.dev}`);
            return a;
          }),
      );
    }
    if ('fdb' in agents) {
      i.vxlan!.fdb.setAgent(
        fdb &&
          ((q) => {
            const a = fdb(q);
            if (a) this.events.emit('fdb', 'add', ns, `${q.mac} dev ${q.dev}`);
            return a;
          }),
      );
    }
  }

  /** The user-space reader of a TUN device (Flannel's udp backend), or undefined to stop it. */
  setTunAgent(ns: string, dev: string, agent: TunAgent | undefined): void {
    const n = this.netns(ns);
    const i = devOf(n, dev);
    if (i.kind !== 'tun') throw new InputError('NotTun', dev, `a tun device of ${ns}`);
    i.tunAgent = agent;
  }
}
