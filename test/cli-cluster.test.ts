// `cnikit cluster check|show` and `cnikit trace --cluster` on cluster files.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './support/io.js';

const dir = mkdtempSync(join(tmpdir(), 'cnikit-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const SHOP = file('shop.yaml', `name: shop
underlay:
  racks:
    - { name: rack1, cidr: 10.0.1.0/24 }
    - { name: rack2, cidr: 10.0.2.0/24 }
nodes:
  - { name: master, rack: rack1, ip: 10.0.1.10, subnet: 10.244.1.0/24 }
  - { name: node1, rack: rack1, pods: 2, subnet: 10.244.2.0/24 }
  - { name: node2, rack: rack2, subnet: 10.244.3.0/24, pods: [ { name: web-1, namespace: shop } ] }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: vxlan } }
events:
  - { at: 10m, node-down: node2 }
`);

describe('cnikit cluster check', () => {
  it('prints the summary and exits 0 when every pod reaches every pod', async () => {
    const r = await cli(['cluster', 'check', SHOP, '--design', 'flannel']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('shop (flannel): 3 nodes (3 live), 3 pods (3 live); 6/6 pod pairs delivered (every pair)\nok\n');
  });

  it('--at applies the events up to that time; --json gives the report', async () => {
    const r = await cli(['cluster', 'check', SHOP, '--design', 'flannel', '--at', '15m', '--json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, liveNodes: 2, livePods: 2, pairs: 2, delivered: 2, events: ['10m0s node-down node2'], violations: [] });
  });

  it('exits 1 naming the first violations (host-gw across racks)', async () => {
    const f = file('hostgw.yaml', `underlay:
  racks: [ { name: r1, cidr: 10.0.1.0/24 }, { name: r2, cidr: 10.0.2.0/24 } ]
nodes: [ { name: a, rack: r1, pods: 1 }, { name: b, rack: r2, pods: 1 } ]
flannel: { netConf: { Network: 10.244.0.0/16, Backend: { Type: host-gw } } }
`);
    const r = await cli(['cluster', 'check', f, '--design', 'flannel']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAILED: \d+ violation\(s\)\n  a-pod-1 \(10\.244\.\d+\.2, a\) -> b-pod-1/);
    expect(r.stdout).toMatch(/a: flanneld: \[0\.000s\] Error adding route to \{Ifindex: 2 Dst: 10\.244\.\d+\.0\/24 Src: <nil> Gw: 10\.0\.2\.11 .*\}: network is unreachable/);
  });

  it('a bad file is one line naming file:line and exit 2; an unknown design too', async () => {
    const f = file('bad.yaml', 'nodes:\n  - { name: a, ip: 10.0.0.5 }\n  - { name: b, ip: 10.0.0.5 }\n');
    const r = await cli(['cluster', 'check', f, '--design', 'flannel']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`cnikit: AddressInUse: "10.0.0.5" at ${f}:3: an address no other node has (a, line 2, has 10.0.0.5)\n`);
    const c = await cli(['cluster', 'check', SHOP, '--design', 'calico']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/UnknownDesign: "calico": --design: flannel \(calico is not built yet\)/);
  });
});

describe('the reference cluster file (../shared/reference/cluster-file.md, verbatim)', () => {
  it('checks: 103 nodes, 3,004 pods, one pair per node pair delivered; events applied at --at', async () => {
    const f = fileURLToPath(new URL('./fixtures/cluster/shop-prod.yaml', import.meta.url));
    const r = await cli(['cluster', 'check', f, '--design', 'flannel', '--at', '31m']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('shop-prod (flannel): 103 nodes (103 live), 3004 pods (3004 live); 10403/10403 pod pairs delivered (one pair per node pair)\n' +
      'events applied: 10m0s node-down node2, 12m0s bgp-stop master, 30m0s node-up node2\nok\n');
    expect(r.status).toBe(0);
  });
});

describe('cnikit cluster show', () => {
  it('prints subnet.env, ip route, etcd and iptables-save of a node', async () => {
    const env = await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'node1', '--what', 'subnet-env']);
    expect(env.stdout).toBe('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n');
    const route = await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'master', '--what', 'ip-route']);
    expect(route.stdout).toContain('10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink');
    const etcd = await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'master', '--what', 'etcd']);
    expect(etcd.stdout.split('\n')[0]).toBe('/coreos.com/network/config');
    const ipt = await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'master', '--what', 'iptables-save']);
    expect(ipt.stdout).toContain('-A FLANNEL-POSTRTG -s 10.244.1.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN');
  });

  it('--at: after node2 goes down its NIC is down', async () => {
    const r = await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'node2', '--what', 'ip-link', '--at', '11m']);
    expect(r.stdout).toMatch(/eth0: <BROADCAST,MULTICAST>/);
  });

  it('refuses an unknown view or node', async () => {
    expect((await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'x', '--what', 'ip-route'])).stderr).toMatch(/UnknownNode: "x": --node/);
    expect((await cli(['cluster', 'show', SHOP, '--design', 'flannel', '--node', 'master', '--what', 'birdc-routes'])).stderr).toMatch(/UnknownView: "birdc-routes": --what: one of ip-route/);
  });
});

describe('cnikit trace --cluster', () => {
  it('walks a pod to a pod by name, hop by hop; --json has the disposition; --pcap one capture per device crossed', async () => {
    const pcap = join(dir, 'pcap');
    const r = await cli(['trace', '--cluster', SHOP, '--design', 'flannel', '--from', 'node1-pod-1', '--to', 'web-1', '--pcap', pcap]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('node1-pod-1 -> web-1 (10.244.3.2) icmp: DELIVERED');
    expect(r.stdout).toContain('encapsulate vxlan vni 1 dstport 8472 10.0.1.11 > 10.0.2.11');
    expect(r.stdout.match(/^ {2}\S+$/gm)).toEqual(['  node1-pod-1', '  node1', '  router', '  node2', '  web-1']);
    expect(readdirSync(pcap).sort()).toContain('router_eth1.pcap');
    const j = await cli(['trace', '--cluster', SHOP, '--design', 'flannel', '--from', 'node1-pod-1', '--to', '10.244.3.2', '--json']);
    expect(JSON.parse(j.stdout).disposition).toBe('DELIVERED');
  });

  it('exits 1 when the packet is not delivered (node2 down at 11m)', async () => {
    const r = await cli(['trace', '--cluster', SHOP, '--design', 'flannel', '--from', 'node1-pod-1', '--to', '10.244.3.2', '--at', '11m']);
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[0]).not.toMatch(/DELIVERED$/);
  });
});
