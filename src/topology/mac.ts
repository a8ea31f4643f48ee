/**
 * MAC addresses as Linux and the CNI plugins make them.
 *
 * - `macFromIPv4(prefix, ip)`: two fixed bytes and the four bytes of an IPv4
 *   address. With `0a:58` this is the CNI plugins' `hwaddr.GenerateHardwareAddr4`
 *   (containernetworking/plugins `pkg/utils/hwaddr`), which the bridge plugin
 *   used for the container's `eth0` and the bridge (`cni0` took its
 *   gateway address's); with `02:42` it is Docker's bridge rule.
 * - `CALICO_HOST_MAC`: Calico's CNI plugin gives every host-side veth
 *   `ee:ee:ee:ee:ee:ee`; the pod reaches `169.254.1.1` through it by proxy ARP.
 * - `randomMac(seed)`: what the kernel's `eth_random_addr` (a veth end, a
 *   bridge) or flanneld's `mac.NewHardwareAddr` (the `flannel.1` VtepMAC)
 *   gives: random, locally administered (bit 1 of the first byte set) and
 *   unicast (bit 0 clear). Here it is derived from a seed string through
 *   SHA-1 so that a generated cluster is the same on every run.
 * - `qemuMac(ip)`: QEMU's `52:54:00` prefix and the low three bytes of a
 *   node's address, the NIC of a test VM; unique within a /8.
 */
import { parseIPv4 } from '../net/ip.js';
import { sha1Hex } from './sha1.js';

/** The CNI plugins' private prefix (`hwaddr.PrivateMACPrefix`). */
export const CNI_MAC_PREFIX: readonly [number, number] = [0x0a, 0x58];
/** Docker's bridge prefix. */
export const DOCKER_MAC_PREFIX: readonly [number, number] = [0x02, 0x42];
/** The MAC Calico gives every host-side veth. */
export const CALICO_HOST_MAC = 'ee:ee:ee:ee:ee:ee';

const hex2 = (b: number) => (b & 255).toString(16).padStart(2, '0');

/** `prefix` + the four bytes of IPv4 `ip` (a number or dotted quad), as `aa:bb:cc:dd:ee:ff`. */
export function macFromIPv4(prefix: readonly [number, number], ip: number | string): string {
  if (typeof ip === 'string') ip = parseIPv4(ip);
  return [prefix[0], prefix[1], ip >>> 24, ip >>> 16, ip >>> 8, ip].map(hex2).join(':');
}

/** A locally administered unicast MAC derived from `seed` (see the module comment). */
export function randomMac(seed: string): string {
  const h = sha1Hex(seed);
  const b0 = (parseInt(h.slice(0, 2), 16) & 0xfc) | 0x02;
  return `${hex2(b0)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

/** `52:54:00` + the low three bytes of IPv4 `ip` (a number). */
export function qemuMac(ip: number): string {
  return ['52', '54', '00', hex2(ip >>> 16), hex2(ip >>> 8), hex2(ip)].join(':');
}
