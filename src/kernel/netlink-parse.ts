/**
 * The door's inputs turned into what the tables hold: `ip route`, `ip
 * neigh` and `bridge fdb` argument strings and their typed forms
 * (netlink-spec.ts). Parsing only: nothing here looks at a namespace.
 */
import { InputError } from '../core/errors.js';
import { formatMac, parseIP, parseIPv4, parseMac } from '../net/ip.js';
import { STATES, type NudState } from './neigh-types.js';
import { parseRouteLine, type KRoute, type KRouteMatch, type KRouteType } from './route.js';
import type { FdbSpec, NeighSpec, RouteSpec } from './netlink-spec.js';

const TYPES = new Set<string>(['unicast', 'local', 'broadcast', 'blackhole', 'unreachable', 'prohibit', 'throw']);

/** Takes `table main|local` out of an `ip route` argument string. */
function splitTable(text: string): { rest: string; table?: 'main' | 'local' } {
  const w = text.trim().split(/\s+/);
  const i = w.indexOf('table');
  if (i < 0) return { rest: w.join(' ') };
  const t = w[i + 1];
  if (t !== 'main' && t !== 'local') throw new InputError('UnsupportedTable', t ?? text, 'table main or local (the model has the default rules only)');
  w.splice(i, 2);
  return { rest: w.join(' '), table: t };
}

/**
 * Typed inputs already converted, by input object: a control plane
 * programming a cluster hands the same desired-state objects to thousands
 * of nodes, and the tables then share the converted route (fib-table.ts
 * compares by identity first). A hit is used only while every field is
 * still what it was (inputs are plain mutable objects).
 */
const routeMemo = new WeakMap<RouteSpec, { f: RouteSpec; k: KRoute }>();
const checkedNeigh = new WeakMap<NeighSpec, NeighSpec>();
const checkedFdb = new WeakMap<FdbSpec, FdbSpec>();

function sameRoute(a: RouteSpec, b: RouteSpec): boolean {
  return a.dst === b.dst && a.type === b.type && a.via === b.via && a.dev === b.dev && a.onlink === b.onlink && a.scope === b.scope && a.src === b.src && a.proto === b.proto && a.metric === b.metric && a.table === b.table;
}

/** `ip route add|replace|append ARGS` or a {@link RouteSpec}, as the FIB holds it. */
export function routeOf(r: string | RouteSpec, file = 'route'): KRoute {
  if (typeof r !== 'string') {
    const m = routeMemo.get(r);
    if (m && sameRoute(m.f, r)) return m.k;
    const k = routeOfSpec(r);
    routeMemo.set(r, { f: { ...r }, k });
    return k;
  }
  return routeOfSpec(r, file);
}

function routeOfSpec(r: string | RouteSpec, file = 'route'): KRoute {
  if (typeof r === 'string') {
    const { rest, table } = splitTable(r);
    const k = parseRouteLine(rest, file);
    return table ? { ...k, table } : k;
  }
  const { prefix, len } = dstOf(r.dst);
  const type: KRouteType = r.type ?? 'unicast';
  if (!TYPES.has(type)) throw new InputError('UnsupportedRouteType', type, 'unicast, local, broadcast, blackhole, unreachable, prohibit or throw');
  const via = r.via === undefined ? undefined : parseIPv4(r.via);
  if (type === 'unicast' && via === undefined && r.dev === undefined) throw new InputError('InvalidRoute', r.dst, 'a unicast route with via or dev');
  if (r.metric !== undefined && !(Number.isInteger(r.metric) && r.metric >= 0 && r.metric <= 0xffffffff)) throw new InputError('InvalidMetric', String(r.metric), 'a metric 0..4294967295');
  const scope = r.scope ?? (type === 'local' ? 'host' : type === 'unicast' && via === undefined ? 'link' : 'global');
  const table = r.table ?? (type === 'local' || type === 'broadcast' ? 'local' : 'main');
  // Fields assigned one by one (not spread): objects of one shape, which the FIB reads in its hot loops.
  const out: { -readonly [K in keyof KRoute]: KRoute[K] } = { table, type, prefix, len, onlink: r.onlink ?? false, scope, proto: r.proto ?? 'boot' };
  if (via !== undefined) out.via = via;
  if (r.dev !== undefined) out.dev = r.dev;
  if (r.src !== undefined) out.src = parseIPv4(r.src);
  if (r.metric !== undefined) out.metric = r.metric;
  return out;
}

/** `ip route del ARGS` or a {@link RouteSpec}: the prefix, and what else must match. */
export function routeMatchOf(r: string | RouteSpec): KRouteMatch {
  if (typeof r !== 'string') {
    const { prefix, len } = dstOf(r.dst);
    const type = r.type;
    const table = r.table ?? (type === 'local' || type === 'broadcast' ? 'local' : 'main');
    return { table, prefix, len, type, via: r.via === undefined ? undefined : parseIPv4(r.via), dev: r.dev, metric: r.metric, proto: r.proto, scope: r.scope, src: r.src === undefined ? undefined : parseIPv4(r.src) };
  }
  const { rest, table } = splitTable(r);
  const w = rest.split(' ').filter((x) => x !== '');
  const type = TYPES.has(w[0]) ? (w.shift() as KRouteType) : undefined;
  const dst = w.shift();
  if (dst === undefined) throw new InputError('InvalidRoute', r, 'a destination prefix (`ip route del PREFIX [via A] [dev D]`)');
  const spec: RouteSpec = { dst, type, table };
  for (let i = 0; i < w.length; i += 2) {
    const k = w[i];
    if (k === 'onlink') {
      i--;
      continue;
    }
    const v = w[i + 1];
    if (v === undefined) throw new InputError('InvalidRoute', r, `a value after ${k}`);
    if (k === 'via') spec.via = v;
    else if (k === 'dev') spec.dev = v;
    else if (k === 'metric' || k === 'priority') spec.metric = Number(v);
    else if (k === 'proto') spec.proto = v;
    else if (k === 'src') spec.src = v;
    else if (k === 'scope' && (v === 'global' || v === 'link' || v === 'host')) spec.scope = v;
    else throw new InputError('UnsupportedRouteOption', k, 'via, dev, metric, proto, scope or src', { char: r.indexOf(k) });
  }
  return routeMatchOf(spec);
}

/** `A.B.C.D/L`, `A.B.C.D` or `default` as prefix and length (host bits are an error, as iproute2's). */
function dstOf(dst: string): { prefix: number; len: number } {
  if (dst === 'default') return { prefix: 0, len: 0 };
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(dst);
  if (!m) throw new InputError('InvalidPrefix', dst, 'a prefix A.B.C.D/L, an address or default');
  const len = m[2] === undefined ? 32 : Number(m[2]);
  if (len > 32) throw new InputError('InvalidPrefixLength', dst, 'a prefix length 0..32');
  return { prefix: parseIPv4(m[1]) >>> 0, len };
}

/** Words of an argument string as `key value` pairs, flags and leading words. */
function words(args: string): string[] {
  return args.trim().split(/\s+/).filter((x) => x !== '');
}

/** `ip neigh add|replace|del ADDR [lladdr MAC] dev DEV [nud STATE] [router]` or a {@link NeighSpec}, checked. */
export function neighOf(n: string | NeighSpec, op: 'add' | 'del' = 'add'): NeighSpec {
  let s: NeighSpec;
  if (typeof n === 'string') {
    const w = words(n);
    const out: Partial<NeighSpec> & { dst?: string } = { dst: w[0] };
    for (let i = 1; i < w.length; i++) {
      const k = w[i];
      if (k === 'router') {
        out.router = true;
        continue;
      }
      const v = w[++i];
      if (v === undefined || !['lladdr', 'dev', 'nud'].includes(k)) throw new InputError('InvalidNeigh', n, '`ADDR lladdr MAC dev DEV [nud STATE] [router]`', { char: n.indexOf(k) });
      if (k === 'lladdr') out.lladdr = v;
      else if (k === 'dev') out.dev = v;
      else out.nud = v;
    }
    if (!out.dst || !out.dev) throw new InputError('InvalidNeigh', n, '`ADDR lladdr MAC dev DEV [nud STATE]`');
    s = out as NeighSpec;
  } else {
    s = n;
    const c = checkedNeigh.get(n);
    if (c && c.dst === n.dst && c.dev === n.dev && c.lladdr === n.lladdr && c.nud === n.nud && c.router === n.router) return s;
  }
  if (typeof s.dst !== 'string' || typeof s.dev !== 'string') throw new InputError('InvalidNeigh', JSON.stringify(s), 'a NeighSpec with dst and dev');
  parseIP(s.dst);
  if (op === 'del') return s;
  const nud = (s.nud ?? 'permanent').toUpperCase() as NudState;
  if (!STATES.includes(nud)) throw new InputError('InvalidNud', s.nud!, 'nud permanent, noarp, reachable, stale, delay, probe, incomplete or failed');
  if (s.lladdr !== undefined) parseMac(s.lladdr);
  if (typeof n !== 'string') checkedNeigh.set(n, { ...n });
  return s;
}

const FDB_STATES = new Set(['permanent', 'local', 'static', 'temp', 'dynamic', 'reachable']);

/** `bridge fdb add|append|replace|del MAC dev DEV [dst A] [self|master] [permanent|static|dynamic]` or an {@link FdbSpec}, checked. */
export function fdbOf(f: string | FdbSpec): FdbSpec {
  let s: FdbSpec;
  if (typeof f === 'string') {
    const w = words(f);
    const out: Partial<FdbSpec> = { mac: w[0] };
    for (let i = 1; i < w.length; i++) {
      const k = w[i];
      if (k === 'self' || k === 'master') continue;
      if (FDB_STATES.has(k)) {
        out.state = k;
        continue;
      }
      const v = w[++i];
      if (v === undefined || (k !== 'dev' && k !== 'dst')) throw new InputError('InvalidFdb', f, '`MAC dev DEV [dst A] [self|master] [permanent|static|dynamic]`', { char: f.indexOf(k) });
      if (k === 'dev') out.dev = v;
      else out.dst = v;
    }
    if (!out.mac || !out.dev) throw new InputError('InvalidFdb', f, '`MAC dev DEV [dst A] ...`');
    s = out as FdbSpec;
  } else {
    s = f;
    const c = checkedFdb.get(f);
    if (c && c.mac === f.mac && c.dev === f.dev && c.dst === f.dst && c.state === f.state) return s;
  }
  parseMac(s.mac);
  if (s.dst !== undefined) parseIP(s.dst);
  if (s.state !== undefined && !FDB_STATES.has(s.state.toLowerCase())) throw new InputError('InvalidFdbState', s.state, 'permanent, static or dynamic');
  if (typeof f !== 'string') checkedFdb.set(f, { ...f });
  return s;
}

const CANONICAL_MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** A MAC in canonical text (lower case, colons). */
export function macText(m: string): string {
  return CANONICAL_MAC.test(m) ? m : formatMac(parseMac(m));
}
