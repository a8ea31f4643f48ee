import { describe, expect, it } from 'vitest';
import { programCalico, programFlannel, run } from '../bench/kernel-scale.js';

describe('bench/kernel-scale.ts', () => {
  it('the quick suite programs both shapes at two sizes and reports time, memory and bytes per entry', async () => {
    const lines: string[] = [];
    const rows = await run({ quick: true, log: (l) => lines.push(l) });
    const cases = [...new Set(rows.map((r) => r.case))];
    expect(cases).toEqual(['calico 20 nodes', 'calico 100 nodes', 'flannel 20 nodes', 'flannel 100 nodes']);
    for (const c of cases) {
      const metric = (m: string) => rows.find((r) => r.case === c && r.metric === m)!.value;
      expect(metric('seconds')).toBeGreaterThan(0);
      expect(metric('peak RSS')).toBeGreaterThan(0);
      expect(metric('WASM memory')).toBeGreaterThan(0);
      expect(Number.isFinite(metric('bytes/route'))).toBe(true);
    }
    expect(rows.find((r) => r.case === 'calico 100 nodes' && r.metric === 'seconds')!.baseline).toBe('calico 20 nodes');
    expect(rows.filter((r) => r.metric === 'bytes/FDB entry').map((r) => r.case)).toEqual(['flannel 20 nodes', 'flannel 100 nodes']);
    expect(lines.some((l) => l.startsWith('flannel 100 nodes:'))).toBe(true);
  });

  it('programs the shapes it claims, through the door', async () => {
    let routes = '';
    let pod = '';
    const c = await programCalico(10, 3, (net) => {
      routes = net.ipRoute('node3');
      pod = net.ipRoute('node3-pod1');
    });
    expect(c.namespaces).toBe(10 * 4);
    expect(c.routes).toBe(10 * 13);
    expect(routes).toContain('blackhole 10.128.0.192/26 proto bird \n');
    expect(routes).toContain('10.128.1.0/26 via 10.0.1.4 dev eth0 proto bird \n');
    expect(routes).toContain('10.128.0.194 dev cali0000301 scope link \n');
    expect(routes.split('\n').length - 1).toBe(1 + 10 + 3);
    expect(pod).toBe('default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n');
    let neigh = '';
    let fdb = '';
    let fl = '';
    const f = await programFlannel(10, (net) => {
      neigh = net.ipNeigh('node2');
      fdb = net.bridgeFdb('node2');
      fl = net.ipRoute('node2');
    });
    expect([f.routes, f.neighbours, f.fdbEntries]).toEqual([90, 90, 90]);
    expect(fl).toContain('10.128.3.0/24 via 10.128.3.0 dev flannel.1 onlink \n');
    expect(neigh).toContain('10.128.3.0 dev flannel.1 lladdr 0a:00:00:03:00:01 PERMANENT \n');
    expect(neigh).not.toContain('10.128.2.0 ');
    expect(fdb).toContain('0a:00:00:03:00:01 dev flannel.1 dst 10.0.1.3 self permanent\n');
    expect(fdb.split('\n').length - 1).toBe(9);
  });
});
