/**
 * `sysctl -w KEY=VALUE` in a namespace: the keys the model acts on, checked
 * first. `net.ipv4.ip_forward` (= `conf.all.forwarding`),
 * `net.ipv4.conf.{all,DEV}.proxy_arp` (Linux ORs the two) and the
 * neighbour sysctls `net.ipv4.neigh.DEV.{app_solicit, ucast_solicit,
 * mcast_solicit, mcast_resolicit, base_reachable_time_ms, retrans_time_ms, unres_qlen,
 * delay_first_probe_time}`, and the path MTU ones `net.ipv4.route.mtu_expires`
 * (seconds), `net.ipv4.route.min_pmtu` and `net.ipv4.ip_forward_use_pmtu`
 * (pmtu.ts); other keys (and `conf.default.*`, which only
 * affects devices created later) are kept as text only.
 */
import { CnikitError, InputError } from '../core/errors.js';
import type { NeighParams } from './neigh-types.js';
import type { Netns } from './netns.js';

const NEIGH: Record<string, { key: keyof NeighParams; scale: number }> = {
  app_solicit: { key: 'appSolicit', scale: 1 },
  ucast_solicit: { key: 'ucastSolicit', scale: 1 },
  mcast_solicit: { key: 'mcastSolicit', scale: 1 },
  mcast_resolicit: { key: 'mcastResolicit', scale: 1 },
  base_reachable_time_ms: { key: 'baseReachableTimeMs', scale: 1 },
  retrans_time_ms: { key: 'retransTimeMs', scale: 1 },
  unres_qlen: { key: 'unresQlen', scale: 1 },
  // In seconds, as /proc shows it.
  delay_first_probe_time: { key: 'delayFirstProbeTimeMs', scale: 1000 },
};

/** sysctl(8) writes a dot in a device name as a slash (`net.ipv4.neigh.flannel/1.app_solicit`). */
function sysctlDev(s: string): string {
  return s.replace(/\//g, '.');
}

/** Checks `key=value` in `ns` and returns what applies it (nothing is changed before). */
export function checkSysctl(ns: Netns, key: string, value: string): () => void {
  if (!/^[a-z0-9_]+(\.[A-Za-z0-9_/@:-]+)+$/.test(key)) throw new InputError('InvalidSysctl', key, 'a sysctl key such as net.ipv4.ip_forward');
  const bool = () => {
    if (value !== '0' && value !== '1') throw new InputError('InvalidSysctlValue', `${key}=${value}`, '0 or 1');
    return value === '1';
  };
  const dev = (d: string, dir: string, leaf: string) => {
    const name = sysctlDev(d);
    const i = ns.ifaces.get(name);
    if (!i) throw new CnikitError('NotFound', `sysctl: cannot stat /proc/sys/net/ipv4/${dir}/${d}/${leaf}: No such file or directory (${ns.name})`);
    return i;
  };
  let apply: () => void = () => undefined;
  if (key === 'net.ipv4.ip_forward' || key === 'net.ipv4.conf.all.forwarding') {
    const on = bool();
    apply = () => (ns.ipForward = on);
  }
  if (key === 'net.ipv4.ip_forward_use_pmtu') {
    const on = bool();
    apply = () => (ns.pmtu.params.forwardUsePmtu = on);
  }
  if (key === 'net.ipv4.route.mtu_expires' || key === 'net.ipv4.route.min_pmtu') {
    const n = Number(value);
    const min = key.endsWith('min_pmtu') ? 68 : 0;
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || (min && n > 65535)) throw new InputError('InvalidSysctlValue', `${key}=${value}`, min ? 'an MTU 68..65535' : 'seconds >= 0');
    apply = key.endsWith('min_pmtu') ? () => (ns.pmtu.params.minPmtu = n) : () => (ns.pmtu.params.mtuExpires = n);
  }
  const conf = /^net\.ipv4\.conf\.([^.]+)\.proxy_arp$/.exec(key);
  if (conf && conf[1] === 'all') {
    const on = bool();
    apply = () => (ns.proxyArpAll = on);
  } else if (conf && conf[1] !== 'default') {
    const i = dev(conf[1], 'conf', 'proxy_arp');
    const on = bool();
    apply = () => (i.proxyArp = on);
  }
  const neigh = /^net\.ipv4\.neigh\.([^.]+)\.([a-z_]+)$/.exec(key);
  if (neigh && neigh[1] !== 'default' && NEIGH[neigh[2]]) {
    const i = dev(neigh[1], 'neigh', neigh[2]);
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InputError('InvalidSysctlValue', `${key}=${value}`, 'an integer >= 0');
    const p = NEIGH[neigh[2]];
    apply = () => ns.neigh.setParams(i.name, { [p.key]: n * p.scale });
  }
  return () => {
    ns.sysctls.set(key, value);
    apply();
  };
}
