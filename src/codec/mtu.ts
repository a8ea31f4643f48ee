/**
 * MTU arithmetic as data: what each encapsulation adds to a pod's IP packet,
 * and the pod (veth) MTU that fits a given underlay MTU. Figures: RFC 7348
 * and Linux vxlan_headroom() for VXLAN; Calico felix int_dataplane.go (and
 * its mtu docs) for IPIP, VXLAN and WireGuard; Flannel's udp backend adds
 * an IPv4 and a UDP header in user space.
 */
import { InputError } from '../core/errors.js';
import {
  VXLAN_OVERHEAD, VXLAN6_OVERHEAD, IPIP_OVERHEAD, FLANNEL_UDP_OVERHEAD, WIREGUARD_OVERHEAD, WIREGUARD6_OVERHEAD,
} from '../../assembly/shared/codec.js';

/** An encapsulation and its cost. */
export interface EncapOverhead {
  /** Stable name. */
  readonly name: 'none' | 'vxlan' | 'vxlan-v6' | 'ipip' | 'flannel-udp' | 'wireguard' | 'wireguard-v6';
  /** Bytes added to each pod IP packet. */
  readonly overhead: number;
  /** Where the bytes go. */
  readonly layout: string;
  /** Who uses it. */
  readonly usedBy: string;
}

/** The overhead table. */
export const ENCAP_OVERHEADS: readonly EncapOverhead[] = Object.freeze([
  { name: 'none', overhead: 0, layout: 'routed, no encapsulation', usedBy: 'Calico BGP (no overlay), Flannel host-gw' },
  { name: 'vxlan', overhead: VXLAN_OVERHEAD, layout: 'outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8', usedBy: 'Flannel vxlan (flannel.1, VNI 1, port 8472), Calico VXLAN (vxlan.calico, VNI 4096, port 4789)' },
  { name: 'vxlan-v6', overhead: VXLAN6_OVERHEAD, layout: 'outer Ethernet 14 + IPv6 40 + UDP 8 + VXLAN 8', usedBy: 'Calico VXLAN over IPv6 (vxlan-v6.calico)' },
  { name: 'ipip', overhead: IPIP_OVERHEAD, layout: 'outer IPv4 20 (protocol 4)', usedBy: 'Calico IPIP (tunl0), Flannel ipip' },
  { name: 'flannel-udp', overhead: FLANNEL_UDP_OVERHEAD, layout: 'outer IPv4 20 + UDP 8 (port 8285), in user space', usedBy: 'Flannel udp backend (flannel0 TUN)' },
  { name: 'wireguard', overhead: WIREGUARD_OVERHEAD, layout: 'IPv4 20 + UDP 8 + WireGuard 32 (as Calico counts it)', usedBy: 'Calico WireGuard (wireguard.cali)' },
  { name: 'wireguard-v6', overhead: WIREGUARD6_OVERHEAD, layout: 'IPv6 40 + UDP 8 + WireGuard 32', usedBy: 'Calico WireGuard over IPv6' },
] as const);

/** Overhead in bytes of `name`. Throws InputError for an unknown name. */
export function encapOverhead(name: string): number {
  const e = ENCAP_OVERHEADS.find((x) => x.name === name);
  if (!e) throw new InputError('UnknownEncap', name, `one of ${ENCAP_OVERHEADS.map((x) => x.name).join(', ')}`);
  return e.overhead;
}

/**
 * Pod MTU for an underlay MTU: underlay - overhead, as Calico's
 * ConfigureDefaultMTUs and Flannel's subnet.env (FLANNEL_MTU) compute it.
 * e.g. 1500 -> 1450 (vxlan), 1480 (ipip), 1440 (wireguard), 1472 (flannel-udp).
 */
export function podMtu(underlayMtu: number, encap: string): number {
  if (!Number.isInteger(underlayMtu) || underlayMtu < 68 || underlayMtu > 65535) {
    throw new InputError('InvalidMtu', String(underlayMtu), 'an integer MTU 68..65535');
  }
  const mtu = underlayMtu - encapOverhead(encap);
  if (mtu < 68) throw new InputError('InvalidMtu', String(underlayMtu), `an underlay MTU of at least ${68 + encapOverhead(encap)} for ${encap}`);
  return mtu;
}

/** Pod MTU when several encapsulations are enabled: the smallest (Calico determinePodMTU). */
export function podMtuFor(underlayMtu: number, encaps: readonly string[]): number {
  if (encaps.length === 0) return podMtu(underlayMtu, 'none');
  return Math.min(...encaps.map((e) => podMtu(underlayMtu, e)));
}
