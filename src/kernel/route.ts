/**
 * IPv4 routes of one namespace (net/ipv4/fib_*.c): the `local` and `main`
 * tables, each a WASM {@link RouteTable} whose next hop is an index into the
 * route list. Lines are read with the shared `ip route` parser and printed
 * back in iproute2's format.
 *
 * Simplified: IPv4 only; routes of one prefix (fib aliases) are ordered by
 * metric and lookups take the first (no dead next hops, tos or multipath);
 * policy routing is the default rule set only (local, then main); no route
 * cache or exceptions (PMTU).
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

/** A route to delete (`ip route del`): prefix and length, the rest matched only when given. */
export interface KRouteMatch {
  readonly table?: 'local' | 'main';
  readonly prefix: number;
  readonly len: number;
  readonly type?: KRouteType;
  readonly via?: number;
  readonly dev?: string;
  readonly metric?: number;
  readonly proto?: string;
  readonly scope?: KRoute['scope'];
  readonly src?: number;
}

/** How a route goes in: `ip route add` (EEXIST), `append` (an alias after its equals) or `replace`. */
export type KRouteOp = 'add' | 'append' | 'replace';

/**
 * One routing table over a WASM LPM. A prefix holds a list of routes (fib
 * aliases) ordered by metric; lookups use the first, as fib_table_lookup
 * does when every next hop is alive.
 */
class FibTable {
  readonly slots: (KRoute[] | undefined)[] = [];
  // Exact prefix -> slot, so that checks and inserts need no WASM call.
  private readonly exact = new Map<number, number>();
  readonly lpm: RouteTable;
  constructor(core: Core) {
    this.lpm = new RouteTable(core, { family: 4 });
  }
  aliases(prefix: number, len: number): KRoute[] | undefined {
    const id = this.exact.get(prefixKey(prefix, len));
    return id === undefined ? undefined : this.slots[id];
  }
  /** Whether `r` can go in with `op` (fib_table_insert: EEXIST is an alias of the same metric). */
  fits(r: KRoute, op: KRouteOp): boolean {
    return op !== 'add' || !(this.aliases(r.prefix, r.len) ?? []).some((a) => (a.metric ?? 0) === (r.metric ?? 0));
  }
  insert(r: KRoute, op: KRouteOp): boolean {
    const k = prefixKey(r.prefix, r.len);
    const id = this.exact.get(k);
    if (id === undefined) {
      this.lpm.insertPrefix(r.prefix >>> 0, r.len, this.slots.length);
      this.exact.set(k, this.slots.length);
      this.slots.push([r]);
      return true;
    }
    const list = this.slots[id]!;
    const m = r.metric ?? 0;
    const same = list.findIndex((a) => (a.metric ?? 0) === m);
    if (op === 'add' && same >= 0) return false;
    if (op === 'replace' && same >= 0) list[same] = r;
    else {
      // After the aliases of lower or equal metric (append), before higher ones.
      const at = list.findIndex((a) => (a.metric ?? 0) > m);
      list.splice(at < 0 ? list.length : at, 0, r);
    }
    return true;
  }
  /** The first route matching `m` (fib_table_delete), or undefined. */
  find(m: KRouteMatch): KRoute | undefined {
    return (this.aliases(m.prefix >>> 0, m.len) ?? []).find((r) => matches(r, m));
  }
  remove(r: KRoute): void {
    const k = prefixKey(r.prefix, r.len);
    const id = this.exact.get(k);
    if (id === undefined) return;
    const list = this.slots[id]!.filter((a) => a !== r);
    if (list.length) {
      this.slots[id] = list;
      return;
    }
    this.lpm.remove(cidrOf(r));
    this.exact.delete(k);
    this.slots[id] = undefined;
  }
  lookup(addr: number): KRoute | undefined {
    const id = this.lpm.lookup(addr >>> 0);
    return id < 0 ? undefined : this.slots[id]?.[0];
  }
  list(): KRoute[] {
    const slots = this.slots.filter((s): s is KRoute[] => s !== undefined);
    return slots.sort((a, b) => a[0].prefix - b[0].prefix || a[0].len - b[0].len).flat();
  }
}

function matches(r: KRoute, m: KRouteMatch): boolean {
  return (
    (m.type === undefined || r.type === m.type) &&
    (m.via === undefined || r.via === m.via) &&
    (m.dev === undefined || r.dev === m.dev) &&
    (m.metric === undefined || (r.metric ?? 0) === m.metric) &&
    (m.proto === undefined || r.proto === m.proto) &&
    (m.scope === undefined || r.scope === m.scope) &&
    (m.src === undefined || r.src === m.src)
  );
}

function prefixKey(prefix: number, len: number): number {
  return (prefix >>> 0) * 64 + len;
}

function cidrOf(r: { prefix: number; len: number }): string {
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

  private table(t: 'local' | 'main' | undefined): FibTable {
    return t === 'local' ? this.local : this.main;
  }

  /**
   * Checks that `r` can go in with `op`, changing nothing, and returns it as
   * it would be stored. A gateway without `onlink` must be reachable through
   * a link-scope route (fib_check_nh): else "Nexthop has invalid gateway";
   * a missing `dev` is taken from that route. `add` fails with EEXIST when a
   * route of the same prefix and metric exists. Devices are the caller's check.
   */
  check(r: KRoute, op: KRouteOp = 'add'): KRoute {
    if ((r.prefix & maskV4(r.len)) >>> 0 !== r.prefix >>> 0) throw new InputError('InvalidPrefix', cidrOf(r), 'invalid prefix for given prefix length');
    if (r.via !== undefined && !r.onlink) {
      const g = this.main.lookup(r.via);
      if (!g || g.type !== 'unicast' || g.via !== undefined || g.scope !== 'link' || (r.dev !== undefined && g.dev !== r.dev)) {
        throw new CnikitError('InvalidGateway', `Error: Nexthop has invalid gateway (${routeText(r)}: no link-scope route to ${formatIPv4(r.via)}${r.dev ? ` on ${r.dev}` : ''}; add it first or use onlink)`);
      }
      if (r.dev === undefined) r = { ...r, dev: g.dev };
    }
    if (r.via !== undefined && r.onlink && r.dev === undefined) throw new InputError('InvalidRoute', routeText(r), 'a device for an onlink route');
    if (!this.table(r.table).fits(r, op)) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${routeText(r)})`);
    return r;
  }

  /** `ip route add`: {@link check}, then insert. */
  add(r: KRoute): void {
    this.table(r.table).insert(this.check(r, 'add'), 'add');
  }

  /** `ip route replace`: the route of the same prefix and metric is replaced, or this one added. */
  replace(r: KRoute): void {
    this.table(r.table).insert(this.check(r, 'replace'), 'replace');
  }

  /** `ip route append`: one more route (fib alias) on the prefix, after those of the same metric. */
  append(r: KRoute): void {
    this.table(r.table).insert(this.check(r, 'append'), 'append');
  }

  /**
   * `ip route del`: removes the first route matching `m` (table main by
   * default) and returns it; ESRCH when none matches.
   */
  del(m: KRouteMatch): KRoute {
    const t = this.table(m.table);
    const r = t.find(m);
    if (!r) throw new CnikitError('NotFound', `RTNETLINK answers: No such process (${cidrOf(m)}${m.table === 'local' ? ' table local' : ''})`);
    t.remove(r);
    return r;
  }

  /** The route `del(m)` would remove, without removing it. */
  find(m: KRouteMatch): KRoute | undefined {
    return this.table(m.table).find(m);
  }

  /**
   * Loads routes in bulk into `table` (all `add`): every route is checked
   * against the table as it was plus the routes before it in the batch;
   * on an error nothing is loaded and the error names the route's index
   * (`(batch item N)`). Simplified here: checked and inserted one by one,
   * then rolled back on error.
   */
  load(table: 'local' | 'main', routes: readonly KRoute[]): void {
    const done: KRoute[] = [];
    let i = 0;
    try {
      for (; i < routes.length; i++) {
        const r = routes[i];
        const k = this.check(r.table === table ? r : { ...r, table }, 'add');
        this.table(table).insert(k, 'add');
        done.push(k);
      }
    } catch (e) {
      for (const r of done) this.table(table).remove(r);
      if (e instanceof InputError) throw new InputError(e.code, e.input, `${e.expected} (batch item ${i})`, e.position);
      if (e instanceof CnikitError) throw new CnikitError(e.code, `${e.message.slice(e.code.length + 2)} (batch item ${i})`);
      throw e;
    }
  }

  /**
   * Adds the routes Linux adds for an address (fib_add_ifaddr): the local
   * /32, the subnet broadcast (prefixes shorter than /31) and, if shorter
   * than /32, the connected prefix. Routes already there are kept.
   */
  addAddress(addr: number, len: number, dev: string): void {
    for (const r of addressRoutes(addr, len, dev)) this.table(r.table).insert(r, 'add');
  }

  /**
   * Removes the routes of an address (fib_del_ifaddr): its local /32,
   * broadcast and connected prefix on `dev`, and every route using it as
   * preferred source (fib_sync_down_addr).
   */
  delAddress(addr: number, len: number, dev: string): void {
    for (const r of addressRoutes(addr, len, dev)) {
      const m = this.table(r.table).find({ prefix: r.prefix, len: r.len, type: r.type, dev, proto: 'kernel' });
      if (m) this.table(r.table).remove(m);
    }
    for (const t of [this.local, this.main]) for (const r of t.list()) if (r.src === addr >>> 0) t.remove(r);
  }

  /**
   * Removes the routes through `dev` (fib_sync_down_dev): all of them when
   * the device goes away, all but its local (scope host) routes when it is
   * set down, as Linux does.
   */
  flushDev(dev: string, opts: { keepLocal?: boolean } = {}): void {
    for (const t of [this.local, this.main]) for (const r of t.list()) if (r.dev === dev && !(opts.keepLocal && r.type === 'local')) t.remove(r);
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
    return this.table(table)
      .list()
      .map((r) => routeText(r) + ' \n')
      .join('');
  }

  /** The routes of a table. */
  list(table: 'main' | 'local' = 'main'): KRoute[] {
    return this.table(table).list();
  }

  /** Frees the WASM tables. */
  dispose(): void {
    this.local.lpm.dispose();
    this.main.lpm.dispose();
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.main.lpm.disposed;
  }
}

/** The routes Linux derives from an address on `dev` (fib_add_ifaddr). */
export function addressRoutes(addr: number, len: number, dev: string): KRoute[] {
  const src = addr >>> 0;
  const out: KRoute[] = [{ table: 'local', type: 'local', prefix: src, len: 32, dev, onlink: false, scope: 'host', src, proto: 'kernel' }];
  if (len < 31) out.push({ table: 'local', type: 'broadcast', prefix: (addr | ~maskV4(len)) >>> 0, len: 32, dev, onlink: false, scope: 'link', src, proto: 'kernel' });
  if (len < 32) out.push({ table: 'main', type: 'unicast', prefix: (addr & maskV4(len)) >>> 0, len, dev, onlink: false, scope: 'link', src, proto: 'kernel' });
  return out;
}
