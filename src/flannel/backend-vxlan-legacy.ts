/**
 * The vxlan backend as flanneld v0.4 and v0.5-v0.6 ran it, with netlink
 * misses answered from the leases (backend/vxlan/network.go and
 * device.go of those versions), on the same backend interface as the
 * modern one (backend-vxlan.ts); the cluster file's `legacyMisses` picks it.
 *
 * Both versions:
 * - `flannel.<VNI>` with `app_solicit` 3 (so the neighbour table asks
 *   user space: an L3 MISS), MTU external - 50, the VtepMAC advertised.
 * - After the lease: `<subnet>.0/<network len>` on it, whose connected
 *   route is the one `Network dev flannel.1` route (up to v0.6.2).
 * - `handleMiss` on RTNLGRP_NEIGH: an L3 miss (an address, no lladdr) is
 *   answered with `NeighSet(IP -> VtepMAC, NUD_REACHABLE)` from the lease
 *   whose subnet holds the address (`routes.findByNetwork`); a PROBE
 *   (both set) is "not a miss" and ignored, so an aged entry fails and the
 *   next packet misses again.
 *
 * v0.5 (`nolearning`): an FDB entry `VtepMAC dst PublicIP self permanent`
 * per lease when it appears (and reconciled at start: stale entries on the
 * device deleted), removed with the lease.
 *
 * v0.4 (`learning proxy l2miss`): no FDB entries up front; an L2 miss (an
 * lladdr, no address) is answered with an FDB entry `VtepMAC dst PublicIP`
 * from the lease with that VtepMAC (`routes.findByVtepMAC`). Learned and
 * answered entries age and are re-missed.
 *
 * The lease table the misses are answered from is the daemon's memory of
 * the watched leases (`nw.rts`): it goes when the daemon stops, and the
 * kernel's misses then go unanswered. `missResponder()` gives it (with the
 * device and whether L2 misses are answered) to the netns export, which
 * runs a stand-in answering from it in a real namespace.
 *
 * flanneld's log lines are its own (`L3 miss but route for X not found`
 * at -v=0; `L3 miss: AddL3 for X succeeded` is -v=2 and kept here so the
 * answers can be seen; the v0.4 L2 line is worded the same way).
 *
 * Simplified: the answer's latency is a fixed 2 ms on the clock (flanneld
 * reading its netlink socket); v0.7's `/32` address with an explicit
 * `/16` route is not a separate mode (the routes it gives are the same).
 */
import { containsV4, formatIPv4, parseIPv4 } from '../net/ip.js';
import type { FdbAgent, NeighAgent } from '../kernel/index.js';
import { tryDoor, vxlanDevice, type Backend, type NodeEnv } from './backend.js';
import { subnetText, vxlanData, type Lease } from './lease.js';

/** The flanneld versions with netlink misses. */
export type LegacyVersion = 'v0.4' | 'v0.5';

/** `net.ipv4.neigh.flannel/1.app_solicit` as those versions set it. */
export const LEGACY_APP_SOLICIT = 3;

/** How long flanneld takes to answer a miss (reading RTNLGRP_NEIGH, writing back), ms on the clock. */
export const MISS_LATENCY_MS = 2;

/** The legacy vxlan backend on one node. */
export function legacyVxlanBackend(env: NodeEnv, version: LegacyVersion): Backend {
  const dev = `flannel.${env.cfg.vni}`;
  const mtu = (env.cfg.mtu || env.extMtu) - 50;
  const v04 = version === 'v0.4';
  // nw.rts: the remote leases by subnet, the table misses are answered from.
  const rts = new Map<string, Lease>();
  let own: Lease | undefined;

  const findByNetwork = (ip: string): Lease | undefined => {
    const a = parseIPv4(ip);
    for (const l of rts.values()) if (containsV4(l.subnet.addr, l.subnet.len, a)) return l;
    return undefined;
  };
  const findByVtepMAC = (mac: string): Lease | undefined => [...rts.values()].find((l) => vxlanData(l)?.VtepMAC === mac);

  const handleL3Miss: NeighAgent = (miss) => {
    // handleMiss: states INCOMPLETE/STALE/DELAY with no lladdr are misses; PROBE carries one and is "not a miss".
    if (miss.state === 'PROBE') return undefined; // "Ignoring not a miss" (logged at -v=4)
    const l = findByNetwork(miss.dst);
    if (!l) {
      env.log(`L3 miss but route for ${miss.dst} not found`);
      return undefined;
    }
    const mac = vxlanData(l)!.VtepMAC;
    env.log(`L3 miss: AddL3 for ${miss.dst} succeeded`);
    return { lladdr: mac, latencyMs: MISS_LATENCY_MS };
  };
  const handleL2Miss: FdbAgent = (miss) => {
    const l = findByVtepMAC(miss.mac);
    if (!l) {
      env.log(`L2 miss but lease for ${miss.mac} not found`);
      return undefined;
    }
    env.log(`L2 miss: AddL2 for ${miss.mac} succeeded`);
    return { dst: l.attrs.PublicIP, latencyMs: MISS_LATENCY_MS };
  };

  const fdbOf = (l: Lease) => ({ mac: vxlanData(l)!.VtepMAC, dev, dst: l.attrs.PublicIP });

  return {
    mtu,
    register() {
      const attrs = vxlanDevice(env, dev, mtu, { learning: v04, proxy: v04, l2miss: v04 });
      env.nl.sysctl(env.node, `net.ipv4.neigh.${dev.replace('.', '/')}.app_solicit`, String(LEGACY_APP_SOLICIT));
      env.nl.setMissAgents(env.node, dev, v04 ? { neigh: handleL3Miss, fdb: handleL2Miss } : { neigh: handleL3Miss });
      return attrs;
    },
    configure(l) {
      own = l;
      const want = formatIPv4(l.subnet.addr);
      const ifc = env.net.ns(env.node).iface(dev);
      if (!ifc.addrs.some((x) => formatIPv4(x.addr) === want && x.len === env.conf.networkLen)) env.nl.addrAdd(env.node, dev, `${want}/${env.conf.networkLen}`);
    },
    added(l) {
      if (l.attrs.BackendType !== 'vxlan') return env.log(`Ignoring non-vxlan v4Subnet(${subnetText(l.subnet)}): type=${l.attrs.BackendType ?? ''}`);
      if (!vxlanData(l)) return env.log(`error decoding subnet lease JSON: ${subnetText(l.subnet)}`);
      if (own && l.subnet.addr === own.subnet.addr) return;
      rts.set(subnetText(l.subnet), l);
      if (!v04) tryDoor(env, 'Add L2 failed', () => env.nl.fdbReplace(env.node, { ...fdbOf(l), state: 'permanent' }));
    },
    addedAll(ls) {
      for (const l of ls) this.added(l);
      if (v04) return;
      // handleInitialSubnetEvents: an FDB entry on the device that no lease explains is deleted.
      const want = new Set([...rts.values()].map((l) => `${vxlanData(l)!.VtepMAC} ${l.attrs.PublicIP}`));
      for (const e of env.net.ns(env.node).iface(dev).vxlan!.fdb.entries()) {
        if (e.dst !== undefined && !want.has(`${e.mac} ${e.dst}`)) tryDoor(env, 'Delete L2 failed', () => env.nl.fdbDel(env.node, { mac: e.mac, dev, dst: e.dst! }));
      }
    },
    removed(l) {
      const had = rts.get(subnetText(l.subnet));
      if (!had) return;
      rts.delete(subnetText(l.subnet));
      if (!v04) tryDoor(env, 'DelL2 failed', () => env.nl.fdbDel(env.node, fdbOf(had)));
    },
    missResponder() {
      // nw.rts as handleMiss reads it: by subnet, in the order the leases came.
      const leases = [...rts.values()].map((l) => ({ subnet: subnetText(l.subnet), vtepMac: vxlanData(l)!.VtepMAC, publicIp: l.attrs.PublicIP }));
      return { dev, l2: v04, leases, latencyMs: MISS_LATENCY_MS };
    },
    stop() {
      // The process is gone: nobody reads RTNLGRP_NEIGH any more.
      rts.clear();
      try {
        env.nl.setMissAgents(env.node, dev, v04 ? { neigh: undefined, fdb: undefined } : { neigh: undefined });
      } catch {
        // The device is gone too (the node was torn down): nothing listens.
      }
    },
  };
}
