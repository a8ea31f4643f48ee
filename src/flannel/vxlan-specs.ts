/**
 * The door inputs a vxlan lease turns into on every node (the neighbour,
 * the FDB entry, the onlink route): the same on every node for one stored
 * lease, so they are made once per lease version and shared. The door
 * checks a typed spec once per object, so a 1,000-node cluster converts
 * 1,000 leases, not a million entries.
 */
import type { FdbSpec, NeighSpec, RouteSpec } from '../kernel/index.js';
import { formatIPv4 } from '../net/ip.js';
import { subnetText, vxlanData, type Lease, type LeaseAttrs } from './lease.js';

/** The three specs of a lease on device `dev`. */
export interface VxlanSpecs {
  neigh: NeighSpec;
  fdb: FdbSpec;
  route: RouteSpec;
  /** For deletes: the same entries, keyed as `ip neigh del` / `bridge fdb del` / `ip route del` want them. */
  neighDel: NeighSpec;
  fdbDel: FdbSpec;
}

// Keyed by the decoded attributes of one stored lease version (shared by
// every node, see lease.ts); the subnet is the key's, so fixed with them.
const shared = new WeakMap<LeaseAttrs, VxlanSpecs & { dev: string; addr: number }>();

/** The specs of `l` on `dev`, or undefined when the lease has no vxlan data. */
export function vxlanSpecs(l: Lease, dev: string): VxlanSpecs | undefined {
  const hit = shared.get(l.attrs);
  if (hit && hit.dev === dev && hit.addr === l.subnet.addr) return hit;
  const d = vxlanData(l);
  if (!d) return undefined;
  const gw = formatIPv4(l.subnet.addr);
  const specs = {
    dev,
    addr: l.subnet.addr,
    neigh: { dst: gw, lladdr: d.VtepMAC, dev, nud: 'permanent' },
    fdb: { mac: d.VtepMAC, dev, dst: l.attrs.PublicIP, state: 'permanent' },
    route: { dst: subnetText(l.subnet), via: gw, dev, onlink: true },
    neighDel: { dst: gw, dev },
    fdbDel: { mac: d.VtepMAC, dev, dst: l.attrs.PublicIP },
  };
  shared.set(l.attrs, specs);
  return specs;
}
