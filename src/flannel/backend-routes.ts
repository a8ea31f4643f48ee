/**
 * The backends built on flanneld's `RouteNetwork` (pkg/backend/route_network.go):
 *
 * - `host-gw` (pkg/backend/hostgw): no device; per remote lease
 *   `X/24 via PublicIP dev eth0` (no `onlink`, so the kernel refuses a
 *   gateway that is not on the segment: every node must share one L2
 *   segment, and a peer on another rack is flanneld's `Error adding route`
 *   with the kernel's ENETUNREACH). MTU = the external one.
 * - `ipip` (pkg/backend/ipip): `flannel.ipip` (local = the external
 *   address, MTU - 20) holding `<subnet>.0/32`; per remote lease
 *   `X/24 via PublicIP dev flannel.ipip onlink`, or with `DirectRouting`
 *   and the peer on the segment the host-gw route.
 *
 * An existing route to the same destination is replaced (flanneld deletes a
 * differing one and adds). `EventRemoved` deletes the route.
 *
 * Simplified: flanneld's 10 s route check, which re-adds routes someone
 * deleted, is not run (nothing but flanneld changes these routes here).
 */
import { formatIPv4 } from '../net/ip.js';
import { directlyReachable, hasLink, tryDoor, type Backend, type NodeEnv } from './backend.js';
import { subnetText, type Lease } from './lease.js';

/** Go's `netlink.Route` as flanneld's log prints it. */
const goRoute = (ifindex: number, dst: string, gw: string) => `{Ifindex: ${ifindex} Dst: ${dst} Src: <nil> Gw: ${gw} Flags: [] Table: 0 Realm: 0}`;

/** The host-gw (`ipip: false`) or ipip backend on one node. */
export function routeBackend(env: NodeEnv, kind: 'host-gw' | 'ipip'): Backend {
  const dev = kind === 'ipip' ? 'flannel.ipip' : env.extIface;
  const routes = new Map<string, { via: string; dev: string }>();
  const ifindex = (d: string) => [...env.net.ns(env.node).ifaces.keys()].indexOf(d) + 1;
  return {
    mtu: kind === 'ipip' ? env.extMtu - 20 : env.extMtu,
    register() {
      if (kind === 'ipip' && !hasLink(env, dev)) env.nl.linkAdd(env.node, { kind: 'ipip', name: dev, local: env.extAddr, mtu: env.extMtu - 20 });
      return { PublicIP: env.extAddr, BackendType: kind };
    },
    configure(own) {
      if (kind !== 'ipip') return;
      const ifc = env.net.ns(env.node).iface(dev);
      if (!ifc.addrs.some((x) => x.addr === own.subnet.addr && x.len === 32)) env.nl.addrAdd(env.node, dev, `${formatIPv4(own.subnet.addr)}/32`);
    },
    added(l: Lease) {
      if (l.attrs.BackendType !== kind) return env.log(`Ignoring non-${kind} subnet: type=${l.attrs.BackendType ?? ''}`);
      const sn = subnetText(l.subnet);
      const direct = kind === 'host-gw' || (env.cfg.directRouting && directlyReachable(env, l.attrs.PublicIP));
      const r = { via: l.attrs.PublicIP, dev: direct ? env.extIface : dev };
      routes.set(sn, r);
      const spec = { dst: sn, via: r.via, dev: r.dev, onlink: !direct };
      try {
        env.nl.routeReplace(env.node, spec);
      } catch (e) {
        const errno = /invalid gateway|unreachable/i.test((e as Error).message) ? 'network is unreachable' : (e as Error).message;
        env.log(`Error adding route to ${goRoute(ifindex(r.dev), sn, r.via)}: ${errno}`);
      }
    },
    removed(l: Lease) {
      if (l.attrs.BackendType !== kind) return;
      const sn = subnetText(l.subnet);
      const r = routes.get(sn);
      routes.delete(sn);
      if (r) tryDoor(env, `Error deleting route to ${sn}`, () => env.nl.routeDel(env.node, { dst: sn, via: r.via, dev: r.dev }));
    },
  };
}
