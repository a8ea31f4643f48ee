/**
 * The CNI ADD kubelet runs for each pod on a Flannel node: the flannel
 * meta-plugin reads subnet.env and delegates to `bridge` + `host-local`
 * (flannel-io/cni-plugin; containernetworking/plugins):
 *
 * - bridge `cni0`, created on the first ADD with MTU = FLANNEL_MTU and the
 *   gateway (FLANNEL_SUBNET's first address, `isGateway`) on it, MAC
 *   `0a:58` + that address (`GenerateHardwareAddr4`, as src/topology);
 * - host-local: the next free address after the last one given, from `.2`
 *   (the gateway is skipped), up to the last before broadcast; a pod's
 *   pinned `ip:` instead when it has one;
 * - a veth pair (`veth` + 8 hex on the host, enslaved to cni0; `eth0` in
 *   the pod, MAC `0a:58` + its address), MTU = FLANNEL_MTU, and the routes
 *   `default via <gw>` (`isDefaultGateway`) and `<Network> via <gw>` (the
 *   meta-plugin's `routes: [{dst: FLANNEL_NETWORK}]`).
 *
 * If the node's subnet changed (a lease lost and a new one taken), cni0
 * still holds the old gateway and the bridge plugin fails as it does:
 * `failed to set bridge addr: "cni0" already has an IP address different
 * from <new gw>`; pods already running keep their old addresses.
 */
import { CnikitError } from '../core/errors.js';
import type { Netlink, SimNetwork } from '../kernel/index.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { CNI_MAC_PREFIX, cniVethName, macFromIPv4, randomMac } from '../topology/index.js';
import type { Subnet } from './lease.js';

/** What the CNI plugin reads from subnet.env. */
export interface CniEnv {
  network: string;
  subnet: Subnet;
  mtu: number;
}

/** A pod as the CNI plugin sees it. */
export interface CniPod {
  name: string;
  namespace: string;
  /** Pinned address. */
  ip?: string;
}

/** One node's CNI state (host-local's files under /var/lib/cni/networks/cbr0 live with the node). */
export class FlannelCni {
  /** Pod name -> address. */
  readonly addresses = new Map<string, string>();
  private last = 0;

  constructor(readonly node: string, readonly net: SimNetwork, readonly nl: Netlink) {}

  /** CNI ADD; returns the pod's address. Throws `CnikitError` as the plugin fails. */
  add(pod: CniPod, env: CniEnv): string {
    const have = this.addresses.get(pod.name);
    if (have) return have;
    const gw = formatIPv4(env.subnet.addr + 1);
    this.ensureBridge(gw, env);
    const ip = pod.ip ?? this.allocate(env.subnet);
    const addr = parseIPv4(ip);
    if (pod.ip !== undefined) this.checkPinned(pod.ip, addr, env.subnet);
    let hostVeth = '';
    for (let attempt = 0; ; attempt++) {
      hostVeth = cniVethName(`${pod.namespace}/${pod.name}#${attempt}`);
      if (!this.net.ns(this.node).ifaces.has(hostVeth)) break;
    }
    this.nl.podAdd(this.node, {
      name: pod.name,
      address: `${ip}/${env.subnet.len}`,
      mac: macFromIPv4(CNI_MAC_PREFIX, addr),
      hostVeth,
      hostVethMac: randomMac(`veth ${pod.namespace}/${pod.name}#0`),
      bridge: 'cni0',
      routes: [`default via ${gw} dev eth0`, `${env.network} via ${gw} dev eth0`],
      mtu: env.mtu,
    });
    this.addresses.set(pod.name, ip);
    this.last = addr;
    return ip;
  }

  private ensureBridge(gw: string, env: CniEnv): void {
    const ns = this.net.ns(this.node);
    const br = ns.ifaces.get('cni0');
    if (!br) {
      this.nl.linkAdd(this.node, { kind: 'bridge', name: 'cni0', mac: macFromIPv4(CNI_MAC_PREFIX, parseIPv4(gw)), mtu: env.mtu });
      this.nl.addrAdd(this.node, 'cni0', `${gw}/${env.subnet.len}`);
      return;
    }
    const a = br.addrs[0];
    if (a && (formatIPv4(a.addr) !== gw || a.len !== env.subnet.len)) {
      throw new CnikitError('CniFailed', `failed to set bridge addr: "cni0" already has an IP address different from ${gw}/${env.subnet.len}`);
    }
  }

  /** host-local: the next free host after the last one given, wrapping to .2. */
  private allocate(s: Subnet): string {
    const first = s.addr + 2;
    const lastHost = s.addr + 2 ** (32 - s.len) - 2;
    const used = new Set([...this.addresses.values()].map(parseIPv4));
    const start = this.last >= first && this.last < lastHost ? this.last + 1 : first;
    for (let k = 0, a = start; k <= lastHost - first; k++, a = a >= lastHost ? first : a + 1) {
      if (!used.has(a)) return formatIPv4(a);
    }
    throw new CnikitError('CniFailed', `failed to allocate for range 0: no IP addresses available in range set: ${formatIPv4(first)}-${formatIPv4(lastHost)}`);
  }

  private checkPinned(ip: string, addr: number, s: Subnet): void {
    const size = 2 ** (32 - s.len);
    if (addr < s.addr + 2 || addr > s.addr + size - 2) {
      throw new CnikitError('CniFailed', `failed to allocate for range 0: requested IP address ${ip} is not available in range set ${formatIPv4(s.addr + 2)}-${formatIPv4(s.addr + size - 2)}`);
    }
    if ([...this.addresses.values()].includes(ip)) throw new CnikitError('CniFailed', `failed to allocate for range 0: requested IP address ${ip} is not available in range set`);
  }
}
