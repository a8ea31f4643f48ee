/**
 * An L2 segment of the fabric: a learning switch joining the physical NICs
 * plugged into it (`SegmentSpec`). Plain L3 routers are not here: a router
 * is a node without pods (a host namespace with `ip_forward=1`).
 *
 * Simplified: one broadcast domain, no VLANs, no STP, no link speeds or
 * loss; the switch's MAC table uses the bridge FDB's learning and ageing.
 */
import { BridgeFdb } from '../kernel/fdb.js';
import type { Iface } from '../kernel/iface.js';
import type { SimClock } from '../store/clock.js';

/** A learning switch. Ports are named `NS/DEV` in its FDB. */
export class Segment {
  readonly members: Iface[] = [];
  /** Switch port names (as the netns export names them) -> the NIC on that port. */
  readonly ports = new Map<string, Iface>();
  readonly fdb: BridgeFdb;

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
  }

  /** Unplugs a NIC (its device was deleted): its port and what the switch learned on it go. */
  detach(i: Iface): void {
    const at = this.members.indexOf(i);
    if (at < 0) return;
    this.members.splice(at, 1);
    for (const [port, m] of this.ports) if (m === i) this.ports.delete(port);
    this.fdb.flushPort(portName(i));
    i.segment = undefined;
    i.segmentPeers = undefined;
  }

  /**
   * A frame from `from` enters the switch: learn its source, then find the
   * station of its destination (known port, or flooded to all and taken by
   * the NIC that owns the MAC). Returns the receiving NIC, if any.
   */
  carry(from: Iface, srcMac: string, dstMac: string): { to?: Iface; flooded: boolean } {
    this.fdb.learn(srcMac, portName(from));
    const r = this.fdb.lookup(dstMac);
    if (r.kind === 'forward') {
      const to = this.members.find((m) => portName(m) === r.entry.dev);
      return { to, flooded: false };
    }
    const to = this.members.find((m) => m !== from && m.mac === dstMac && m.up);
    return { to, flooded: true };
  }
}

/** The switch port name of a NIC. */
export function portName(i: Iface): string {
  return `${i.ns.name}/${i.name}`;
}
