/**
 * Interface names as the CNI plugins choose them.
 *
 * - Calico (libcalico-go `conversion.VethNameForWorkload`): the prefix
 *   (`cali`, or the first entry of `FELIX_INTERFACEPREFIX`) followed by the
 *   first 11 hex characters of SHA-1(`<namespace>.<pod>`): 15 characters,
 *   IFNAMSIZ - 1. The name is the same on every run, so Felix can find the
 *   interface of a workload endpoint.
 * - The bridge plugin (`ip.RandomVethName`): `veth` followed by 4 random
 *   bytes in hex. Here the bytes come from SHA-1 of a seed so that a
 *   generated cluster is reproducible.
 */
import { sha1Hex } from './sha1.js';

/** Calico's host-side veth name of pod `pod` in Kubernetes namespace `namespace`. */
export function caliName(namespace: string, pod: string, prefix = 'cali'): string {
  return prefix + sha1Hex(`${namespace}.${pod}`).slice(0, 11);
}

/** A bridge-plugin host veth name (`veth` + 8 hex) derived from `seed`. */
export function cniVethName(seed: string): string {
  return 'veth' + sha1Hex(seed).slice(0, 8);
}
