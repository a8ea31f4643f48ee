// The cluster file: parsing, generation, and errors naming file, line and what was expected.
import { describe, expect, it } from 'vitest';
import { parseCluster, parseDuration, formatDuration } from '../src/cluster/index.js';

const err = (text: string): string => {
  try {
    parseCluster(text, 'c.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

const RACKS = `underlay:
  racks:
    - { name: rack1, cidr: 10.0.1.0/24 }
    - { name: rack2, cidr: 10.0.2.0/24 }
`;

describe('reading a cluster file', () => {
  it('expands the reference example: nodes, addresses, pods, generated workers round-robin over racks', () => {
    const c = parseCluster(`name: shop-prod
${RACKS}nodes:
  - { name: master, rack: rack1, ip: 10.0.1.10 }
  - { name: node1, rack: rack1, pods: 3 }
  - { name: node2, rack: rack2, pods: [ { name: web-1, namespace: shop, labels: { app: web },
      ports: [ { name: http, containerPort: 8080, protocol: TCP } ] } ] }
  - { generate: 100, prefix: worker-, racks: [rack1, rack2], pods: 30 }
namespaces:
  shop: { team: payments }
events:
  - { at: 30m, node-up: node2 }
  - { at: 10m, node-down: node2 }
`, 'shop.yaml');
    expect(c.name).toBe('shop-prod');
    expect(c.underlay.mtu).toBe(1500);
    expect(c.nodes).toHaveLength(103);
    expect(c.nodes.slice(0, 3).map((n) => `${n.name} ${n.rack} ${n.ip}`)).toEqual(['master rack1 10.0.1.10', 'node1 rack1 10.0.1.11', 'node2 rack2 10.0.2.11']);
    expect(c.nodes.slice(3, 6).map((n) => `${n.name} ${n.rack} ${n.ip}`)).toEqual(['worker-001 rack1 10.0.1.12', 'worker-002 rack2 10.0.2.12', 'worker-003 rack1 10.0.1.13']);
    expect(c.nodes[1].pods.map((p) => p.name)).toEqual(['node1-pod-1', 'node1-pod-2', 'node1-pod-3']);
    expect(c.nodes[2].pods[0]).toMatchObject({ name: 'web-1', namespace: 'shop', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] });
    expect(c.pods).toHaveLength(3 + 1 + 3000);
    expect(c.namespaces.shop).toEqual({ team: 'payments', 'kubernetes.io/metadata.name': 'shop' });
    expect(c.namespaces.default['kubernetes.io/metadata.name']).toBe('default');
    expect(c.events.map((e) => `${e.atMs} ${e.kind} ${e.node}`)).toEqual(['600000 node-down node2', '1800000 node-up node2']);
    expect(c.source.line(['nodes', 2, 'pods', 0, 'labels'])).toBe(9);
  });

  it('JSON is YAML too; defaults: one rack lan 10.0.0.0/16, flannel vxlan on 10.244.0.0/16, ip-masq on', () => {
    const c = parseCluster('{"nodes": [{"name": "a", "pods": 1}, {"name": "b"}], "flannel": {}}', 'c.json');
    expect(c.underlay.racks.map((r) => `${r.name} ${r.cidr} ${r.gateway}`)).toEqual(['lan 10.0.0.0/16 10.0.0.1']);
    expect(c.nodes.map((n) => n.ip)).toEqual(['10.0.0.11', '10.0.0.12']);
    expect(c.flannel).toMatchObject({ netConf: { Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } }, legacyMisses: false, legacyVersion: 'v0.5', ipMasq: true, startup: 'rollout' });
  });

  it('a top-level pods list places pods on named nodes', () => {
    const c = parseCluster('nodes: [{name: a}]\npods:\n  - {name: p, node: a, ip: 10.244.1.9}\n', 'c.yaml');
    expect(c.nodes[0].pods.map((p) => `${p.name} ${p.ip}`)).toEqual(['p 10.244.1.9']);
  });

  it('skips addresses given to other nodes when assigning', () => {
    const c = parseCluster('nodes:\n  - {name: a}\n  - {name: b, ip: 10.0.0.12}\n  - {name: c}\n', 'c.yaml');
    expect(c.nodes.map((n) => n.ip)).toEqual(['10.0.0.11', '10.0.0.12', '10.0.0.13']);
  });
});

describe('cluster file errors: file, line, what was expected', () => {
  it.each([
    ['an unknown top-level key', 'nodes: []\nflanel: {}\n', /UnknownKey: "flanel" at c.yaml:2: a key of the cluster file \(name, underlay, nodes/],
    ['an unknown node key', 'nodes:\n  - name: a\n    rak: rack1\n', /UnknownKey: "rak" at c.yaml:3: a key of a node \(name, rack, ip/],
    ['a node ip outside its rack', `${RACKS}nodes:\n  - { name: a, rack: rack2, ip: 10.0.1.5 }\n`, /OutsideRack: "10.0.1.5" at c.yaml:6: an address inside rack rack2 \(10.0.2.0\/24\)/],
    ['two nodes with one IP', `${RACKS}nodes:\n  - { name: a, rack: rack1, ip: 10.0.1.5 }\n  - { name: b, rack: rack1, ip: 10.0.1.5 }\n`, /AddressInUse: "10.0.1.5" at c.yaml:7: an address no other node has \(a, line 6, has 10.0.1.5\)/],
    ['the gateway as a node ip', 'nodes: [{name: a, ip: 10.0.0.1}]\n', /AddressInUse: "10.0.0.1" at c.yaml:1: an address other than rack lan's gateway/],
    ['a pod on an unknown node', 'nodes: [{name: a}]\npods:\n  - {name: p, node: b}\n', /UnknownNode: "b" at c.yaml:3: a node of this file \(a\)/],
    ['an unknown rack', 'nodes:\n  - {name: a, rack: r9}\n', /UnknownRack: "r9" at c.yaml:2: a rack of underlay.racks \(lan\)/],
    ['a malformed CIDR', 'underlay:\n  racks:\n    - {name: r, cidr: 10.0.1.1/24}\n', /BadPrefix: "10.0.1.1\/24" at c.yaml:3: cidr of rack r: an IPv4 prefix with its host bits clear/],
    ['a bad duration', 'nodes: [{name: a}]\nevents:\n  - {at: 10 minutes, node-down: a}\n', /BadDuration: "10 minutes" at c.yaml:3: a time in Go duration syntax/],
    ['an event on an unknown node', 'nodes: [{name: a}]\nevents:\n  - {at: 1m, node-down: z}\n', /UnknownNode: "z" at c.yaml:3/],
    ['two pods with one name', 'nodes:\n  - {name: a, pods: [{name: p}]}\n  - {name: b, pods: [{name: p}]}\n', /DuplicateName: "p" at c.yaml:3: a pod name used once in the cluster, and by no node \(line 2 has it\)/],
    ['a Calico block outside its pool', 'nodes:\n  - {name: a, blocks: [10.9.0.0/26]}\ncalico:\n  ipPools: [{cidr: 192.168.0.0/16}]\n', /OutsidePool: "10.9.0.0\/26" at c.yaml:2: a block inside calico.ipPools \(192.168.0.0\/16\)/],
    ['a Calico block of the wrong size', 'nodes:\n  - {name: a, blocks: [192.168.0.0/24]}\ncalico:\n  ipPools: [{cidr: 192.168.0.0/16, blockSize: 26}]\n', /BadCluster: "192.168.0.0\/24" at c.yaml:2: a \/26 block \(the pool's blockSize\)/],
    ['a borrowed address outside the pools', 'nodes:\n  - {name: a, borrowed: [10.1.1.1]}\ncalico:\n  ipPools: [{cidr: 192.168.0.0/16}]\n', /OutsidePool: "10.1.1.1" at c.yaml:2/],
    ['an unknown BGP key', 'nodes: []\ncalico:\n  bgp:\n    asnumber: 64512\n', /UnknownKey: "asnumber" at c.yaml:4: a key of calico.bgp \(asNumber/],
    ['a bad encapsulation mode', 'nodes: []\ncalico:\n  ipPools:\n    - {cidr: 192.168.0.0/16, ipipMode: Sometimes}\n', /BadCluster: "Sometimes" at c.yaml:4: Never, Always, CrossSubnet/],
    ['an unknown route reflector', 'nodes: [{name: a}]\ncalico:\n  bgp:\n    routeReflectors: [b]\n', /UnknownNode: "b" at c.yaml:4/],
    ['a blockSize shorter than its pool', 'nodes: []\ncalico:\n  ipPools: [{cidr: 192.168.0.0/24, blockSize: 22}]\n', /a blockSize no shorter than the pool's \/24/],
    ['a bad legacyVersion', 'nodes: []\nflannel:\n  legacyVersion: v0.9\n', /BadCluster: "v0.9" at c.yaml:3: v0.5 \(the seed's flanneld\) or v0.4/],
    ['a bad startup', 'nodes: []\nflannel:\n  startup: eager\n', /BadCluster: "eager" at c.yaml:3: rollout/],
    ['an event with two kinds', 'nodes: [{name: a}]\nevents:\n  - {at: 1m, node-down: a, node-up: a}\n', /exactly one of node-down/],
    ['an event without at', 'nodes: [{name: a}]\nevents:\n  - {node-down: a}\n', /an event with `at:`/],
    ['a port with a bad protocol', 'nodes:\n  - {name: a, pods: [{name: p, ports: [{containerPort: 80, protocol: ICMP}]}]}\n', /TCP, UDP or SCTP/],
    ['a rack of /31', 'underlay:\n  racks: [{name: r, cidr: 10.0.0.0/31}]\n', /a rack subnet of \/30 or shorter/],
    ['overlapping racks', 'underlay:\n  racks: [{name: r, cidr: 10.0.0.0/16}, {name: s, cidr: 10.0.1.0/24}]\n', /Overlap: "10.0.1.0\/24" at c.yaml:2: a rack subnet apart from rack r/],
    ['a full rack', 'underlay:\n  racks: [{name: r, cidr: 10.0.0.0/28}]\nnodes:\n  - {name: a}\n  - {name: b}\n  - {name: c}\n  - {name: d}\n  - {name: e}\n', /AddressExhausted: "e" at c.yaml:8: a free address in rack r/],
    ['a YAML syntax error', 'nodes: [\n  {name: a\n', /BadYaml: "c.yaml" at c.yaml:\d+: YAML/],
    ['a duplicate key', 'nodes: []\nnodes: []\n', /BadYaml: "c.yaml" at c.yaml:2: YAML \(Map keys must be unique/],
  ])('%s', (_, text, re) => {
    expect(err(text)).toMatch(re);
  });
});

describe('Go durations', () => {
  it.each([['90s', 90_000], ['10m', 600_000], ['1h30m', 5_400_000], ['1.5h', 5_400_000], ['300ms', 300], ['0', 0], ['2h45m30.5s', 9_930_500]])('%s = %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });
  it('refuses what Go refuses (and negatives)', () => {
    for (const s of ['', '10', 'm', '10x', '-5m', '1h 30m']) expect(() => parseDuration(s)).toThrow(/BadDuration/);
  });
  it('prints as Go does', () => {
    expect([formatDuration(600_000), formatDuration(5_400_000), formatDuration(0), formatDuration(1500)]).toEqual(['10m0s', '1h30m0s', '0s', '1.5s']);
  });
});
