/**
 * IPv4 routes of one namespace (net/ipv4/fib_*.c): the `local` and `main`
 * tables, each a WASM {@link RouteTable} whose next hop is an index into the
 * route list. Lines are read with the shared `ip route` parser and printed
 * back in iproute2's format.
 *
 * Simplified: IPv4 only; one route per prefix and table (the first one
 * added; no metrics, tos or multipath); policy routing is the default rule
 * set only (local, then main); no route cache or exceptions (PMTU).
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { Core } from '../core/core.js';
import { RouteTable } from '../lpm/route-table.js';
import { parseRoutes } from '../lpm/routes-file.js';
import { formatIPv4, maskV4, parseIPv4 } from '../net/ip.js';

/** Route types the model forwards by (ip-route(8)). */
export type KRouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** One route, as the kernel holds it. */
export interface KRoute {
  readonly table: 'local' | 'main';
  readonly type: KRouteType;
  /** Network address (u32) and prefix length. */
  readonly prefix: number;
  readonly len: number;
  readonly via?: number;
  readonly dev?: string;
  readonly onlink: boolean;
  readonly scope: 'global' | 'link' | 'host';
  readonly src?: number;
  /** `kernel` for routes of addresses, `boot` (not printed) by default. */
  readonly proto: string;
  readonly metric?: number;
}

/** A route as `ip route` prints it (without the `local`-table prefix word for main routes). */
export function routeText(r: KRoute): string {
  const dst = r.len === 0 ? 'default' : r.len === 32 ? formatIPv4(r.prefix) : `${formatIPv4(r.prefix)}/${r.len}`;
  const w: string[] = [];
  if (r.type !== 'unicast') w.push(r.type);
  w.push(dst);
  if (r.via !== undefined) w.push('via', formatIPv4(r.via));
  if (r.dev) w.push('dev', r.dev);
  if (r.proto !== 'boot') w.push('proto', r.proto);
  // iproute2 prints the scope unless it is the type's default (universe).
  if (r.scope !== 'global' && !(r.type === 'local' && r.scope === 'host')) w.push('scope', r.scope);
  if (r.type === 'local') w.push('scope', 'host');
  if (r.src !== undefined) w.push('src', formatIPv4(r.src));
  if (r.metric !== undefined) w.push('metric', String(r.metric));
  if (r.onlink) w.push('onlink');
  return w.join(' ');
}

const TYPES = new Set<string>(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw']);

/** Parses one `ip route add` argument string (`10.0.0.0/24 via 10.0.0.1 dev eth0 onlink`). */
export function parseRouteLine(line: string, file = 'route'): KRoute {
  const [r] = parseRoutes(line, file);
  if (!r || r.cidr.family !== 4) throw new InputError('InvalidRoute', line, 'an IPv4 `ip route` line');
  if (!TYPES.has(r.type)) throw new InputError('UnsupportedRouteType', r.type, 'unicast, local, broadcast, blackhole, unreachable, prohibit or throw');
  const words = r.rest.split(' ').filter((x) => x !== '' && x !== r.type);
  const out: { via?: number; dev?: string; onlink: boolean; scope?: KRoute['scope']; src?: number; proto: string; metric?: number } = { onlink: false, proto: 'boot' };
  for (let i = 0; i < words.length; i++) {
    const k = words[i];
    const v = words[i + 1];
    const need = () => {
      if (v === undefined) throw new InputError('InvalidRoute', line, `a value after ${k}`);
      i++;
      return v;
    };
    if (k === 'via') out.via = parseIPv4(need());
    else if (k === 'dev') out.dev = need();
    else if (k === 'onlink') out.onlink = true;
    else if (k === 'scope') {
      const s = need();
      if (s !== 'global' && s !== 'link' && s !== 'host') throw new InputError('InvalidScope', s, 'global, link or host');
      out.scope = s;
    } else if (k === 'src') out.src = parseIPv4(need());
    else if (k === 'proto') out.proto = need();
    else if (k === 'metric' || k === 'priority') out.metric = Number(need());
    else throw new InputError('UnsupportedRouteOption', k, 'via, dev, onlink, scope, src, proto or metric', { file, char: line.indexOf(k) });
  }
  const type = r.type as KRouteType;
  const unicast = type === 'unicast';
  if (unicast && !out.dev && out.via === undefined) throw new InputError('InvalidRoute', line, 'a unicast route with via or dev');
  // `ip route add P dev D` gets scope link; with a gateway, universe.
  const scope = out.scope ?? (type === 'local' ? 'host' : unicast && out.via === undefined ? 'link' : 'global');
  return { table: type === 'local' || type === 'broadcast' ? 'local' : 'main', type, prefix: r.cidr.addr, len: r.cidr.len, scope, ...out };
}

/** One routing table over a WASM LPM. */
class FibTable {
  readonly routes: (KRoute | undefined)[] = [];
  readonly lpm: RouteTable;
  constructor(core: Core) {
    this.lpm = new RouteTable(core, { family: 4 });
  }
  add(r: KRoute): boolean {
    if (this.lpm.get(cidrOf(r)) >= 0) return false;
    this.routes.push(r);
    this.lpm.insertPrefix(r.prefix, r.len, this.routes.length - 1);
    return true;
  }
  del(prefix: number, len: number): KRoute | undefined {
    const c = `${formatIPv4(prefix)}/${len}`;
    const id = this.lpm.get(c);
    if (id < 0) return undefined;
    this.lpm.remove(c);
    const r = this.routes[id];
    this.routes[id] = undefined;
    return r;
  }
  lookup(addr: number): KRoute | undefined {
    const id = this.lpm.lookup(addr >>> 0);
    return id < 0 ? undefined : this.routes[id];
  }
  list(): KRoute[] {
    return (this.routes.filter(Boolean) as KRoute[]).sort((a, b) => a.prefix - b.prefix || a.len - b.len);
  }
}

function cidrOf(r: KRoute): string {
  return `${formatIPv4(r.prefix)}/${r.len}`;
}

/** The FIB of one namespace: `local` looked up first, then `main` (the default rules). */
export class Fib {
  private readonly local: FibTable;
  private readonly main: FibTable;
  constructor(core: Core) {
    this.local = new FibTable(core);
    this.main = new FibTable(core);
  }

  /**
   * `ip route add`: fails with EEXIST as iproute2 does. A gateway without
   * `onlink` must be reachable through a link-scope route (fib_check_nh):
   * else "Nexthop has invalid gateway"; a missing `dev` is taken from it.
   */
  add(r: KRoute): void {
    const t = r.table === 'local' ? this.local : this.main;
    if ((r.prefix & maskV4(r.len)) >>> 0 !== r.prefix >>> 0) throw new InputError('InvalidPrefix', cidrOf(r), 'invalid prefix for given prefix length');
    if (r.via !== undefined && !r.onlink) {
      const g = this.main.lookup(r.via);
      if (!g || g.type !== 'unicast' || g.via !== undefined || g.scope !== 'link' || (r.dev !== undefined && g.dev !== r.dev)) {
        throw new CnikitError('InvalidGateway', `Error: Nexthop has invalid gateway (${routeText(r)}: no link-scope route to ${formatIPv4(r.via)}${r.dev ? ` on ${r.dev}` : ''}; add it first or use onlink)`);
      }
      if (r.dev === undefined) r = { ...r, dev: g.dev };
    }
    if (r.via !== undefined && r.onlink && r.dev === undefined) throw new InputError('InvalidRoute', routeText(r), 'a device for an onlink route');
    if (!t.add(r)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${routeText(r)})`);
  }

  /**
   * Adds the routes Linux adds for an address (fib_add_ifaddr): the local
   * /32, the subnet broadcast (prefixes shorter than /31) and, if shorter
   * than /32, the connected prefix.
   */
  addAddress(addr: number, len: number, dev: string): void {
    const src = addr >>> 0;
    this.local.add({ table: 'local', type: 'local', prefix: src, len: 32, dev, onlink: false, scope: 'host', src, proto: 'kernel' });
    if (len < 31) {
      const bcast = (addr | ~maskV4(len)) >>> 0;
      this.local.add({ table: 'local', type: 'broadcast', prefix: bcast, len: 32, dev, onlink: false, scope: 'link', src, proto: 'kernel' });
    }
    if (len < 32) {
      const net = (addr & maskV4(len)) >>> 0;
      this.main.add({ table: 'main', type: 'unicast', prefix: net, len, dev, onlink: false, scope: 'link', src, proto: 'kernel' });
    }
  }

  /** `ip route del PREFIX` in the main table; returns the route removed. */
  del(prefix: number, len: number): KRoute | undefined {
    return this.main.del(prefix >>> 0, len);
  }

  /** `ip route get`: the route an address uses (local table first). */
  get(addr: number): KRoute | undefined {
    return this.local.lookup(addr) ?? this.main.lookup(addr);
  }

  /** Whether `addr` is a local address of this namespace. */
  isLocal(addr: number): boolean {
    return this.local.lookup(addr)?.type === 'local';
  }

  /** `ip route show [table local]`, byte for byte (iproute2 ends each route with a blank). */
  show(table: 'main' | 'local' = 'main'): string {
    return (table === 'main' ? this.main : this.local)
      .list()
      .map((r) => routeText(r) + ' \n')
      .join('');
  }

  /** The routes of a table. */
  list(table: 'main' | 'local' = 'main'): KRoute[] {
    return (table === 'main' ? this.main : this.local).list();
  }

  /** Frees the WASM tables. */
  dispose(): void {
    this.local.lpm.dispose();
    this.main.lpm.dispose();
  }
}
