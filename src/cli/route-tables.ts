/**
 * The route tables of `cnikit lpm`, built once from the whole routes file.
 *
 * - Each prefix goes in once, by number (`insertPrefix`), in reverse file
 *   order: an insert replaces, so the first line of a prefix wins, as
 *   src/lpm/routes-file.ts promises, without a lookup per route.
 * - The IPv4 table is a poptrie from the start. `RouteTable`'s default
 *   `'auto'` structure keeps every table within 64 KiB + 32 B per prefix, for
 *   simulations that hold thousands of tables; a large sparse table (1M
 *   random routes) is over that bound, so its first lookup built the
 *   poptrie and then copied every route, one insert at a time, into the
 *   sorted store: 9.5 s of a 17 s run. The CLI holds one table per family
 *   and takes the poptrie's memory instead (48 MB for 1M random routes,
 *   built in about 1 s). IPv6 tables are always the sorted store.
 */
import type { Core } from '../core/core.js';
import { RouteTable } from '../lpm/route-table.js';
import type { RouteLine } from '../lpm/routes-file.js';

/** Builds one table per family; the next hop of a prefix is the index of its first line in `routes`. */
export function buildRouteTables(core: Core, routes: RouteLine[]): Record<4 | 6, RouteTable> {
  const tables = { 4: new RouteTable(core, { family: 4, structure: 'poptrie' }), 6: new RouteTable(core, { family: 6 }) };
  for (let id = routes.length - 1; id >= 0; id--) {
    const c = routes[id].cidr;
    tables[c.family].insertPrefix(c.addr, c.len, id);
  }
  tables[4].build();
  tables[6].build();
  return tables;
}
