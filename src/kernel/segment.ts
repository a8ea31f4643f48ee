/**
 * An L2 segment of the fabric: a learning switch joining the physical NICs
 * plugged into it (`SegmentSpec`). Plain L3 routers are not here: a router
 * is a node without pods (a host namespace with `ip_forward=1`).
 *
 * A segment of a 5,000-node cluster has 5,000 stations, so nothing here
 * searches them: stations are indexed by MAC and by switch port, and the
 * addresses their namespaces own are indexed as the FIBs' local tables
 * change (Fib.watchLocal), so ARP asks the owner directly. Floods still
 * visit every member (that is what a flood is), without copying the frame
 * unless the member captures.
 *
 * Simplified: one broadcast domain, no VLANs, no STP, no link speeds or
 * loss; the switch's MAC table uses the bridge FDB's learning and ageing.
 */
import { BridgeFdb } from './fdb.js';
import type { Iface } from './iface.js';
import type { KRoute, LocalWatcher } from './route.js';
import type { SimClock } from '../store/clock.js';

/** 127.0.0.0/8: Linux drops ARP requests for loopback addresses (arp_process). */
function loopback(a: number): boolean {
  return a >>> 24 === 127;
}

/** A learning switch. Ports are named `NS/DEV` in its FDB. */
export class Segment {
  readonly members: Iface[] = [];
  /** Switch port names (as the netns export names them) -> the NIC on that port. */
  readonly ports = new Map<string, Iface>();
  readonly fdb: BridgeFdb;
  private readonly byMac = new Map<string, Iface[]>();
  private readonly byPortName = new Map<string, Iface>();
  /** Address -> the NICs whose namespace has it as a local /32, in attach order. */
  private readonly owners = new Map<number, Iface[]>();
  /** NICs whose namespace has wider local routes (`local 10.0.0.0/24`), with how many. */
  private readonly wide = new Map<Iface, number>();
  private readonly watchers = new Map<Iface, LocalWatcher>();
  private readonly order = new Map<Iface, number>();
  private seq = 0;

  /** @param mtu underlay MTU (default 1500) */
  constructor(
    readonly name: string,
    clock: SimClock,
    readonly mtu = 1500,
  ) {
    this.fdb = new BridgeFdb(name, clock);
  }

  /** Plugs a NIC in, on switch port `port` (default `NODE.IF`). */
  attach(i: Iface, port = `${i.ns.name}.${i.name}`): void {
    i.segment = this.name;
    i.segmentPeers = () => this.members.filter((m) => m !== i);
    this.members.push(i);
    this.ports.set(port, i);
    this.byPortName.set(portName(i), i);
    this.order.set(i, this.seq++);
    this.index(this.byMac, i.mac, i);
    const w: LocalWatcher = (r, added) => this.localChanged(i, r, added);
    this.watchers.set(i, w);
    i.ns.fib.watchLocal(w);
  }

  /** Unplugs a NIC (`ip link del`, or a move to another segment): its port and learnt MACs go. */
  detach(i: Iface): void {
    const at = this.members.indexOf(i);
    if (at < 0) return;
    this.members.splice(at, 1);
    for (const [p, m] of this.ports) if (m === i) this.ports.delete(p);
    this.byPortName.delete(portName(i));
    this.unindex(this.byMac, i.mac, i);
    const w = this.watchers.get(i)!;
    i.ns.fib.unwatchLocal(w);
    this.watchers.delete(i);
    for (const [a, list] of this.owners) if (list.includes(i)) this.unindex(this.owners, a, i);
    this.wide.delete(i);
    this.order.delete(i);
    this.fdb.flushPort(portName(i));
    i.segment = undefined;
    i.segmentPeers = undefined;
  }

  /** A plugged-in NIC's MAC changed from `old` (`ip link set dev D address M`). */
  macChanged(i: Iface, old: string): void {
    this.unindex(this.byMac, old, i);
    this.index(this.byMac, i.mac, i);
  }

  /**
   * The first up station with MAC `mac` other than `except`: O(1) from the
   * index (the door reports address changes with {@link macChanged}). A
   * MAC the index does not know, or knows wrongly, is searched for among
   * the members and the index is repaired (a frame to an unknown MAC is
   * flooded to every member anyway).
   */
  stationByMac(mac: string, except?: Iface): Iface | undefined {
    const list = this.byMac.get(mac);
    if (list && list.every((m) => m.mac === mac)) {
      for (const m of list) if (m !== except && m.up) return m;
      return undefined;
    }
    this.reindexMacs();
    for (const m of this.byMac.get(mac) ?? []) if (m !== except && m.up) return m;
    return undefined;
  }

  private reindexMacs(): void {
    this.byMac.clear();
    for (const m of this.members) this.index(this.byMac, m.mac, m);
  }

  /**
   * The first up NIC whose namespace owns IPv4 address `addr` (arp_ignore 0:
   * any local address of the namespace answers on any of its devices), in
   * attach order; O(1) except for namespaces with local routes wider than /32.
   */
  ownerOf(addr: number, except?: Iface): Iface | undefined {
    const a = addr >>> 0;
    if (loopback(a)) return undefined;
    let best: Iface | undefined;
    for (const m of this.owners.get(a) ?? []) {
      if (m !== except && m.up) {
        best = m;
        break;
      }
    }
    for (const m of this.wide.keys()) {
      if (m === except || !m.up || (best && this.order.get(best)! < this.order.get(m)!)) continue;
      if (m.ns.fib.isLocal(a)) best = m;
    }
    return best;
  }

  /**
   * NICs that may answer ARP for others (`proxy_arp` on the device or
   * `all`, with forwarding on). A scan of flags (no lookups): asked only
   * when no station owns the address.
   */
  proxyArpNics(except?: Iface): Iface[] {
    return this.members.filter((m) => m !== except && m.up && (m.proxyArp || m.ns.proxyArpAll) && m.ns.ipForward);
  }

  /**
   * A frame from `from` enters the switch: learn its source, then find the
   * station of its destination (known port, or flooded to all and taken by
   * the NIC that owns the MAC). Returns the receiving NIC, if any.
   */
  carry(from: Iface, srcMac: string, dstMac: string): { to?: Iface; flooded: boolean } {
    this.fdb.learn(srcMac, portName(from));
    const r = this.fdb.lookup(dstMac);
    if (r.kind === 'forward') return { to: this.byPortName.get(r.entry.dev), flooded: false };
    return { to: this.stationByMac(dstMac, from), flooded: true };
  }

  /** A flooded frame is seen by every member but the sender and the receiver (copied only where captured). */
  flood(from: Iface, to: Iface | undefined, frame: Uint8Array): void {
    for (const m of this.members) if (m !== from && m !== to && m.capture) m.see(frame);
  }

  private localChanged(i: Iface, r: KRoute, added: boolean): void {
    if (r.type !== 'local') return;
    if (r.len === 32) {
      if (loopback(r.prefix)) return;
      if (added) this.index(this.owners, r.prefix >>> 0, i);
      else this.unindex(this.owners, r.prefix >>> 0, i);
      return;
    }
    if (loopback(r.prefix) && r.len >= 8) return;
    const n = (this.wide.get(i) ?? 0) + (added ? 1 : -1);
    if (n > 0) this.wide.set(i, n);
    else this.wide.delete(i);
  }

  private index<K>(m: Map<K, Iface[]>, k: K, i: Iface): void {
    const list = m.get(k);
    if (!list) return void m.set(k, [i]);
    if (list.includes(i)) return;
    const o = this.order.get(i)!;
    let at = list.length;
    while (at > 0 && this.order.get(list[at - 1])! > o) at--;
    list.splice(at, 0, i);
  }

  private unindex<K>(m: Map<K, Iface[]>, k: K, i: Iface): void {
    const list = m.get(k);
    if (!list) return;
    const rest = list.filter((x) => x !== i);
    if (rest.length) m.set(k, rest);
    else m.delete(k);
  }
}

/** The switch port name of a NIC. */
export function portName(i: Iface): string {
  return `${i.ns.name}/${i.name}`;
}
