/**
 * `/run/flannel/subnet.env` as `WriteSubnetFile` (pkg/subnet/subnet.go)
 * writes it, and the `FLANNEL_SUBNET` read back on the next start as the
 * previous-subnet hint:
 *
 * ```
 * FLANNEL_NETWORK=10.244.0.0/16
 * FLANNEL_SUBNET=10.244.1.1/24
 * FLANNEL_MTU=1450
 * FLANNEL_IPMASQ=true
 * ```
 * `FLANNEL_SUBNET` is the lease's first address (`sn.IP += 1`) with the
 * lease's length: the gateway the CNI plugin puts on `cni0`.
 */
import { formatIPv4, maskV4, parseCidr } from '../net/ip.js';
import type { Subnet } from './lease.js';

/** What subnet.env says. */
export interface SubnetEnv {
  network: string;
  subnet: Subnet;
  mtu: number;
  ipMasq: boolean;
}

/** The file's text. */
export function subnetEnvText(e: SubnetEnv): string {
  return `FLANNEL_NETWORK=${e.network}\nFLANNEL_SUBNET=${formatIPv4(e.subnet.addr + 1)}/${e.subnet.len}\nFLANNEL_MTU=${e.mtu}\nFLANNEL_IPMASQ=${e.ipMasq}\n`;
}

/** `FLANNEL_SUBNET` of a subnet.env as a subnet (host bits cleared), or undefined when absent or malformed (flanneld then has no hint). */
export function previousSubnet(text: string | undefined): Subnet | undefined {
  const m = /^FLANNEL_SUBNET=(\S+)$/m.exec(text ?? '');
  if (!m) return undefined;
  try {
    const [a, l] = m[1].split('/');
    const c = parseCidr(`${formatIPv4((parseCidr(`${a}/32`, 4).addr as number) & maskV4(Number(l)))}/${l}`, 4);
    return c.family === 4 ? { addr: c.addr, len: c.len } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `FLANNEL_NETWORK` of a subnet.env as `A/L` (host bits cleared, as Go's
 * `net.ParseCIDR`), or undefined when absent or malformed: flanneld then
 * compares against `0.0.0.0/0` (`ReadCIDRFromSubnetFile`).
 */
export function previousNetwork(text: string | undefined): string | undefined {
  const m = /^FLANNEL_NETWORK=(\S+)$/m.exec(text ?? '');
  const s = m ? previousSubnet(`FLANNEL_SUBNET=${m[1]}`) : undefined;
  return s && `${formatIPv4(s.addr)}/${s.len}`;
}

/**
 * What the flannel CNI plugin reads (`loadFlannelSubnetEnv`): the network,
 * the subnet (host bits cleared) and the MTU; undefined when a line is
 * missing, as the plugin then fails.
 */
export function readSubnetEnv(text: string | undefined): { network: string; subnet: Subnet; mtu: number } | undefined {
  const net = /^FLANNEL_NETWORK=(\S+)$/m.exec(text ?? '');
  const mtu = /^FLANNEL_MTU=(\d+)$/m.exec(text ?? '');
  const subnet = previousSubnet(text);
  if (!net || !mtu || !subnet) return undefined;
  return { network: net[1], subnet, mtu: Number(mtu[1]) };
}
