/**
 * The backends whose data path is a user-space reader of a TUN device:
 *
 * - `udp` (pkg/backend/udp, debug only): TUN `flannel0` holding
 *   `<subnet>.0/32`, MTU = external - 28, one route `Network dev flannel0`;
 *   flanneld's proxy keeps a table subnet -> PublicIP (SET_ROUTE /
 *   DEL_ROUTE per lease event; no backend-type filter) and sends each packet
 *   read from the TUN to `PublicIP:8285` (the door's `setTunAgent`). Its
 *   lease carries only `PublicIP` (no `BackendType`).
 * - `wireguard` (pkg/backend/wireguard): `flannel-wg` holding
 *   `<subnet>.0/32`, MTU = (`MTU` or external) - 80, one route
 *   `Network dev flannel-wg scope link`; a peer per remote lease with
 *   `AllowedIPs = [X/24]` and endpoint `PublicIP:51820`; lease data
 *   `{"PublicKey":"...","Port":51820}`.
 *
 * Simplified (wireguard): the kernel model has no WireGuard device, so
 * `flannel-wg` is a TUN whose agent does the cryptokey routing (AllowedIPs
 * -> endpoint): paths, dispositions, MTU and routes are WireGuard's, but on
 * the wire the packet is a flannel-udp datagram to 8285, unencrypted, and
 * the 80 bytes of overhead appear only in the MTU. Keys are derived from
 * the node name, not generated.
 */
import { formatIPv4, maskV4 } from '../net/ip.js';
import { hasLink, tryDoor, type Backend, type NodeEnv } from './backend.js';
import type { Lease } from './lease.js';

/** The udp or wireguard backend on one node. */
export function tunBackend(env: NodeEnv, kind: 'udp' | 'wireguard'): Backend {
  const dev = kind === 'udp' ? 'flannel0' : 'flannel-wg';
  const mtu = kind === 'udp' ? env.extMtu - 28 : (env.cfg.mtu || env.extMtu) - 80;
  // SET_ROUTE table (udp) / peers' AllowedIPs (wireguard): subnet -> endpoint.
  const peers = new Map<string, { addr: number; mask: number; remote: string }>();
  const agent = (ip: Uint8Array) => {
    const dst = ((ip[16] << 24) | (ip[17] << 16) | (ip[18] << 8) | ip[19]) >>> 0;
    for (const p of peers.values()) if (((dst & p.mask) >>> 0) === p.addr) return { remote: p.remote };
    return undefined;
  };
  const key = (l: Lease) => `${formatIPv4(l.subnet.addr)}/${l.subnet.len}`;
  return {
    mtu,
    register() {
      if (!hasLink(env, dev)) env.nl.linkAdd(env.node, { kind: 'tun', name: dev, mtu });
      env.nl.setTunAgent(env.node, dev, agent);
      if (kind === 'udp') return { PublicIP: env.extAddr };
      return { PublicIP: env.extAddr, BackendType: 'wireguard', BackendData: { PublicKey: wgPublicKey(env.node), Port: env.cfg.port } };
    },
    configure(own) {
      const ifc = env.net.ns(env.node).iface(dev);
      if (!ifc.addrs.some((x) => x.addr === own.subnet.addr && x.len === 32)) env.nl.addrAdd(env.node, dev, `${formatIPv4(own.subnet.addr)}/32`);
      const route = { dst: env.conf.network, dev, ...(kind === 'wireguard' ? { scope: 'link' as const } : {}) };
      tryDoor(env, `failed to add route (${env.conf.network} -> ${dev})`, () => env.nl.routeReplace(env.node, route));
    },
    added(l) {
      if (kind === 'wireguard' && l.attrs.BackendType !== 'wireguard') return env.log(`Ignoring non-wireguard subnet: type=${l.attrs.BackendType ?? ''}`);
      peers.set(key(l), { addr: l.subnet.addr, mask: maskV4(l.subnet.len), remote: l.attrs.PublicIP });
    },
    removed(l) {
      peers.delete(key(l));
    },
    stop() {
      // udp: the reader of the TUN was flanneld itself, so packets now queue on
      // it. WireGuard's peers are kernel state and keep forwarding.
      if (kind !== 'udp') return;
      peers.clear();
      env.nl.setTunAgent(env.node, dev, undefined);
    },
  };
}

/** A WireGuard public key (32 bytes, base64) derived from the node name. */
function wgPublicKey(node: string): string {
  const bytes = new Uint8Array(32);
  let h = 2166136261;
  for (let i = 0; i < 32; i++) {
    for (const c of `${node}#${i}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    bytes[i] = h & 255;
  }
  return btoa(String.fromCharCode(...bytes));
}

