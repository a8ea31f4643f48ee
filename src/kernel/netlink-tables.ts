/**
 * The door's checks of table entries beyond what the tables check
 * themselves (devices, fib_create_info's rules, duplicates inside a batch)
 * and its bulk loads: check the whole batch, then load it.
 */
import { CnikitError, InputError } from '../core/errors.js';
import { formatIPv4, parseIP } from '../net/ip.js';
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

/** Runs `f` for batch item `i`, naming the item in an error. */
export function at<T>(i: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError) throw new InputError(e.code, e.input, `${e.expected} (batch item ${i})`, e.position);
    if (e instanceof CnikitError) throw new CnikitError(e.code, `${e.message.slice(e.code.length + 2)} (batch item ${i})`);
    throw e;
  }
}

/** Loads routes of both tables; a failing one (named by its index in `batch`) loads none. */
export function loadRoutes(n: Netns, batch: readonly (string | RouteSpec)[]): void {
  const byTable = { main: [] as KRoute[], local: [] as KRoute[] };
  const index = { main: [] as number[], local: [] as number[] };
  batch.forEach((r, i) => {
    const k = at(i, () => checkRoute(n, r));
    byTable[k.table].push(k);
    index[k.table].push(i);
  });
  // Fib.load names the index in its own list: give the caller's back.
  const load = (t: 'main' | 'local') => {
    try {
      n.fib.load(t, byTable[t]);
    } catch (e) {
      if (e instanceof Error) e.message = e.message.replace(/\(batch item (\d+)\)/, (_, j) => `(batch item ${index[t][Number(j)]})`);
      throw e;
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

/** Checks a batch of `ip neigh add`: devices, addresses given, none present or repeated. */
export function checkNeighLoad(n: Netns, batch: readonly (string | NeighSpec)[]): NeighSpec[] {
  const seen = new Set<string>();
  return batch.map((a, i) =>
    at(i, () => {
      const s = neighOf(a);
      devOf(n, s.dev);
      const ip = parseIP(s.dst);
      const key = `${s.dev} ${ip.family === 4 ? ip.addr : ip.addr.join(':')}`;
      if (seen.has(key) || n.neigh.get(s.dst, s.dev)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${s.dst} dev ${s.dev})`);
      if (s.lladdr === undefined && !['incomplete', 'failed'].includes((s.nud ?? 'permanent').toLowerCase())) {
        throw new CnikitError('NoLladdr', `No link layer address given (${s.dst} dev ${s.dev})`);
      }
      seen.add(key);
      return s;
    }),
  );
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

/** Checks a batch of `bridge fdb add` (none present or repeated); returns what loads it. */
export function checkFdbLoad(n: Netns, batch: readonly (string | FdbSpec)[]): () => void {
  const have = new Map<Iface, Set<string>>();
  const known = (i: Iface) => {
    let k = have.get(i);
    if (!k) have.set(i, (k = new Set((i.vxlan ? i.vxlan.fdb.entries() : i.master!.bridgeFdb!.entries()).map((e) => e.mac))));
    return k;
  };
  const vx = new Map<Iface, { mac: string; dst: string; state?: string }[]>();
  const br = new Map<Iface, { mac: string; port: string; state?: string }[]>();
  batch.forEach((a, x) =>
    at(x, () => {
      const { s, i } = fdbTarget(n, a);
      const mac = macText(s.mac);
      if (known(i).has(mac)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${s.mac} dev ${s.dev})`);
      known(i).add(mac);
      if (i.vxlan) (vx.get(i) ?? vx.set(i, []).get(i)!).push({ mac, dst: s.dst!, state: s.state });
      else (br.get(i.master!) ?? br.set(i.master!, []).get(i.master!)!).push({ mac, port: i.name, state: s.state });
    }),
  );
  return () => {
    for (const [i, list] of vx) i.vxlan!.fdb.load(list);
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
