/**
 * The underlay through the kernel door: one fabric segment per rack; with
 * more than one rack a router namespace `router` (ip_forward on) holding
 * each rack's gateway (host 1) on `eth<i>`, and a `default via <gateway>`
 * route on every node (the ToR/spine layers are abstracted into that one
 * router, as the cluster file says). Each node is a host namespace with
 * ip_forward on (kubelet's requirement) and `eth0` (QEMU MAC as
 * src/topology gives it, the underlay MTU).
 */
import { InputError } from '../core/errors.js';
import type { Netlink } from '../kernel/index.js';
import { parseIPv4 } from '../net/ip.js';
import { qemuMac } from '../topology/index.js';
import type { Cluster, NodeSpec } from './spec.js';

/** Name of the router namespace between racks. */
export const ROUTER = 'router';

/** Builds the racks, the router and every node's host namespace with `eth0`. */
export function buildUnderlay(nl: Netlink, c: Cluster): void {
  const racks = c.underlay.racks;
  const routed = racks.length > 1;
  if (routed && (c.nodes.some((n) => n.name === ROUTER) || c.pods.some((p) => p.name === ROUTER))) {
    throw new InputError('DuplicateName', ROUTER, `no node or pod named ${ROUTER}: the router between racks has that name`);
  }
  for (const r of racks) nl.segmentAdd(r.name, { mtu: c.underlay.mtu });
  if (routed) {
    nl.netnsAdd(ROUTER, { ipForward: true });
    racks.forEach((r, i) => {
      nl.linkAdd(ROUTER, { kind: 'phys', name: `eth${i}`, segment: r.name, mac: qemuMac(parseIPv4(r.gateway)), mtu: c.underlay.mtu });
      nl.addrAdd(ROUTER, `eth${i}`, `${r.gateway}/${r.len}`);
    });
  }
  for (const n of c.nodes) addNode(nl, c, n, routed);
}

function addNode(nl: Netlink, c: Cluster, n: NodeSpec, routed: boolean): void {
  const rack = c.underlay.racks.find((r) => r.name === n.rack)!;
  nl.netnsAdd(n.name, { ipForward: true });
  nl.linkAdd(n.name, { kind: 'phys', name: 'eth0', segment: rack.name, mac: qemuMac(parseIPv4(n.ip)), mtu: c.underlay.mtu });
  nl.addrAdd(n.name, 'eth0', `${n.ip}/${rack.len}`);
  if (routed) nl.routeAdd(n.name, { dst: 'default', via: rack.gateway, dev: 'eth0' });
}
