/**
 * Routes as text: `ip route` argument strings read with the shared parser
 * (`lpm/routes-file.ts`) and printed back in iproute2's format. The FIB
 * that holds them is route.ts.
 */
import { InputError } from '../core/errors.js';
import { parseRoutes } from '../lpm/routes-file.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import type { KRoute, KRouteType } from './route-types.js';

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

