// `cnikit trace --scenario flannel-seed`: the seed's walk, through flanneld, in the seed's order.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/io.js';

const dir = mkdtempSync(join(tmpdir(), 'cnikit-seed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Index of the first line matching `re`, failing when none does. */
function at(lines: string[], re: RegExp): number {
  const i = lines.findIndex((l) => re.test(l));
  expect(i, `a line matching ${re}`).toBeGreaterThanOrEqual(0);
  return i;
}

describe('cnikit trace --scenario flannel-seed', () => {
  it("prints the seed's walk in the seed's order with the key lines", async () => {
    const r = await cli(['trace', '--scenario', 'flannel-seed']);
    expect(r.status).toBe(0);
    const l = r.stdout.split('\n');
    expect(l[0]).toBe('pod1 172.16.99.8 -> pod3 172.16.57.15 icmp, flanneld v0.5-v0.6 (legacyMisses: L3 MISS answered from the store): DELIVERED');
    const order = [
      /^ {2}default via 172\.16\.99\.1 dev eth0$/, // the container's routes
      /^ {2}172\.16\.99\.0\/24 dev eth0 proto kernel scope link src 172\.16\.99\.8$/,
      /^ {2}172\.16\.0\.0\/16 dev flannel\.1 proto kernel scope link src 172\.16\.99\.0$/, // the /16 route
      /master +receive .* in docker0/, // docker0
      /master +route +172\.16\.0\.0\/16 dev flannel\.1/,
      /^ {2}3$/, // app_solicit
      /neighbour +172\.16\.57\.15 dev flannel\.1 INCOMPLETE.*L3 MISS.*\[QUEUED\]/,
      /^ {2}ip monitor neigh \(master\): miss 172\.16\.57\.15 dev flannel\.1 INCOMPLETE/,
      /^ {2}master# etcdctl get \/coreos\.com\/network\/subnets\/172\.16\.57\.0-24$/, // the store lookup
      /^ {2}\{"PublicIP":"10\.46\.181\.146",.*"BackendType":"vxlan","BackendData":\{"VNI":1,"VtepMAC":"d6:51:2e:80:5c:69"\}\}$/,
      /^ {2}172\.16\.57\.15 dev flannel\.1 lladdr d6:51:2e:80:5c:69 REACHABLE$/, // ip n
      /^ {2}d6:51:2e:80:5c:69 dst 10\.46\.181\.146 self permanent$/, // bridge fdb
      /installed by flanneld when the lease 172\.16\.57\.0\/24 appeared/,
      /L2 MISS .* v0\.2-v0\.4\.1 .*dropped.*cnikit ping --scenario flannel-l2miss/,
      /master +fdb +d6:51:2e:80:5c:69 dev flannel\.1 dst 10\.46\.181\.146 +\[HIT\]/,
      /encapsulate vxlan vni 1 dstport 8472 10\.46\.181\.145 > 10\.46\.181\.146/,
      /^ {2}VXLAN +flags 0x08 VNI 1$/,
      /^ {2}Ethernet +d6:51:2e:80:5c:62 > d6:51:2e:80:5c:69/,
      /^ {2}0x0000: {2}5254 002e b592 5254 002e b591 0800 4500$/, // hex
      /minion +decapsulate vxlan vni 1/,
      /minion +route +172\.16\.57\.0\/24 dev docker0/,
      /pod3 +deliver/,
      /^disposition: DELIVERED$/,
    ];
    const idx = order.map((re) => at(l, re));
    expect(idx).toEqual([...idx].sort((a, b) => a - b));
    // The neighbour entry was added by flanneld (not by hand) between the miss and the packet leaving.
    expect(r.stdout).not.toMatch(/172\.16\.57\.0\/24 via/);
  });

  it('--modern shows the entries flanneld >= v0.9 programmed per lease instead of misses', async () => {
    const r = await cli(['trace', '--scenario', 'flannel-seed', '--modern']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  172.16.57.0/24 via 172.16.57.0 dev flannel.1 onlink\n');
    expect(r.stdout).toContain('  172.16.57.0 dev flannel.1 lladdr d6:51:2e:80:5c:69 PERMANENT\n');
    expect(r.stdout).toMatch(/neighbour +172\.16\.57\.0 dev flannel\.1 .*\[HIT\]/);
    expect(r.stdout).not.toMatch(/\[QUEUED\]|miss 172|INCOMPLETE/);
    expect(r.stdout).toContain("no L3 MISS");
    expect(r.stdout).toContain('  d6:51:2e:80:5c:69 dst 10.46.181.146 self permanent\n');
  });

  it('--json has the disposition and the lease; --pcap one capture per wire', async () => {
    const pcap = join(dir, 'p');
    const r = await cli(['trace', '--scenario', 'flannel-seed', '--json', '--pcap', pcap]);
    const j = JSON.parse(r.stdout);
    expect(j.disposition).toBe('DELIVERED');
    expect(j.flanneld).toBe('v0.5');
    expect(j.lease.key).toBe('/coreos.com/network/subnets/172.16.57.0-24');
    expect(j.traces.map((t: { disposition: string }) => t.disposition)).toEqual(['QUEUED', 'DELIVERED']);
    expect(j.monitor).toContain('master: miss 172.16.57.15 dev flannel.1 INCOMPLETE');
    expect(readdirSync(pcap).sort()).toEqual(expect.arrayContaining(['master_eth0.pcap', 'minion_eth0.pcap', 'master_docker0.pcap', 'minion_docker0.pcap']));
  });

  it('bad usage is named', async () => {
    expect((await cli(['trace', '--scenario', 'nope'])).stderr).toMatch(/UnknownScenario: "nope": --scenario: one of flannel-seed/);
    expect((await cli(['trace', '--scenario', 'flannel-seed', '--from', 'pod1'])).stderr).toMatch(/--from/);
    expect((await cli(['trace', '--modern', '--cluster', 'x.yaml'])).stderr).toMatch(/--modern.*only with --scenario/);
    expect((await cli(['trace'])).status).not.toBe(0);
  });
});
