/**
 * `cnikit trace --scenario NAME [--modern] [--json] [--pcap DIR]`: a
 * built-in walk. `flannel-seed`: the seed's two-node cluster built by
 * flanneld (v0.5 with its netlink misses, or with `--modern` the current
 * vxlan backend) and the seed's walk pod1 -> pod3 (src/scenarios/flannel-seed-walk.ts).
 */
import { createCore } from '../core/core.js';
import { InputError } from '../core/errors.js';
import type { Disposition } from '../core/trace.js';
import { buildSeedCluster } from '../scenarios/flannel-seed.js';
import { seedWalk } from '../scenarios/flannel-seed-walk.js';
import { writeCaptures } from './pcap-dir.js';
import { write, type Io } from './io.js';

/** The scenarios `cnikit trace --scenario` knows. */
export const TRACE_SCENARIOS = ['flannel-seed'];

/** Runs scenario `name`, prints it, and returns the walk's disposition. */
export async function traceScenario(io: Io, name: string, o: { modern: boolean; json: boolean; pcap?: string }): Promise<Disposition> {
  if (!TRACE_SCENARIOS.includes(name)) throw new InputError('UnknownScenario', name, `--scenario: one of ${TRACE_SCENARIOS.join(', ')}`);
  const core = await createCore();
  const s = buildSeedCluster(core, { legacy: !o.modern });
  try {
    const w = await seedWalk(core, s);
    if (o.json) {
      const flanneld = s.legacy ? 'v0.5' : 'v0.9+';
      await write(io.stdout, `${JSON.stringify({ scenario: name, flanneld, from: 'pod1', to: '172.16.57.15', proto: 'icmp', disposition: w.disposition, lease: w.lease, monitor: w.monitor, traces: w.traces, frameHex: w.frameHex }, null, 2)}\n`);
    } else await write(io.stdout, w.text);
    if (o.pcap) await writeCaptures(s.net, o.pcap);
    return w.disposition;
  } finally {
    s.net.dispose();
  }
}
