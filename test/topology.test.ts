// The topology generator (src/topology): address and MAC arithmetic at its
// boundaries, the CNIs' naming rules, and clusters of up to 5,000 nodes with
// 30 pods each in which no address, MAC or name repeats.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors.js';
import { formatIPv4, parseIPv4 } from '../src/net/ip.js';
import { sha1Hex } from '../src/topology/sha1.js';
import {
  CALICO_HOST_MAC,
  CNI_MAC_PREFIX,
  caliName,
  calicoCluster,
  calicoNode,
  calicoRouter,
  cniVethName,
  flannelCluster,
  flannelNode,
  hostCount,
  macFromIPv4,
  nthHost,
  nthSubnet,
  planCalico,
  planFlannel,
  prefix4,
  prefixText,
  qemuMac,
  randomMac,
  subnetCount,
  type ClusterPlan,
} from '../src/topology/index.js';

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const fails = (f: () => unknown, code: string, text: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).code).toBe(code);
  expect((err as InputError).message).toMatch(text);
};

describe('topology: SHA-1 and names', () => {
  it('sha1Hex equals node:crypto on empty, padding-boundary, multi-block and UTF-8 input', () => {
    for (const s of ['', 'abc', 'default.nginx', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(1000), 'é✓'.repeat(40)]) expect(sha1Hex(s)).toBe(sha1(s));
  });

  it("Calico's host veth name: prefix + 11 hex of SHA-1(namespace.pod), 15 characters", () => {
    expect(caliName('default', 'nginx')).toBe('calic440f455693');
    expect(caliName('kube-system', 'coredns-5d78c9869d-abcde')).toBe('cali' + sha1('kube-system.coredns-5d78c9869d-abcde').slice(0, 11));
    expect(caliName('default', 'nginx', 'tap')).toBe('tapc440f455693');
    expect(caliName('a', 'b.c')).toBe(caliName('a.b', 'c')); // Calico's rule joins with a dot, so these collide in Calico too
  });

  it("the bridge plugin's veth name: veth + 8 hex", () => {
    expect(cniVethName('seed')).toMatch(/^veth[0-9a-f]{8}$/);
    expect(cniVethName('seed')).toBe('veth' + sha1('seed').slice(0, 8));
  });
});

describe('topology: MACs', () => {
  it('GenerateHardwareAddr4: 0a:58 + the IPv4 bytes', () => {
    expect(macFromIPv4(CNI_MAC_PREFIX, '10.244.1.2')).toBe('0a:58:0a:f4:01:02');
    expect(macFromIPv4(CNI_MAC_PREFIX, parseIPv4('255.0.128.1'))).toBe('0a:58:ff:00:80:01');
  });

  it('random MACs are locally administered unicast and stable per seed', () => {
    for (let i = 0; i < 200; i++) {
      const m = randomMac(`s${i}`);
      const b0 = parseInt(m.slice(0, 2), 16);
      expect(b0 & 1).toBe(0);
      expect(b0 & 2).toBe(2);
      expect(randomMac(`s${i}`)).toBe(m);
    }
  });

  it('QEMU MACs carry the low three bytes of the address', () => {
    expect(qemuMac(parseIPv4('10.0.0.255'))).toBe('52:54:00:00:00:ff');
    expect(qemuMac(parseIPv4('10.0.1.0'))).toBe('52:54:00:00:01:00');
  });
});

describe('topology: address arithmetic', () => {
  it('hosts of a prefix, without network and broadcast (all of a /31 and /32)', () => {
    const p24 = prefix4('10.0.0.0/24');
    expect(hostCount(24)).toBe(254);
    expect(formatIPv4(nthHost(p24, 1))).toBe('10.0.0.1');
    expect(formatIPv4(nthHost(p24, 254))).toBe('10.0.0.254');
    fails(() => nthHost(p24, 255, 'node 245'), 'AddressExhausted', /node 245 needs host number 255, but 10.0.0.0\/24 has hosts 1..254/);
    fails(() => nthHost(p24, 0), 'AddressExhausted', /hosts 1..254/);
    const p16 = prefix4('10.0.0.0/16');
    expect(formatIPv4(nthHost(p16, 255))).toBe('10.0.0.255');
    expect(formatIPv4(nthHost(p16, 256))).toBe('10.0.1.0');
    expect(formatIPv4(nthHost(p16, 65534))).toBe('10.0.255.254');
    expect(formatIPv4(nthHost(prefix4('10.0.0.0/31'), 0))).toBe('10.0.0.0');
    expect(formatIPv4(nthHost(prefix4('10.0.0.7/32'), 0))).toBe('10.0.0.7');
    expect(formatIPv4(nthHost(prefix4('255.255.255.0/24'), 254))).toBe('255.255.255.254');
  });

  it('subnets of a network: /24s of a /16, /26 blocks of a /16, the last one and one past it', () => {
    const net = prefix4('10.244.0.0/16');
    expect(subnetCount(net, 24)).toBe(256);
    expect(prefixText(nthSubnet(net, 24, 255))).toBe('10.244.255.0/24');
    fails(() => nthSubnet(net, 24, 256, 'node 256'), 'AddressExhausted', /node 256 needs \/24 number 256, but 10.244.0.0\/16 holds \/24s 0..255/);
    const pool = prefix4('192.168.0.0/16');
    expect(subnetCount(pool, 26)).toBe(1024);
    expect(prefixText(nthSubnet(pool, 26, 4))).toBe('192.168.1.0/26');
    expect(prefixText(nthSubnet(pool, 26, 1023))).toBe('192.168.255.192/26');
    fails(() => nthSubnet(pool, 26, 1024), 'AddressExhausted', /0..1023/);
    fails(() => nthSubnet(pool, 8, 0), 'InvalidPrefixLength', /16..32/);
    fails(() => prefix4('10.0.0.1/24'), 'InvalidPrefix', /invalid prefix for given prefix length/);
  });
});

describe('topology: Flannel', () => {
  it('node 255 takes the last /24 of 10.244.0.0/16; node 256 has none (flanneld skips the first)', () => {
    const plan = planFlannel({ nodes: 255, podsPerNode: 0 });
    expect(plan.nodes[0].podCidr).toBe('10.244.1.0/24');
    expect(plan.nodes[254].podCidr).toBe('10.244.255.0/24');
    fails(() => planFlannel({ nodes: 256, podsPerNode: 0 }), 'AddressExhausted', /node 256 .*flanneld leases \/24s 1..255 of 10.244.0.0\/16/);
  });

  it('node addresses cross the octet boundary in a /16 underlay; a /24 underlay runs out at its broadcast address', () => {
    const plan = planFlannel({ nodes: 300, podsPerNode: 0, network: '10.128.0.0/9', firstHost: 1, racks: [{ segment: 'lan', cidr: '10.0.0.0/16', gateway: '10.0.255.254' }] });
    expect([plan.nodes[254].address, plan.nodes[255].address]).toEqual(['10.0.0.255', '10.0.1.0']);
    expect([plan.nodes[254].mac, plan.nodes[255].mac]).toEqual(['52:54:00:00:00:ff', '52:54:00:00:01:00']);
    expect(planFlannel({ nodes: 244, podsPerNode: 0, racks: [{ segment: 'lan', cidr: '10.0.0.0/24' }] }).nodes[243].address).toBe('10.0.0.254');
    fails(() => planFlannel({ nodes: 245, podsPerNode: 0, racks: [{ segment: 'lan', cidr: '10.0.0.0/24' }] }), 'AddressExhausted', /node 245 needs host number 255/);
  });

  it("flanneld's SubnetLen: /24 for a /22 or shorter network, else length + 2; its own errors", () => {
    expect(planFlannel({ nodes: 1, network: '10.244.0.0/23' }).nodes[0].podCidr).toBe('10.244.0.128/25');
    expect(planFlannel({ nodes: 1, network: '10.244.0.0/22' }).nodes[0].podCidr).toBe('10.244.1.0/24');
    fails(() => planFlannel({ nodes: 1, subnetLen: 31 }), 'BadSubnetLen', /SubnetLen must be less than \/31/);
    fails(() => planFlannel({ nodes: 1, network: '10.244.0.0/16', subnetLen: 17 }), 'BadSubnetLen', /at least four subnets/);
  });

  it('pods from host 2 of the lease (the gateway is host 1) to the last before broadcast', () => {
    const plan = planFlannel({ nodes: 1, podsPerNode: 253 });
    expect(plan.nodes[0].pods[0].address).toBe('10.244.1.2');
    expect(plan.nodes[0].pods[252].address).toBe('10.244.1.254');
    fails(() => planFlannel({ nodes: 1, podsPerNode: 254 }), 'AddressExhausted', /pod 254 of node 1 needs host number 255/);
  });

  it('a vxlan node: cni0, flannel.1 and per remote lease a route, a permanent neighbour and an FDB entry that agree with that node', () => {
    const plan = planFlannel({ nodes: 3, podsPerNode: 2 });
    const n1 = flannelNode(plan, 0);
    expect(n1.interfaces).toEqual([
      { kind: 'phys', name: 'eth0', segment: 'lan', address: '10.0.0.11/16', mac: '52:54:00:00:00:0b' },
      { kind: 'bridge', name: 'cni0', address: '10.244.1.1/24', mac: '0a:58:0a:f4:01:01', mtu: 1450 },
      { kind: 'vxlan', name: 'flannel.1', vni: 1, local: '10.0.0.11', dev: 'eth0', dstport: 8472, learning: false, mac: plan.vtepMacs[0], address: '10.244.1.0/32', mtu: 1450 },
    ]);
    expect(n1.routes).toEqual(['10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink', '10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink', 'default via 10.0.0.1 dev eth0']);
    expect(n1.neigh).toEqual([`10.244.2.0 lladdr ${plan.vtepMacs[1]} dev flannel.1 nud permanent`, `10.244.3.0 lladdr ${plan.vtepMacs[2]} dev flannel.1 nud permanent`]);
    expect(n1.fdb).toEqual([`${plan.vtepMacs[1]} dev flannel.1 dst 10.0.0.12 self permanent`, `${plan.vtepMacs[2]} dev flannel.1 dst 10.0.0.13 self permanent`]);
    expect(flannelNode(plan, 2).interfaces[2]).toMatchObject({ mac: plan.vtepMacs[2], local: '10.0.0.13' });
    expect(n1.pods[1]).toMatchObject({ name: 'pod-1-2', address: '10.244.1.3/24', mac: '0a:58:0a:f4:01:03', bridge: 'cni0', routes: ['default via 10.244.1.1 dev eth0'], mtu: 1450 });
    expect(n1.pods[1].hostVeth).toMatch(/^veth[0-9a-f]{8}$/);
    expect(planFlannel({ nodes: 2, missAgent: true }).vtepMacs).toHaveLength(2);
    const dyn = flannelNode(planFlannel({ nodes: 2, missAgent: true }), 0);
    expect([dyn.neigh, dyn.fdb]).toEqual([[], []]);
  });

  it('host-gw: routes via the other nodes on eth0, pods at the underlay MTU; it refuses several segments', () => {
    const s = flannelCluster({ nodes: 2, backend: 'host-gw', underlayMtu: 9000 });
    expect(s.nodes[0].interfaces.map((i) => i.name)).toEqual(['eth0', 'cni0']);
    expect(s.nodes[0].routes[0]).toBe('10.244.2.0/24 via 10.0.0.12 dev eth0');
    expect(s.nodes[0].pods[0].mtu).toBe(9000);
    fails(() => planFlannel({ nodes: 2, backend: 'host-gw', racks: [{ segment: 'a', cidr: '10.0.1.0/24' }, { segment: 'b', cidr: '10.0.2.0/24' }] }), 'BadTopology', /one segment/);
  });

  it('refuses a pod network overlapping the underlay, duplicate names and bad counts', () => {
    fails(() => planFlannel({ nodes: 1, network: '10.0.0.0/16' }), 'Overlap', /apart from the underlay 10.0.0.0\/16/);
    fails(() => planFlannel({ nodes: 2, nodeName: () => 'x' }), 'DuplicateName', /node name used once/);
    fails(() => planFlannel({ nodes: 2, podName: () => 'p' }), 'DuplicateName', /pod name used once/);
    fails(() => planFlannel({ nodes: 1, podsPerNode: 2, hostVeth: () => 'vethx' }), 'DuplicateName', /device name used once on node1/);
    fails(() => planFlannel({ nodes: 0 }), 'BadCount', /nodes: an integer >= 1/);
    fails(() => planFlannel({ nodes: 2, podsPerNode: [1] }), 'BadCount', /one count per node/);
  });
});

describe('topology: Calico', () => {
  it('/26 blocks: 64 pods from ordinal 0, the 65th does not fit; /24 blocks take 256', () => {
    const p = planCalico({ nodes: 2, podsPerNode: 64 });
    expect(p.nodes[1].podCidr).toBe('192.168.0.64/26');
    expect([p.nodes[1].pods[0].address, p.nodes[1].pods[63].address]).toEqual(['192.168.0.64', '192.168.0.127']);
    fails(() => planCalico({ nodes: 1, podsPerNode: 65 }), 'AddressExhausted', /pod 65 of node 1 needs ordinal 64, but a \/26 block has ordinals 0..63/);
    fails(() => planCalico({ nodes: 1, podsPerNode: 63, firstOrdinal: 2 }), 'AddressExhausted', /ordinal 64/);
    const q = planCalico({ nodes: 2, podsPerNode: 30, blockSize: 24 });
    expect(q.nodes[1].podCidr).toBe('192.168.1.0/24');
    expect(q.nodes[1].pods[29].address).toBe('192.168.1.29');
    fails(() => planCalico({ nodes: 1025 , podsPerNode: 0 }), 'AddressExhausted', /node 1025 \(192.168.0.0\/16 holds 1024 \/26 blocks\)/);
    fails(() => planCalico({ nodes: 2, blockOrdinal: () => 3 }), 'Overlap', /one block per node \(node1 and node2/);
  });

  it('a node: /32 routes to its cali veths, its blackhole, BIRD routes to the other blocks, proxy_arp', () => {
    const plan = planCalico({ nodes: 2, podsPerNode: 1, namespace: 'web' });
    const n = calicoNode(plan, 0);
    const veth = caliName('web', 'pod-1-1');
    expect(n.routes).toEqual([`192.168.0.0 dev ${veth} scope link`, 'blackhole 192.168.0.0/26 proto bird', '192.168.0.64/26 via 10.0.0.12 dev eth0 proto bird', 'default via 10.0.0.1 dev eth0']);
    expect(n.neigh).toEqual([`192.168.0.0 lladdr ${plan.nodes[0].pods[0].mac} dev ${veth} nud permanent`]);
    expect(n.sysctls).toEqual({ 'net.ipv4.ip_forward': '1', [`net.ipv4.conf.${veth}.proxy_arp`]: '1', [`net.ipv4.neigh.${veth}.proxy_delay`]: '0', [`net.ipv4.conf.${veth}.forwarding`]: '1' });
    expect(n.pods[0]).toEqual({ name: 'pod-1-1', address: '192.168.0.0/32', mac: plan.nodes[0].pods[0].mac, hostVeth: veth, hostVethMac: CALICO_HOST_MAC, routes: ['169.254.1.1 dev eth0 scope link', 'default via 169.254.1.1 dev eth0'] });
  });

  it('racks behind a router: peers in the rack directly, the others via the gateway; the router routes every block', () => {
    const racks = [
      { segment: 'rack-a', cidr: '10.0.1.0/24' },
      { segment: 'rack-b', cidr: '10.0.2.0/24' },
    ];
    const plan = planCalico({ nodes: 4, podsPerNode: 0, racks });
    expect(plan.nodes.map((n) => `${n.segment} ${n.address}`)).toEqual(['rack-a 10.0.1.11', 'rack-a 10.0.1.12', 'rack-b 10.0.2.11', 'rack-b 10.0.2.12']);
    expect(calicoNode(plan, 0).routes.slice(1)).toEqual([
      '192.168.0.64/26 via 10.0.1.12 dev eth0 proto bird',
      '192.168.0.128/26 via 10.0.1.1 dev eth0 proto bird',
      '192.168.0.192/26 via 10.0.1.1 dev eth0 proto bird',
      'default via 10.0.1.1 dev eth0',
    ]);
    expect(calicoRouter(plan)).toEqual({
      name: 'r1',
      interfaces: [
        { kind: 'phys', name: 'eth0', segment: 'rack-a', address: '10.0.1.1/24', mac: '52:54:00:00:01:01' },
        { kind: 'phys', name: 'eth1', segment: 'rack-b', address: '10.0.2.1/24', mac: '52:54:00:00:02:01' },
      ],
      routes: ['192.168.0.0/26 via 10.0.1.11 dev eth0', '192.168.0.64/26 via 10.0.1.12 dev eth0', '192.168.0.128/26 via 10.0.2.11 dev eth1', '192.168.0.192/26 via 10.0.2.12 dev eth1'],
      sysctls: { 'net.ipv4.ip_forward': '1' },
      pods: [],
    });
    expect(calicoRouter(planCalico({ nodes: 2 }))).toBeUndefined();
    const s = calicoCluster({ nodes: 4, racks });
    expect(s.segments).toEqual([{ name: 'rack-a' }, { name: 'rack-b' }]);
    expect(s.nodes.map((n) => n.name)).toEqual(['node1', 'node2', 'node3', 'node4', 'r1']);
  });
});

/** Every address, MAC and name of a plan, checked for repeats. */
function expectNoCollisions(plan: ClusterPlan, extraMacs: string[], sharedHostMac?: string): void {
  const addrs = new Set<string>();
  const macs = new Set<string>(extraMacs);
  const names = new Set<string>();
  let n = extraMacs.length;
  let count = 0;
  for (const node of plan.nodes) {
    addrs.add(node.address);
    macs.add(node.mac);
    names.add(node.name);
    count++;
    n++;
    const veths = new Set<string>();
    for (const p of node.pods) {
      addrs.add(p.address);
      macs.add(p.mac);
      n++;
      if (p.hostVethMac !== sharedHostMac) {
        macs.add(p.hostVethMac);
        n++;
      }
      names.add(p.name);
      count++;
      veths.add(p.hostVeth);
      if (p.hostVeth.length > 15) expect(p.hostVeth).toHaveLength(15);
    }
    expect(veths.size).toBe(node.pods.length);
  }
  expect(addrs.size).toBe(count);
  expect(names.size).toBe(count);
  expect(macs.size).toBe(n);
}

describe('topology: 5,000 nodes with 30 pods each', () => {
  it('Calico: every address, MAC, pod name and cali name is unique', () => {
    const plan = planCalico({ nodes: 5000, podsPerNode: 30, pool: '10.128.0.0/12' });
    // node 5000: host 11 + 4999 = 19 * 256 + 146; block 4999 * 64 = 4 * 65536 + 225 * 256 + 192
    expect(plan.nodes[4999]).toMatchObject({ address: '10.0.19.146', podCidr: '10.132.225.192/26' });
    expectNoCollisions(plan, [], CALICO_HOST_MAC);
    const cali = new Set(plan.nodes.flatMap((n) => n.pods.map((p) => p.hostVeth)));
    expect(cali.size).toBe(150_000);
    for (const name of cali) expect(name).toMatch(/^cali[0-9a-f]{11}$/);
  });

  it('Flannel vxlan: every address, MAC (VtepMACs included) and name is unique', () => {
    const plan = planFlannel({ nodes: 5000, podsPerNode: 30, network: '10.64.0.0/10' });
    // lease 5000 (the first is skipped): 5000 = 19 * 256 + 136 /24s above 10.64.0.0
    expect(plan.nodes[4999].podCidr).toBe('10.83.136.0/24');
    const cni0 = plan.nodes.map((n) => macFromIPv4(CNI_MAC_PREFIX, prefix4(n.podCidr).addr + 1));
    expectNoCollisions(plan, [...plan.vtepMacs, ...cni0]);
    expect(new Set(plan.vtepMacs).size).toBe(5000);
  });
});
