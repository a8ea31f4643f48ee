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
import { directlyReachable, hasLink, tryDoor, type Backend, type NodeEnv } from './backend.js';
import { subnetText, vxlanData, type Lease } from './lease.js';

/** The vxlan backend on one node. */
export function vxlanBackend(env: NodeEnv): Backend {
  const dev = `flannel.${env.cfg.vni}`;
  const mtu = (env.cfg.mtu || env.extMtu) - 50;
  const direct = new Set<string>();
  return {
    mtu,
    register() {
      if (!hasLink(env, dev)) {
        env.nl.linkAdd(env.node, {
          kind: 'vxlan', name: dev, id: env.cfg.vni, local: env.extAddr, dev: env.extIface,
          dstport: env.cfg.port || 8472, learning: env.cfg.learning, mac: env.vtepMac, mtu,
        });
      }
      const mac = env.net.ns(env.node).iface(dev).mac;
      return { PublicIP: env.extAddr, BackendType: 'vxlan', BackendData: { VNI: env.cfg.vni, VtepMAC: mac } };
    },
    configure(own) {
      const a = `${formatIPv4(own.subnet.addr)}/32`;
      const ifc = env.net.ns(env.node).iface(dev);
      if (!ifc.addrs.some((x) => formatIPv4(x.addr) === formatIPv4(own.subnet.addr) && x.len === 32)) env.nl.addrAdd(env.node, dev, a);
    },
    added(l) {
      if (l.attrs.BackendType !== 'vxlan') return env.log(`Ignoring non-vxlan v4Subnet(${subnetText(l.subnet)}): type=${l.attrs.BackendType ?? ''}`);
      const d = vxlanData(l);
      if (!d) return env.log(`error decoding subnet lease JSON: ${subnetText(l.subnet)}`);
      const sn = subnetText(l.subnet);
      const gw = formatIPv4(l.subnet.addr);
      if (env.cfg.directRouting && directlyReachable(env, l.attrs.PublicIP)) {
        direct.add(sn);
        tryDoor(env, `Error adding route to ${sn}`, () => env.nl.routeReplace(env.node, { dst: sn, via: l.attrs.PublicIP, dev: env.extIface }));
        return;
      }
      direct.delete(sn);
      if (!tryDoor(env, `AddARP failed`, () => env.nl.neighReplace(env.node, { dst: gw, lladdr: d.VtepMAC, dev, nud: 'permanent' }))) return;
      if (!tryDoor(env, `AddFDB failed`, () => env.nl.fdbReplace(env.node, { mac: d.VtepMAC, dev, dst: l.attrs.PublicIP, state: 'permanent' }))) {
        tryDoor(env, 'DelARP failed', () => env.nl.neighDel(env.node, { dst: gw, dev }));
        return;
      }
      if (!tryDoor(env, `failed to add vxlanRoute (${sn} -> ${gw})`, () => env.nl.routeReplace(env.node, { dst: sn, via: gw, dev, onlink: true }))) {
        tryDoor(env, 'DelARP failed', () => env.nl.neighDel(env.node, { dst: gw, dev }));
        tryDoor(env, 'DelFDB failed', () => env.nl.fdbDel(env.node, { mac: d.VtepMAC, dev, dst: l.attrs.PublicIP }));
      }
    },
    removed(l) {
      if (l.attrs.BackendType !== 'vxlan') return;
      const sn = subnetText(l.subnet);
      if (direct.delete(sn)) {
        tryDoor(env, `Error deleting route to ${sn}`, () => env.nl.routeDel(env.node, { dst: sn, via: l.attrs.PublicIP, dev: env.extIface }));
        return;
      }
      const d = vxlanData(l);
      if (!d) return;
      const gw = formatIPv4(l.subnet.addr);
      tryDoor(env, 'DelARP failed', () => env.nl.neighDel(env.node, { dst: gw, dev }));
      tryDoor(env, 'DelFDB failed', () => env.nl.fdbDel(env.node, { mac: d.VtepMAC, dev, dst: l.attrs.PublicIP }));
      tryDoor(env, 'failed to delete vxlanRoute', () => env.nl.routeDel(env.node, { dst: sn, via: gw, dev, onlink: true }));
    },
  };
}
