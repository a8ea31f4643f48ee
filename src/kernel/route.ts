/**
 * IPv4 routes of one namespace (net/ipv4/fib_*.c): the `local` and `main`
 * tables (fib-table.ts: a private delta over a snapshot shared with other
 * namespaces, see docs/kernel.md "State size"), the changes `ip route`
 * makes with iproute2's errors, and the routes Linux derives from
 * addresses.
 *
 * Simplified: IPv4 only; policy routing is the default rule set only
 * (local, then main); no tos, multipath or route cache/exceptions (PMTU).
 * Several routes on one prefix are Linux's fib aliases, ordered by metric
 * (`append` adds after those of equal metric); a lookup uses the first.
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { Core } from '../core/core.js';
import { formatIPv4, maskV4 } from '../net/ip.js';
import { namedItem } from './batch-item.js';
import { entryRoutes, fibKey, routeEq, type FibEntry } from './fib-snapshot.js';
import { FIB_SMALL, FibTable } from './fib-table.js';
import { routeText } from './route-text.js';
import { addressRoutes, type KRoute, type KRouteMatch } from './route-types.js';

export { parseRouteLine, routeText } from './route-text.js';
export type { KRoute, KRouteMatch, KRouteType } from './route-types.js';
export { addressRoutes, LOOPBACK_ROUTES } from './route-types.js';

/** How a route goes in: `ip route add` (EEXIST), `append` (an alias after its equals) or `replace`. */
export type KRouteOp = 'add' | 'append' | 'replace';
/** What a change to the FIB is: a {@link KRouteOp} or `del`. */
export type FibOp = KRouteOp | 'del';

const ESRCH = 'RTNETLINK answers: No such process';
const NO_WATCHERS: readonly LocalWatcher[] = Object.freeze([]);

function metricOf(r: { metric?: number }): number {
  return r.metric ?? 0;
}

function cidrOf(r: { prefix: number; len: number }): string {
  return `${formatIPv4(r.prefix)}/${r.len}`;
}

/**
 * Whether `r` is what `m` asks `ip route del` to remove (fib_table_delete's
 * alias match: each field only when given; the metric too, fib_nh_match).
 */
function matches(r: KRoute, m: KRouteMatch): boolean {
  return (
    (m.type === undefined || r.type === m.type) &&
    (m.via === undefined || r.via === m.via) &&
    (m.dev === undefined || r.dev === m.dev) &&
    (m.scope === undefined || r.scope === m.scope) &&
    (m.src === undefined || r.src === m.src) &&
    (m.proto === undefined || r.proto === m.proto) &&
    (m.metric === undefined || metricOf(r) === m.metric)
  );
}

/**
 * Told when a `local` route appears in or leaves the local table (an
 * address of the namespace): the fabric's ARP index listens (segment.ts).
 */
export type LocalWatcher = (r: KRoute, added: boolean) => void;

/** The FIB of one namespace: `local` looked up first, then `main` (the default rules). */
export class Fib {
  private readonly local: FibTable;
  private readonly main: FibTable;
  // Copied on change (most namespaces have none: one shared empty list).
  private watchers: readonly LocalWatcher[] = NO_WATCHERS;
  constructor(core: Core) {
    this.local = new FibTable(core, 'local');
    this.main = new FibTable(core, 'main');
  }

  private table(name: string | undefined): FibTable {
    if (name === undefined || name === 'main') return this.main;
    if (name === 'local') return this.local;
    throw new InputError('InvalidTable', String(name), 'table main or local');
  }

  /**
   * Checks `r` for `op` without changing anything and returns the route as
   * it would be stored (for `del`, the route that would go). Throws what
   * iproute2 prints: `RTNETLINK answers: File exists` (add, or append of an
   * identical route), `Error: Nexthop has invalid gateway` (a gateway
   * without `onlink` must be reachable through a link-scope route,
   * fib_check_nh; a missing `dev` is taken from that route),
   * `RTNETLINK answers: No such process` (del of no such route).
   */
  check(r: KRoute | KRouteMatch, op: FibOp = 'add'): KRoute {
    const t = this.table(r.table);
    if (!Number.isInteger(r.len) || r.len < 0 || r.len > 32) throw new InputError('InvalidPrefixLength', String(r.len), 'a prefix length 0..32');
    if (!Number.isInteger(r.prefix)) throw new InputError('InvalidPrefix', String(r.prefix), 'an IPv4 address as a u32');
    if ((r.prefix & maskV4(r.len)) >>> 0 !== r.prefix >>> 0) throw new InputError('InvalidPrefix', cidrOf(r), 'invalid prefix for given prefix length');
    const e = t.entry(fibKey(r.prefix, r.len));
    if (op === 'del') {
      const hit = e === undefined ? undefined : entryRoutes(e).find((x) => matches(x, r));
      if (!hit) throw new CnikitError('NotFound', `${ESRCH} (${cidrOf(r)}${r.table === 'local' ? ' table local' : ''})`);
      return hit;
    }
    let k = r as KRoute;
    if (k.via !== undefined && !k.onlink) {
      const g = this.main.lookup(k.via);
      if (!g || g.type !== 'unicast' || g.via !== undefined || g.scope !== 'link' || (k.dev !== undefined && g.dev !== k.dev)) {
        throw new CnikitError('InvalidGateway', `Error: Nexthop has invalid gateway (${routeText(k)}: no link-scope route to ${formatIPv4(k.via)}${k.dev ? ` on ${k.dev}` : ''}; add it first or use onlink)`);
      }
      if (k.dev === undefined) k = { ...k, dev: g.dev };
    }
    if (k.via !== undefined && k.onlink && k.dev === undefined) throw new InputError('InvalidRoute', routeText(k), 'a device for an onlink route');
    if (e !== undefined) {
      const list = entryRoutes(e);
      if (op === 'add' && list.some((x) => metricOf(x) === metricOf(k))) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${routeText(k)})`);
      if (op === 'append' && list.some((x) => routeEq(x, k))) throw new CnikitError('Exists', `RTNETLINK answers: File exists (${routeText(k)})`);
    }
    return k;
  }

  /** Calls `w` for every local route added or removed from now on (and once now for each present). */
  watchLocal(w: LocalWatcher): void {
    this.watchers = [...this.watchers, w];
    for (const r of this.local.list()) if (r.type === 'local') w(r, true);
  }

  /** Stops calling `w`. */
  unwatchLocal(w: LocalWatcher): void {
    this.watchers = this.watchers.filter((x) => x !== w);
  }

  /** The route `del(m)` would remove, without removing it. */
  find(m: KRouteMatch): KRoute | undefined {
    const e = this.table(m.table).entry(fibKey(m.prefix >>> 0, m.len));
    return e === undefined ? undefined : entryRoutes(e).find((x) => matches(x, m));
  }

  /** Applies a checked route (the second half of add/replace/append/del). */
  private apply(t: FibTable, k: KRoute, op: FibOp): void {
    if (k.type === 'local' && this.watchers.length) {
      const before = this.local.entry(fibKey(k.prefix, k.len));
      this.applyTo(t, k, op);
      const after = this.local.entry(fibKey(k.prefix, k.len));
      const was = before === undefined ? [] : entryRoutes(before);
      const now = after === undefined ? [] : entryRoutes(after);
      for (const r of was) if (!now.includes(r)) for (const w of this.watchers) w(r, false);
      for (const r of now) if (!was.includes(r)) for (const w of this.watchers) w(r, true);
      return;
    }
    this.applyTo(t, k, op);
  }

  /** Puts an entry back as it was (undo of a failed bulk load), telling the watchers. */
  private restore(t: FibTable, key: number, prev: FibEntry | undefined): void {
    const cur = t.entry(key);
    t.set(key, prev);
    if (t !== this.local || !this.watchers.length) return;
    const was = cur === undefined ? [] : entryRoutes(cur);
    const now = prev === undefined ? [] : entryRoutes(prev);
    for (const r of was) if (r.type === 'local' && !now.includes(r)) for (const w of this.watchers) w(r, false);
    for (const r of now) if (r.type === 'local' && !was.includes(r)) for (const w of this.watchers) w(r, true);
  }

  private applyTo(t: FibTable, k: KRoute, op: FibOp): void {
    const key = fibKey(k.prefix, k.len);
    const e = t.entry(key);
    if (e === undefined && op !== 'del') return t.set(key, k);
    const list = e === undefined ? [] : [...entryRoutes(e)];
    if (op === 'del') list.splice(list.indexOf(k), 1);
    else if (op === 'replace' && list.some((x) => metricOf(x) === metricOf(k))) list[list.findIndex((x) => metricOf(x) === metricOf(k))] = k;
    else {
      // Aliases stay sorted by metric; a new one goes after those of equal metric (fib_insert_alias).
      let at = list.length;
      while (at > 0 && metricOf(list[at - 1]) > metricOf(k)) at--;
      list.splice(at, 0, k);
    }
    t.set(key, list.length === 0 ? undefined : list.length === 1 ? list[0] : (list as FibEntry));
  }

  private change(r: KRoute | KRouteMatch, op: FibOp): KRoute {
    const k = this.check(r, op);
    const t = this.table(r.table);
    this.apply(t, k, op);
    t.maybeFreeze();
    return k;
  }

  /** `ip route add`: EEXIST when the prefix has a route of the same metric (see {@link check}). */
  add(r: KRoute): KRoute {
    return this.change(r, 'add');
  }

  /** `ip route replace`: the route of the same prefix and metric is replaced, or this one added. */
  replace(r: KRoute): KRoute {
    return this.change(r, 'replace');
  }

  /** `ip route append`: one more route on the prefix (a fib alias; lookups use the first). */
  append(r: KRoute): KRoute {
    return this.change(r, 'append');
  }

  /**
   * `ip route del`: the first route of the prefix that `m` matches goes
   * (ESRCH `RTNETLINK answers: No such process` when none does); returns it.
   */
  del(m: KRouteMatch): KRoute {
    return this.change(m, 'del');
  }

  /**
   * Bulk `ip route add` of `routes` into `table`, all or nothing: each is
   * checked as {@link add} would in order (gateways against the table as it
   * stands with the earlier routes of the batch, without rebuilding any
   * lookup structure), then the table is frozen once onto shared storage.
   */
  load(table: 'main' | 'local', routes: readonly KRoute[]): void {
    const t = this.table(table);
    if (this.loadFast(t, routes)) return;
    const undo: [number, FibEntry | undefined][] = [];
    let i = 0;
    try {
      for (; i < routes.length; i++) {
        const r = routes[i];
        const k = this.check(r.table === table ? r : { ...r, table }, 'add');
        const key = fibKey(k.prefix, k.len);
        undo.push([key, t.entry(key)]);
        this.apply(t, k, 'add');
      }
    } catch (e) {
      for (let j = undo.length - 1; j >= 0; j--) this.restore(t, undo[j][0], undo[j][1]);
      throw namedItem(e, i);
    }
    t.freeze();
  }

  /**
   * The usual bulk load in one pass, when it gives exactly what adding the
   * routes in order would: every route is well formed, names its device,
   * and its gateway (if checked) is reachable through a link route already
   * in the table that no route of the batch lies inside (so no earlier
   * route of the batch can change the answer); the table takes it as a
   * small difference from a shared snapshot (FibTable.loadFresh). Returns
   * false, having changed nothing, otherwise.
   */
  private loadFast(t: FibTable, routes: readonly KRoute[]): boolean {
    if (routes.length < FIB_SMALL) return false;
    const via: KRoute[] = [];
    for (const r of routes) {
      if (r.table !== t.name || !Number.isInteger(r.len) || r.len < 0 || r.len > 32 || !Number.isInteger(r.prefix)) return false;
      if ((r.prefix & maskV4(r.len)) >>> 0 !== r.prefix >>> 0) return false;
      if (r.type === 'local' || (r.via !== undefined && r.dev === undefined)) return false;
      if (r.via === undefined || r.onlink) continue;
      const g = this.main.lookup(r.via);
      if (!g || g.type !== 'unicast' || g.via !== undefined || g.scope !== 'link' || g.dev !== r.dev) return false;
      if (!via.includes(g)) via.push(g);
    }
    if (t === this.main) {
      for (const r of routes) for (const g of via) if (r.len > g.len && (r.prefix & maskV4(g.len)) >>> 0 === g.prefix >>> 0) return false;
    }
    return t.loadFresh(routes);
  }

  /**
   * Adds the routes Linux adds for an address (fib_add_ifaddr): the local
   * /32, the subnet broadcast (prefixes shorter than /31) and, if shorter
   * than /32, the connected prefix. Routes already there are kept.
   */
  addAddress(addr: number, len: number, dev: string): void {
    for (const r of addressRoutes(addr, len, dev)) {
      const t = this.table(r.table);
      if (t.entry(fibKey(r.prefix, r.len)) === undefined) this.apply(t, r, 'add');
    }
  }

  /**
   * Removes the routes of an address (fib_del_ifaddr): its local /32,
   * broadcast and connected prefix on `dev`, and every route using it as
   * preferred source (fib_sync_down_addr).
   */
  delAddress(addr: number, len: number, dev: string): void {
    for (const r of addressRoutes(addr, len, dev)) {
      const hit = this.find({ table: r.table, prefix: r.prefix, len: r.len, type: r.type, dev, proto: 'kernel' });
      if (hit) this.apply(this.table(r.table), hit, 'del');
    }
    for (const t of [this.local, this.main]) {
      for (const r of t.list()) if (r.src === addr >>> 0) this.apply(t, r, 'del');
      t.maybeFreeze();
    }
  }

  /**
   * Removes the routes through `dev` (fib_sync_down_dev + fib_flush): all
   * of them when the device goes away, all but its local (scope host)
   * routes when it is set down (`keepLocal`), as Linux does. Returns how
   * many went.
   */
  flushDev(dev: string, opts: { keepLocal?: boolean } = {}): number {
    let n = 0;
    for (const t of [this.local, this.main]) {
      for (const r of t.list()) {
        if (r.dev !== dev || (opts.keepLocal && r.type === 'local')) continue;
        this.apply(t, r, 'del');
        n++;
      }
      t.maybeFreeze();
    }
    return n;
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

  /** The routes of a table, sorted by prefix then length. */
  list(table: 'main' | 'local' = 'main'): KRoute[] {
    return this.table(table).list();
  }

  /** Number of prefixes in a table. */
  size(table: 'main' | 'local' = 'main'): number {
    return this.table(table).size;
  }

  /** How a table is stored: private delta entries, shared base prefixes and the base's WASM bytes. */
  storage(table: 'main' | 'local' = 'main'): { delta: number; base: number; baseWasmBytes: number; baseRefs: number; freezes: number } {
    return this.table(table).stats();
  }

  /** Lets go of the shared tables (their WASM memory is freed with the last user). */
  dispose(): void {
    this.local.dispose();
    this.main.dispose();
    this.isDisposed = true;
  }

  private isDisposed = false;
  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.isDisposed;
  }
}
