/**
 * Reads route lists for `cnikit lpm --routes`: either `CIDR LABEL...` lines
 * or the output of `ip route show` / `ip -6 route show`.
 *
 * - A leading route type (`unicast local broadcast multicast anycast
 *   blackhole unreachable prohibit throw nat`, as in ip-route(8)) is kept
 *   with the route. `throw` means "stop looking in this table": the kernel
 *   goes on with the next policy rule's table. One table is modelled, so
 *   a lookup that ends at a throw route reports that route (type `throw`),
 *   which is neither an `unreachable` route nor no route at all.
 * - `default` is the /0 of the route's family: the family of its `via`
 *   address, else the family of the file's other prefixes, else IPv4.
 * - A bare address is a host route (/32, /128), as `ip route` prints them.
 * - Lines that start with blanks continue the previous route (the
 *   `nexthop via ...` lines of multipath routes).
 * - `#` comments and blank lines are skipped.
 * - A prefix listed twice keeps its first line: the kernel lists routes of
 *   one prefix in preference order (lowest metric first). Simplification:
 *   metrics, tos and tables are not otherwise modelled.
 */
import { InputError } from '../core/errors.js';
import { parseCidr, type Cidr } from '../net/ip.js';

/** Route types of ip-route(8). */
export const ROUTE_TYPES = ['unicast', 'local', 'broadcast', 'multicast', 'anycast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat'] as const;

/** One route read from a file. */
export interface RouteLine {
  /** The prefix (`default` resolved to /0). */
  cidr: Cidr;
  /** Route type; `unicast` when the line has none. */
  type: string;
  /** The line without its prefix token (type word kept), blanks collapsed. */
  rest: string;
  /** 1-based line number. */
  line: number;
}

/**
 * Parses `text`. Errors are `InputError`s whose position names `file` and
 * the line; nothing is returned on error.
 */
export function parseRoutes(text: string, file: string): RouteLine[] {
  type Pending = { cidr?: Cidr; type: string; line: number; words: string[] };
  const pending: Pending[] = [];
  const families = new Set<4 | 6>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const body = raw.replace(/#.*$/, '');
    if (body.trim() === '') continue;
    const words = body.trim().split(/\s+/);
    if (/^\s/.test(body)) {
      if (pending.length === 0) throw new InputError('InvalidRoute', raw, 'a route before its continuation line', { file, line: i + 1 });
      pending[pending.length - 1].words.push(...words);
      continue;
    }
    let type = 'unicast';
    const typed = (ROUTE_TYPES as readonly string[]).includes(words[0]);
    if (typed) type = words.shift()!;
    const dst = words.shift();
    if (dst === undefined) throw new InputError('InvalidRoute', raw, 'a destination prefix after the route type', { file, line: i + 1 });
    const p: Pending = { type, line: i + 1, words: typed && type !== 'unicast' ? [type, ...words] : words };
    if (dst !== 'default') {
      try {
        p.cidr = parseCidr(dst);
      } catch (e) {
        if (e instanceof InputError) throw new InputError(e.code, dst, e.expected, { file, line: i + 1, char: e.position?.char });
        throw e;
      }
      families.add(p.cidr.family);
    }
    pending.push(p);
  }
  const fileFamily: 4 | 6 = families.size === 1 && families.has(6) ? 6 : 4;
  return pending.map((p) => {
    let cidr = p.cidr;
    if (!cidr) {
      const via = p.words.indexOf('via');
      const gw = via >= 0 ? p.words[via + 1] : undefined;
      const family = gw !== undefined && gw !== 'inet' && gw !== 'inet6' ? (gw.includes(':') ? 6 : 4) : fileFamily;
      cidr = family === 4 ? { family: 4, addr: 0, len: 0 } : { family: 6, addr: [0, 0, 0, 0], len: 0 };
    }
    return { cidr, type: p.type, rest: p.words.join(' '), line: p.line };
  });
}
