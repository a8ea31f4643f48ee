/**
 * A pod as a CNI plugin's ADD makes it, out of door calls (so each part is
 * an event): namespace, veth pair (`eth0` in the pod, the host end
 * enslaved to a bridge for Flannel's bridge plugin), address, routes and
 * neighbours in the pod, routes in the host (Calico's `/32 dev caliX`).
 * DEL removes the namespace, which takes the veth pair and the routes
 * through it, and any host route left.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { parseAddr } from './netns.js';
import { macText, routeMatchOf } from './netlink-parse.js';
import type { NlEvents } from './events.js';
import type { LinkSetSpec, LinkSpec, NeighSpec, NetnsOptions, PodAddSpec, RouteSpec } from './netlink-spec.js';
import type { Netns } from './netns.js';
import type { SimNetwork } from './network.js';

/** The door calls a pod is made of (netlink.ts's `Netlink`; declared here so the two do not import each other). */
export interface PodDoor {
  readonly net: SimNetwork;
  readonly events: NlEvents;
  readonly pods: Map<string, PodRecord>;
  netns(name: string): Netns;
  netnsAdd(name: string, opts?: NetnsOptions): void;
  netnsDel(name: string): void;
  linkAdd(ns: string, spec: LinkSpec): void;
  linkSet(ns: string, name: string, spec: LinkSetSpec): void;
  addrAdd(ns: string, dev: string, cidr: string): void;
  routeAdd(ns: string, r: string | RouteSpec): void;
  routeDel(ns: string, r: string | RouteSpec): void;
  neighAdd(ns: string, a: string | NeighSpec): void;
}

/** What the door remembers of a pod. */
export interface PodRecord {
  readonly host: string;
  readonly hostVeth: string;
  readonly hostRoutes: readonly (string | RouteSpec)[];
}

/** See `Netlink.podAdd`. */
export function podAdd(nl: PodDoor, host: string, p: PodAddSpec): void {
  const h = nl.netns(host);
  // What can be checked before anything is made; the rest fails inside and is undone.
  if (nl.net.namespaces.has(p.name)) throw new CnikitError('Exists', `Cannot create namespace file "/var/run/netns/${p.name}": File exists (node and pod names must be unique)`);
  if (h.ifaces.has(p.hostVeth)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${p.hostVeth} in ${host})`);
  if (p.bridge !== undefined && !h.ifaces.get(p.bridge)?.ports) throw new CnikitError('NotSupported', `RTNETLINK answers: Operation not supported (${p.bridge} is not a bridge device of ${host} for pod ${p.name})`);
  parseAddr(p.address);
  macText(p.mac);
  macText(p.hostVethMac);
  nl.events.transaction(() => {
    let made = false;
    const hostRoutes: (string | RouteSpec)[] = [];
    try {
      nl.netnsAdd(p.name, { node: h.node });
      made = true;
      nl.linkAdd(p.name, { kind: 'veth', name: 'eth0', mac: p.mac, mtu: p.mtu, peer: { name: p.hostVeth, ns: host, mac: p.hostVethMac, mtu: p.mtu } });
      if (p.bridge !== undefined) nl.linkSet(host, p.hostVeth, { master: p.bridge });
      nl.addrAdd(p.name, 'eth0', p.address);
      for (const r of p.routes) nl.routeAdd(p.name, r);
      for (const a of p.neigh ?? []) nl.neighAdd(p.name, a);
      for (const r of p.hostRoutes ?? []) {
        nl.routeAdd(host, r);
        hostRoutes.push(r);
      }
    } catch (e) {
      for (const r of hostRoutes) dropRoute(nl, host, r);
      if (made) nl.netnsDel(p.name);
      throw e;
    }
    nl.pods.set(p.name, { host, hostVeth: p.hostVeth, hostRoutes });
  });
}

/** See `Netlink.podDel`. */
export function podDel(nl: PodDoor, name: string): void {
  const rec = nl.pods.get(name);
  if (!rec) throw new InputError('NoSuchPod', name, `a pod made by podAdd (${[...nl.pods.keys()].join(', ')})`);
  nl.netnsDel(name);
  for (const r of rec.hostRoutes) dropRoute(nl, rec.host, r);
}

// A host route not through the pod's veth is removed by hand (if still there).
function dropRoute(nl: PodDoor, host: string, r: string | RouteSpec): void {
  const n = nl.net.namespaces.get(host);
  const m = routeMatchOf(r);
  if (n && (m.dev === undefined || n.ifaces.has(m.dev)) && n.fib.find(m)) nl.routeDel(host, r);
}
