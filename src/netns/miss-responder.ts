/**
 * The stand-in for old flanneld's miss handler in real namespaces (see
 * `MissResponderSpec`): a small python3 program that reads `ip monitor
 * neigh` in a node's namespace and answers the misses of one vxlan device
 * from the leases it was started with. It watches no store: the lease
 * table is fixed when it starts (for `netns export --cluster`, the table
 * each node's flanneld held at export time). It prints `ready` once `ip
 * monitor` runs, then flanneld's own log line for each miss it handles.
 * It leads a process group of its own (with its `ip monitor`), so that
 * `kill -- -PID` ends both.
 *
 * Arguments: `DEV L2 [SUBNET VTEPMAC PUBLICIP]...` (L2 is `1` to answer L2
 * misses too).
 */
import { InputError } from '../core/errors.js';
import { checkedLease } from '../kernel/miss-responder.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import type { MissResponderSpec } from '../kernel/scenario.js';
import { checkIfname } from './layout.js';

/** The responder's python3 source (one copy: the export and the ping lane run it). */
export const MISS_RESPONDER_PY = String.raw`import ipaddress, os, subprocess, sys
dev, l2, a = sys.argv[1], sys.argv[2] == '1', sys.argv[3:]
os.setsid()  # its own process group, ip monitor in it: "kill -- -PID" ends both
leases = [(ipaddress.ip_network(a[i]), a[i + 1], a[i + 2]) for i in range(0, len(a), 3)]
mon = subprocess.Popen(['ip', 'monitor', 'neigh'], stdout=subprocess.PIPE, text=True, bufsize=1)
print('ready', flush=True)
for line in mon.stdout:
    w = line.split()
    # miss ADDR dev DEV [lladdr MAC] STATE (L3; a PROBE carries the old lladdr: not a miss) / miss dev DEV lladdr MAC STATE (L2)
    if len(w) < 3 or w[0] != 'miss' or 'dev' not in w or w[w.index('dev') + 1] != dev: continue
    if w[1] != 'dev' and 'lladdr' not in w:
        ip = ipaddress.ip_address(w[1])
        l = next((l for l in leases if ip in l[0]), None)
        if l is None:
            print('L3 miss but route for %s not found' % w[1], flush=True)
            continue
        subprocess.run(['ip', 'neigh', 'replace', w[1], 'dev', dev, 'lladdr', l[1], 'nud', 'reachable'])
        print('L3 miss: AddL3 for %s succeeded' % w[1], flush=True)
    elif l2 and w[1] == 'dev' and 'lladdr' in w:
        mac = w[w.index('lladdr') + 1]
        l = next((l for l in leases if l[1] == mac), None)
        if l is None:
            print('L2 miss but lease for %s not found' % mac, flush=True)
            continue
        subprocess.run(['bridge', 'fdb', 'replace', mac, 'dev', dev, 'dst', l[2], 'self', 'dynamic'])
        print('L2 miss: AddL2 for %s succeeded' % mac, flush=True)
`;

/** The responder's arguments for `spec`, checked (device name, subnets, MACs, addresses). */
export function responderArgs(spec: MissResponderSpec, at: string): string[] {
  checkIfname(spec.dev, `${at} missResponder dev`);
  if (!Array.isArray(spec.leases)) throw new InputError('BadLease', `${at} missResponder`, 'a list of leases');
  const out = [spec.dev, spec.l2 ? '1' : '0'];
  spec.leases.forEach((l, i) => {
    const c = checkedLease(l, `${at} missResponder lease ${i}`);
    out.push(`${formatIPv4(c.addr)}/${c.len}`, c.vtepMac, formatIPv4(parseIPv4(c.publicIp)));
  });
  return out;
}
