/** The route as the FIB holds it (route.ts, fib-table.ts), and the routes Linux derives from addresses. */
import { maskV4 } from '../net/ip.js';

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

/**
 * What `ip route del` matches (fib_table_delete): the prefix, and each
 * optional field that is given (unset fields match anything, as the kernel
 * treats an unset type, scope, protocol, gateway and device). `metric`
 * always matches exactly (unset = 0), since the kernel finds the alias by
 * its priority.
 */
export interface KRouteMatch {
  readonly table?: 'local' | 'main';
  readonly prefix: number;
  readonly len: number;
  readonly type?: KRouteType;
  readonly via?: number;
  readonly dev?: string;
  readonly scope?: 'global' | 'link' | 'host';
  readonly src?: number;
  readonly proto?: string;
  readonly metric?: number;
}

/**
 * The local-table routes of `lo` with 127.0.0.1/8 up, as Linux has them in
 * every namespace (`local 127.0.0.0/8`, `local 127.0.0.1`, `broadcast
 * 127.255.255.255`): one frozen set of objects shared by all namespaces.
 */
export const LOOPBACK_ROUTES: readonly KRoute[] = Object.freeze(
  (
    [
      { type: 'local', prefix: 0x7f000000, len: 8, scope: 'host' },
      { type: 'local', prefix: 0x7f000001, len: 32, scope: 'host' },
      { type: 'broadcast', prefix: 0x7fffffff, len: 32, scope: 'link' },
    ] as const
  ).map((r) => Object.freeze({ table: 'local', dev: 'lo', onlink: false, src: 0x7f000001, proto: 'kernel', ...r }) as KRoute),
);

/** The routes Linux derives from address `addr/len` on `dev` (fib_add_ifaddr). */
export function addressRoutes(addr: number, len: number, dev: string): KRoute[] {
  const src = addr >>> 0;
  const out: KRoute[] = [{ table: 'local', type: 'local', prefix: src, len: 32, dev, onlink: false, scope: 'host', src, proto: 'kernel' }];
  if (len < 31) out.push({ table: 'local', type: 'broadcast', prefix: (addr | ~maskV4(len)) >>> 0, len: 32, dev, onlink: false, scope: 'link', src, proto: 'kernel' });
  if (len < 32) out.push({ table: 'main', type: 'unicast', prefix: (addr & maskV4(len)) >>> 0, len, dev, onlink: false, scope: 'link', src, proto: 'kernel' });
  return out;
}
