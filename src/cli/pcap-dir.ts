/** `--pcap DIR`: the captures of a simulated network written one file per device. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimNetwork } from '../kernel/index.js';
import { writeOutput } from './io.js';

/** One capture file per device that saw frames: `DIR/<namespace>_<device>.pcap`. */
export async function writeCaptures(net: SimNetwork, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true }).catch(() => undefined);
  for (const [name, ns] of net.namespaces) {
    for (const [dev, ifc] of ns.ifaces) {
      if (ifc.frames.length === 0) continue;
      await writeOutput('--pcap', join(dir, `${name}_${dev}.pcap`), net.pcap(name, dev));
    }
  }
}

