import { describe, expect, it } from 'vitest';
import { CALICO_POOL, FLANNEL_NETWORK, programCalico, programFlannel, run } from '../bench/kernel-scale.js';
import { planCalico, planFlannel } from '../src/topology/index.js';

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
    const cp = planCalico({ nodes: 10, podsPerNode: 3, pool: CALICO_POOL, defaultRoute: false });
    const [me, other] = [cp.nodes[2], cp.nodes[5]];
    let routes = '';
    let pod = '';
    const c = await programCalico(10, 3, (net) => {
      routes = net.ipRoute(me.name);
      pod = net.ipRoute(me.pods[1].name);
    });
    expect(c.namespaces).toBe(10 * 4);
    expect(c.routes).toBe(10 * 13);
    expect(routes).toContain(`blackhole ${me.podCidr} proto bird \n`);
    expect(routes).toContain(`${other.podCidr} via ${other.address} dev eth0 proto bird \n`);
    expect(routes).toContain(`${me.pods[1].address} dev ${me.pods[1].hostVeth} scope link \n`);
    expect(routes.split('\n').length - 1).toBe(1 + 10 + 3);
    expect(pod).toBe('default via 169.254.1.1 dev eth0 \n169.254.1.1 dev eth0 scope link \n');
    const fp = planFlannel({ nodes: 10, podsPerNode: 0, network: FLANNEL_NETWORK, defaultRoute: false });
    const [fme, fo] = [fp.nodes[1], fp.nodes[3]];
    const net3 = fo.podCidr.split('/')[0];
    let neigh = '';
    let fdb = '';
    let fl = '';
    const f = await programFlannel(10, (net) => {
      neigh = net.ipNeigh(fme.name);
      fdb = net.bridgeFdb(fme.name);
      fl = net.ipRoute(fme.name);
    });
    expect([f.routes, f.neighbours, f.fdbEntries]).toEqual([90, 90, 90]);
    expect(fl).toContain(`${fo.podCidr} via ${net3} dev flannel.1 onlink \n`);
    expect(neigh).toContain(`${net3} dev flannel.1 lladdr ${fp.vtepMacs[3]} PERMANENT \n`);
    expect(neigh).not.toContain(`${fme.podCidr.split('/')[0]} `);
    expect(fdb).toContain(`${fp.vtepMacs[3]} dev flannel.1 dst ${fo.address} self permanent\n`);
    expect(fdb.split('\n').length - 1).toBe(9);
  });
});
