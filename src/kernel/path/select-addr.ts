/**
 * The one choice of a source address (net/ipv4/devinet.c inet_select_addr,
 * and fib_result_prefsrc for a route with `src`): every sender in the model
 * (sockets, ICMP errors, ARP requests, tunnels' outer headers, `ip route
 * get`) asks here.
 *
 * Simplified: scope is not compared (Linux skips addresses of a narrower
 * scope than asked and, for scope link, prefers one on the destination's
 * subnet); the first address of the device is its primary.
 *
 * Written against the shapes it reads (devices with addresses, a route) so
 * that the namespace itself can use it without an import cycle.
 */

/** The devices of a namespace, as far as addresses go. */
export type AddrDevices = ReadonlyMap<string, { readonly kind: string; readonly addrs: readonly { readonly addr: number }[] }>;

/**
 * inet_select_addr: the primary address of `dev`, else the first
 * non-loopback address of any device in creation (ifindex) order.
 */
export function inetSelectAddr(devs: AddrDevices, dev: string | undefined): number | undefined {
  const own = dev === undefined ? undefined : devs.get(dev)?.addrs[0]?.addr;
  if (own !== undefined) return own;
  for (const i of devs.values()) if (i.kind !== 'loopback' && i.addrs.length) return i.addrs[0].addr;
  return undefined;
}

/** The source of a packet sent by route `r`: its `src` (prefsrc), else inet_select_addr on its device. */
export function routeSource(devs: AddrDevices, r: { readonly src?: number; readonly dev?: string } | undefined): number | undefined {
  return r?.src ?? inetSelectAddr(devs, r?.dev);
}
