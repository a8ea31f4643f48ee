/**
 * A scenario's miss responder (`NodeSpec.missResponder`) in the model: the
 * door's miss agents answering from the spec's fixed lease table, as the
 * netns export's python3 responder does in a real namespace (see
 * `MissResponderSpec`). Flanneld's own legacy backend
 * (src/flannel/backend-vxlan-legacy.ts) answers from its watched leases
 * instead; the two answer alike for the same leases.
 */
import { InputError } from '../core/errors.js';
import { containsV4, formatMac, parseCidr, parseIPv4, parseMac } from '../net/ip.js';
import type { FdbAgent } from './vxlan-fdb.js';
import type { NeighAgent } from './neigh-types.js';
import type { MissResponderSpec } from './scenario.js';

/** The model's default answer delay of a responder, ms (flanneld's in the model). */
export const RESPONDER_LATENCY_MS = 2;

/** A lease of a responder, parsed; throws `InputError` naming the lease. */
export function checkedLease(l: { subnet: string; vtepMac: string; publicIp: string }, at: string): { addr: number; len: number; vtepMac: string; publicIp: string } {
  const c = parseCidr(l.subnet, 4);
  if (c.family !== 4) throw new InputError('BadLease', at, `an IPv4 subnet, got ${l.subnet}`);
  parseIPv4(l.publicIp);
  return { addr: c.addr, len: c.len, vtepMac: formatMac(parseMac(l.vtepMac)), publicIp: l.publicIp };
}

/** The agents of `spec`: `neigh` for L3 misses, and with `spec.l2` `fdb` for L2 misses. */
export function missResponderAgents(spec: MissResponderSpec, at = `${spec.dev} responder`): { neigh: NeighAgent; fdb?: FdbAgent } {
  const leases = spec.leases.map((l, i) => checkedLease(l, `${at} lease ${i}`));
  const latencyMs = spec.latencyMs ?? RESPONDER_LATENCY_MS;
  const neigh: NeighAgent = (q) => {
    // A PROBE notification carries the old lladdr: "not a miss".
    if (q.state === 'PROBE') return undefined;
    const a = parseIPv4(q.dst);
    const l = leases.find((x) => containsV4(x.addr, x.len, a));
    return l && { lladdr: l.vtepMac, latencyMs };
  };
  if (!spec.l2) return { neigh };
  const fdb: FdbAgent = (q) => {
    const l = leases.find((x) => x.vtepMac === q.mac);
    return l && { dst: l.publicIp, latencyMs };
  };
  return { neigh, fdb };
}
