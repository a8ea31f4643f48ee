/**
 * What every flanneld backend does (`backend.Backend` / `backend.Network`
 * in pkg/backend): advertise lease attributes, configure its device once
 * the lease is known, report FLANNEL_MTU, and turn each other node's lease
 * event into kernel state, through the door only. Kernel refusals are
 * logged, as flanneld logs them (`Error adding route to ...`), and kept on
 * the node's log for `cluster check` to report.
 */
import type { MissResponderSpec, Netlink, SimNetwork } from '../kernel/index.js';
import type { BackendConfig } from './backend-conf.js';
import type { Lease, LeaseAttrs } from './lease.js';
import type { NetConf } from './net-conf.js';

/** The node a backend runs on: its door and external interface (`--iface`, default: the default route's, here `eth0`). */
export interface NodeEnv {
  node: string;
  net: SimNetwork;
  nl: Netlink;
  conf: NetConf;
  cfg: BackendConfig;
  extIface: string;
  extAddr: string;
  extMtu: number;
  /** The VtepMAC flanneld draws for a new vxlan device (mac.NewHardwareAddr), reproducible here. */
  vtepMac: string;
  /** flanneld's log (klog): errors it logs and carries on after. */
  log(line: string): void;
}

/** A backend bound to one node. */
export interface Backend {
  /** FLANNEL_MTU (`bn.MTU()`). */
  readonly mtu: number;
  /** `RegisterNetwork` before the lease: create the device; returns the lease attributes to advertise. */
  register(): LeaseAttrs;
  /** After the lease: the device's address and routes that do not depend on peers. */
  configure(own: Lease): void;
  added(l: Lease): void;
  /**
   * The first snapshot of a fresh start: the same end state as `added` on
   * each, programmed as bulk loads where the backend can (a new node's
   * N - 1 peers at once). Default: `added` on each.
   */
  addedAll?(ls: readonly Lease[]): void;
  removed(l: Lease): void;
  /** The daemon exits: what lived in its memory stops (the udp proxy's table). Kernel state stays. */
  stop?(): void;
  /** The miss handler it runs and the lease table it answers from now (the legacy vxlan backend), for the netns export. */
  missResponder?(): MissResponderSpec | undefined;
}

/** Runs a door call; a refusal is logged in flanneld's words and swallowed (flanneld logs and continues). */
export function tryDoor(env: NodeEnv, what: string | (() => string), f: () => void): boolean {
  try {
    f();
    return true;
  } catch (e) {
    env.log(`${typeof what === 'string' ? what : what()}: ${(e as Error).message}`);
    return false;
  }
}

/** Whether `ip route get <ip>` on the node goes straight out without a gateway (flanneld's DirectRouting test). */
export function directlyReachable(env: NodeEnv, ip: string): boolean {
  try {
    const r = env.net.ipRouteGet(env.node, ip);
    return !/ via /.test(r) && !r.startsWith('local');
  } catch {
    return false;
  }
}

/** Whether the namespace already has device `dev` (a restart finds its old devices). */
export function hasLink(env: NodeEnv, dev: string): boolean {
  return env.net.ns(env.node).ifaces.has(dev);
}

/**
 * Every vxlan flanneld's `flannel.<VNI>` (an existing one is reused, as a
 * restart keeps it) and the lease attributes advertising it. `flags` are
 * the version's learning/proxy/l2miss settings.
 */
export function vxlanDevice(env: NodeEnv, dev: string, mtu: number, flags: { learning: boolean; proxy?: boolean; l2miss?: boolean }): LeaseAttrs {
  if (!hasLink(env, dev)) {
    env.nl.linkAdd(env.node, {
      kind: 'vxlan', name: dev, id: env.cfg.vni, local: env.extAddr, dev: env.extIface,
      dstport: env.cfg.port || 8472, ...flags, mac: env.vtepMac, mtu,
    });
  }
  const mac = env.net.ns(env.node).iface(dev).mac;
  return { PublicIP: env.extAddr, BackendType: 'vxlan', BackendData: { VNI: env.cfg.vni, VtepMAC: mac } };
}
