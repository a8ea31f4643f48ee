/**
 * The iptables rules flanneld installs (pkg/trafficmngr/iptables), as
 * `iptables-save` prints them, each with flanneld's comment:
 *
 * - `--ip-masq` (`masqRules`), nat table: POSTROUTING jumps to
 *   FLANNEL-POSTRTG, which returns kube-proxy-marked packets, pod -> cluster,
 *   cluster -> local pods and outside -> local pods unchanged, and
 *   masquerades pods -> outside (not multicast) and outside -> remote pods,
 *   `--random-fully` (flanneld adds it when iptables supports it, as every
 *   current iptables does).
 * - `--iptables-forward-rules` (default true; `forwardRules`), filter table:
 *   FORWARD jumps to FLANNEL-FWD, which accepts anything from or to the
 *   cluster network (Docker >= 1.13 sets FORWARD's policy to DROP).
 *
 * flanneld applies them with `iptables-restore --noflush`, deleting any it
 * finds first so that their order holds; the model applies the same text.
 */

const MASQ = '-m comment --comment "flanneld masq"';
const FWD = '-m comment --comment "flanneld forward"';

/** The nat rules for cluster network `network` and lease `subnet` (both `A/L`). */
export function masqRules(network: string, subnet: string): string[] {
  return [
    `-A POSTROUTING ${MASQ} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${subnet} -d ${network} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${network} -d ${subnet} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${network} -d ${subnet} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${network} ! -d 224.0.0.0/4 ${MASQ} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${network} -d ${network} ${MASQ} -j MASQUERADE --random-fully`,
  ];
}

/** The filter rules for cluster network `network`. */
export function forwardRules(network: string): string[] {
  return [
    `-A FORWARD ${FWD} -j FLANNEL-FWD`,
    `-A FLANNEL-FWD -s ${network} ${FWD} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${network} ${FWD} -j ACCEPT`,
  ];
}

/** `iptables-restore --noflush` input installing both sets (either may be left out). */
export function restoreText(nat: readonly string[], filter: readonly string[]): string {
  const out: string[] = [];
  if (nat.length) out.push('*nat', ':FLANNEL-POSTRTG - [0:0]', ...nat, 'COMMIT');
  if (filter.length) out.push('*filter', ':FLANNEL-FWD - [0:0]', ...filter, 'COMMIT');
  return `${out.join('\n')}\n`;
}
