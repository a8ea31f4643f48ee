/**
 * The door's checks of table entries beyond what the tables check
 * themselves (devices, fib_create_info's rules, duplicates inside a batch)
 * and its bulk loads: check the whole batch, then load it.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { formatIPv4 } from '../net/ip.js';
import { eachItem, renumbered } from './batch-item.js';
import type { Iface, Netns } from './netns.js';
import { fdbOf, macText, neighOf, routeOf } from './netlink-parse.js';
import type { FdbSpec, NeighSpec, RouteSpec } from './netlink-spec.js';
import type { KRoute } from './route.js';

/** The device, or iproute2's `Cannot find device "X"`. */
export function devOf(n: Netns, name: string): Iface {
  const i = n.ifaces.get(name);
  if (!i) throw new CnikitError('NoSuchDevice', `Cannot find device "${name}" (in ${n.name})`);
  return i;
}

/**
 * A route as the FIB will hold it, with the checks fib_create_info makes
 * beside the FIB's own: the device exists and, for a unicast route, is up;
 * a `src` is a local address.
 */
export function checkRoute(n: Netns, r: string | RouteSpec): KRoute {
  const k = routeOf(r, `${n.name} route`);
  if (k.dev !== undefined && !devOf(n, k.dev).up && k.type === 'unicast') {
    throw new CnikitError('NetDown', `Error: ${k.via === undefined ? 'Device for nexthop' : 'Nexthop device'} is not up (${k.dev} in ${n.name})`);
  }
  if (k.src !== undefined && k.type !== 'local' && k.type !== 'broadcast' && !n.fib.isLocal(k.src)) {
    throw new CnikitError('InvalidPrefsrc', `Error: Invalid prefsrc address (${formatIPv4(k.src)} in ${n.name})`);
  }
  return k;
}

/** Loads routes of both tables; a failing one (named by its index in `batch`) loads none. */
export function loadRoutes(n: Netns, batch: readonly (string | RouteSpec)[]): void {
  const byTable = { main: [] as KRoute[], local: [] as KRoute[] };
  const index = { main: [] as number[], local: [] as number[] };
  eachItem(batch, (r, i) => {
    const k = checkRoute(n, r);
    byTable[k.table].push(k);
    index[k.table].push(i);
  });
  // Fib.load names the index in its own list: give the caller's back.
  const load = (t: 'main' | 'local') => {
    try {
      n.fib.load(t, byTable[t]);
    } catch (e) {
      throw renumbered(e, index[t]);
    }
  };
  load('local');
  try {
    load('main');
  } catch (e) {
    for (const r of byTable.local) n.fib.del({ ...r, table: 'local' });
    throw e;
  }
}

/**
 * Checks a batch of `ip neigh add`: devices. The neighbour table checks
 * the rest as it loads with `exclusive` (addresses given, none present or
 * repeated, EEXIST naming the batch item): a load of 5,000 entries into an
 * empty table then needs no set of the batch.
 */
export function checkNeighLoad(n: Netns, batch: readonly (string | NeighSpec)[]): NeighSpec[] {
  const out: NeighSpec[] = new Array(batch.length);
  eachItem(batch, (a, i) => {
    const s = neighOf(a);
    devOf(n, s.dev);
    out[i] = s;
  });
  return out;
}

/** The device an FDB entry goes on: a vxlan device (with a `dst`) or a bridge port. */
export function fdbTarget(n: Netns, a: string | FdbSpec): { s: FdbSpec; i: Iface } {
  const s = fdbOf(a);
  const i = devOf(n, s.dev);
  if (i.vxlan) {
    if (s.dst === undefined) throw new InputError('InvalidFdb', typeof a === 'string' ? a : s.mac, 'a `dst` for a vxlan fdb entry');
  } else if (!i.master) throw new InputError('InvalidFdb', typeof a === 'string' ? a : s.mac, `a vxlan device or a bridge port (${s.dev} in ${n.name})`);
  return { s, i };
}

/**
 * Checks a batch of `bridge fdb add` (devices; none present or repeated:
 * each FDB checks its part, EEXIST naming the batch item); returns what
 * loads it. The specs themselves go to the VXLAN FDB, which keeps its
 * checks per input object.
 */
export function checkFdbLoad(n: Netns, batch: readonly (string | FdbSpec)[]): () => void {
  const vx = new Map<Iface, { mac: string; dst: string; state?: string }[]>();
  const vxAt = new Map<Iface, number[]>();
  const br = new Map<Iface, { mac: string; port: string; state?: string }[]>();
  const brAt = new Map<Iface, number[]>();
  // The device of the previous item and its lists (a batch is usually all for one device).
  let last: Iface | undefined;
  let lastList: { mac: string; dst: string; state?: string }[] = [];
  let lastAt: number[] = [];
  eachItem(batch, (a, x) => {
    const { s, i } = fdbTarget(n, a);
    if (i.vxlan) {
      if (i !== last) {
        last = i;
        lastList = vx.get(i) ?? vx.set(i, []).get(i)!;
        lastAt = vxAt.get(i) ?? vxAt.set(i, []).get(i)!;
      }
      lastList.push(s as { mac: string; dst: string; state?: string });
      lastAt.push(x);
    } else {
      (br.get(i.master!) ?? br.set(i.master!, []).get(i.master!)!).push({ mac: macText(s.mac), port: i.name, state: s.state });
      (brAt.get(i.master!) ?? brAt.set(i.master!, []).get(i.master!)!).push(x);
    }
  });
  for (const [b, list] of br) {
    try {
      b.bridgeFdb!.checkLoad(list);
    } catch (e) {
      throw renumbered(e, brAt.get(b)!);
    }
  }
  // One VXLAN FDB (the usual batch) checks as it loads, all or nothing; several are all checked first.
  if (vx.size > 1 || br.size) {
    for (const [i, list] of vx) {
      try {
        i.vxlan!.fdb.checkLoad(list, { exclusive: true });
      } catch (e) {
        throw renumbered(e, vxAt.get(i)!);
      }
    }
  }
  return () => {
    for (const [i, list] of vx) {
      try {
        i.vxlan!.fdb.load(list, { exclusive: true });
      } catch (e) {
        throw renumbered(e, vxAt.get(i)!);
      }
    }
    for (const [b, list] of br) b.bridgeFdb!.load(list);
  };
}

/** `bridge fdb replace` on a bridge port: the MAC moves to this port with this state. */
export function bridgeReplace(i: Iface, s: FdbSpec): void {
  const fdb = i.master!.bridgeFdb!;
  const r = fdb.lookup(s.mac);
  if (r.kind !== 'flood') fdb.del(s.mac, r.entry.dev);
  fdb.add(s.mac, i.name, s);
}

/** A route's prefix as events name it. */
export function routeKey(r: { prefix: number; len: number; table?: string }): string {
  return `${r.table === 'local' ? 'local ' : ''}${formatIPv4(r.prefix >>> 0)}/${r.len}`;
}
