/** The route as the FIB holds it (route.ts, fib-table.ts). */

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
