/**
 * The vxlan backend as flanneld >= v0.9 runs it (pkg/backend/vxlan,
 * "version 3", no netlink misses):
 *
 * - `flannel.<VNI>`: VNI 1, port 0 (the kernel's 8472), `local` = the
 *   external address, `dev` = the external interface, `nolearning` unless
 *   `Learning`, MTU = `MTU` (default the external one) - 50, a random
 *   VtepMAC; an existing device is reused (a restart keeps it).
 * - After the lease: `<subnet>.0/32` on it.
 * - Per remote vxlan lease, in this order: the permanent neighbour
 *   `X.0 lladdr VtepMAC`, the FDB entry `VtepMAC dst PublicIP self
 *   permanent`, then `X.0/24 via X.0 dev flannel.1 onlink` (last, so the
 *   kernel never has to resolve). With `DirectRouting` and the peer on the
 *   same segment: `X.0/24 via PublicIP dev eth0` and nothing else.
 * - `EventRemoved` deletes them; failures are logged, not fatal.
 *
 * Simplified: no link watcher recreating a deleted device; the GBP option
 * is accepted but not modelled.
 */
import { formatIPv4 } from '../net/ip.js';
import { directlyReachable, tryDoor, vxlanDevice, type Backend, type NodeEnv } from './backend.js';
import { subnetText, type Lease } from './lease.js';
import { vxlanSpecs } from './vxlan-specs.js';

/** The vxlan backend on one node. */
export function vxlanBackend(env: NodeEnv): Backend {
  const dev = `flannel.${env.cfg.vni}`;
  const mtu = (env.cfg.mtu || env.extMtu) - 50;
  const direct = new Set<string>();
  return {
    mtu,
    register() {
      return vxlanDevice(env, dev, mtu, { learning: env.cfg.learning });
    },
    configure(own) {
      const a = `${formatIPv4(own.subnet.addr)}/32`;
      const ifc = env.net.ns(env.node).iface(dev);
      if (!ifc.addrs.some((x) => formatIPv4(x.addr) === formatIPv4(own.subnet.addr) && x.len === 32)) env.nl.addrAdd(env.node, dev, a);
    },
    added(l) {
      if (l.attrs.BackendType !== 'vxlan') return env.log(`Ignoring non-vxlan v4Subnet(${subnetText(l.subnet)}): type=${l.attrs.BackendType ?? ''}`);
      const sp = vxlanSpecs(l, dev);
      if (!sp) return env.log(`error decoding subnet lease JSON: ${subnetText(l.subnet)}`);
      if (env.cfg.directRouting && directlyReachable(env, l.attrs.PublicIP)) {
        const sn = subnetText(l.subnet);
        direct.add(sn);
        tryDoor(env, `Error adding route to ${sn}`, () => env.nl.routeReplace(env.node, { dst: sn, via: l.attrs.PublicIP, dev: env.extIface }));
        return;
      }
      if (direct.size) direct.delete(subnetText(l.subnet));
      if (!tryDoor(env, 'AddARP failed', () => env.nl.neighReplace(env.node, sp.neigh))) return;
      if (!tryDoor(env, 'AddFDB failed', () => env.nl.fdbReplace(env.node, sp.fdb))) {
        tryDoor(env, 'DelARP failed', () => env.nl.neighDel(env.node, sp.neighDel));
        return;
      }
      if (!tryDoor(env, () => `failed to add vxlanRoute (${subnetText(l.subnet)} -> ${sp.route.via})`, () => env.nl.routeReplace(env.node, sp.route))) {
        tryDoor(env, 'DelARP failed', () => env.nl.neighDel(env.node, sp.neighDel));
        tryDoor(env, 'DelFDB failed', () => env.nl.fdbDel(env.node, sp.fdbDel));
      }
    },
    addedAll(ls) {
      // A fresh node's snapshot: every neighbour, then every FDB entry, then
      // every route, as bulk loads (each route still after its neighbour and
      // FDB entry). Anything already there (a restart) or special (another
      // type, DirectRouting) goes lease by lease.
      const bulk = env.cfg.directRouting ? [] : ls.filter((l) => l.attrs.BackendType === 'vxlan' && vxlanSpecs(l, dev));
      const rest = ls.filter((l) => !bulk.includes(l));
      try {
        const sp = bulk.map((l) => vxlanSpecs(l, dev)!);
        env.nl.neighLoad(env.node, sp.map((x) => x.neigh));
        env.nl.fdbLoad(env.node, sp.map((x) => x.fdb));
        env.nl.routeLoad(env.node, sp.map((x) => x.route));
      } catch {
        // Some entry exists (EEXIST names it; a load changes nothing when it fails
        // part way through only for the table that failed): program one by one.
        for (const l of bulk) this.added(l);
      }
      for (const l of rest) this.added(l);
    },
    removed(l) {
      if (l.attrs.BackendType !== 'vxlan') return;
      const sn = subnetText(l.subnet);
      if (direct.delete(sn)) {
        tryDoor(env, `Error deleting route to ${sn}`, () => env.nl.routeDel(env.node, { dst: sn, via: l.attrs.PublicIP, dev: env.extIface }));
        return;
      }
      const sp = vxlanSpecs(l, dev);
      if (!sp) return;
      tryDoor(env, 'DelARP failed', () => env.nl.neighDel(env.node, sp.neighDel));
      tryDoor(env, 'DelFDB failed', () => env.nl.fdbDel(env.node, sp.fdbDel));
      tryDoor(env, 'failed to delete vxlanRoute', () => env.nl.routeDel(env.node, sp.route));
    },
  };
}
