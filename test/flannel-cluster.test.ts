// flanneld programming live kernels through the door, per backend, from cluster files.
import { describe, expect, it } from 'vitest';
import { buildCluster, parseCluster, verifyCluster } from '../src/cluster/index.js';
import { flannelDesign } from '../src/flannel/index.js';
import { readSubnetEnv } from '../src/flannel/subnet-env.js';
import { flannelClusters } from './support/flannel-clusters.js';

const h = flannelClusters();
const { cluster } = h;

const TWO_RACKS = `underlay:
  racks:
    - { name: rack1, cidr: 10.0.1.0/24 }
    - { name: rack2, cidr: 10.0.2.0/24 }
`;


const three = (backend: string, extra = '') => `nodes:
  - { name: a, subnet: 10.244.1.0/24, pods: 2 }
  - { name: b, subnet: 10.244.2.0/24, pods: 1 }
  - { name: c, subnet: 10.244.3.0/24, pods: 1 }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: ${backend}${extra} } }
`;

describe('vxlan', () => {
  it('programs flannel.1, one neighbour, FDB entry and onlink route per remote lease, cni0 and pods; every pod reaches every pod', () => {
    const r = cluster(three('vxlan'));
    const mac = (n: string) => r.net.ns(n).iface('flannel.1').mac;
    expect(r.net.ipRoute('a')).toBe([
      '10.0.0.0/16 dev eth0 proto kernel scope link src 10.0.0.11 ',
      '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 ',
      '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink ',
      '10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink ',
      '',
    ].join('\n'));
    expect(r.net.ipNeigh('a')).toContain(`10.244.2.0 dev flannel.1 lladdr ${mac('b')} PERMANENT`);
    expect(r.net.bridgeFdb('a')).toContain(`${mac('c')} dev flannel.1 dst 10.0.0.13 self permanent`);
    expect(r.net.ipLink('a')).toMatch(/flannel\.1: <[^>]*> mtu 1450 [\s\S]*vxlan id 1 local 10\.0\.0\.11 dev eth0 .*dstport 8472 nolearning/);
    expect(r.net.ipRoute('a-pod-1')).toBe('default via 10.244.1.1 dev eth0 \n10.244.0.0/16 via 10.244.1.1 dev eth0 \n10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 \n');
    expect(r.run.show('b', 'subnet-env')).toBe('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n');
    expect(r.run.show('a', 'etcd')).toContain(`/coreos.com/network/subnets/10.244.2.0-24\n{"PublicIP":"10.0.0.12","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"${mac('b')}"}}\n`);
    const v = verifyCluster(r);
    expect(v.violations).toEqual([]);
    expect([v.pairs, v.delivered]).toEqual([12, 12]);
    const t = r.net.walk({ from: 'a-pod-1', to: '10.244.3.2', proto: 'icmp' });
    expect(t.hops.map((h) => h.node)).toEqual(['a-pod-1', 'a', 'c', 'c-pod-1']);
    expect(JSON.stringify(t)).toMatch(/VNI 1|vni 1/i);
  });

  it('the CNI plugin reads subnet.env: a line missing is no config at all', () => {
    expect(readSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n')).toEqual({ network: '10.244.0.0/16', subnet: { addr: 0x0af40700, len: 24 }, mtu: 1450 });
    expect(readSubnetEnv('FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\n')).toBeUndefined();
    expect(readSubnetEnv(undefined)).toBeUndefined();
  });

  it('installs flanneld\'s FLANNEL-POSTRTG and FLANNEL-FWD rules as iptables-save prints them', () => {
    const r = cluster(three('vxlan'));
    const save = r.net.iptablesSave('b');
    expect(save).toContain('-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG');
    expect(save).toContain('-A FLANNEL-POSTRTG -s 10.244.2.0/24 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j RETURN');
    expect(save).toContain('-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully');
    expect(save).toContain('-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT');
  });

  it('per remote lease: neighbour, then FDB entry, then route (so the kernel never resolves)', () => {
    const r = cluster(three('vxlan'));
    const seen: string[] = [];
    r.nl.listener = (e) => void (e.ns === 'a' && seen.push(`${e.kind} ${e.op}`));
    r.backing.put('/coreos.com/network/subnets/10.244.9.0-24', '{"PublicIP":"10.0.0.99","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"0e:00:00:00:00:99"}}');
    expect(seen).toEqual(['neigh replace', 'fdb replace', 'route replace']);
    seen.length = 0;
    r.backing.delete('/coreos.com/network/subnets/10.244.9.0-24');
    expect(seen).toEqual(['neigh del', 'fdb del', 'route del']);
    expect(r.net.ipRoute('a')).not.toContain('10.244.9.0');
  });

  it('DirectRouting: a peer on the same segment gets a plain route via its address, others the vxlan route', () => {
    const r = cluster(`${TWO_RACKS}nodes:
  - { name: a, rack: rack1, subnet: 10.244.1.0/24, pods: 1 }
  - { name: b, rack: rack1, subnet: 10.244.2.0/24, pods: 1 }
  - { name: c, rack: rack2, subnet: 10.244.3.0/24, pods: 1 }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: vxlan, DirectRouting: true } }
`);
    const routes = r.net.ipRoute('a');
    expect(routes).toContain('10.244.2.0/24 via 10.0.1.12 dev eth0 ');
    expect(routes).toContain('10.244.3.0/24 via 10.244.3.0 dev flannel.1 onlink ');
    expect(r.net.ipNeigh('a')).not.toContain('10.244.2.0 ');
    expect(verifyCluster(r).violations).toEqual([]);
  });
});

describe('verification', () => {
  it('above maxPairs walks one pair per ordered pair of nodes; a broken path is named with its disposition', () => {
    const r = cluster(three('vxlan'));
    const v = verifyCluster(r, { maxPairs: 5 });
    expect(v.coverage).toBe('node-pairs');
    expect(v.pairs).toBe(3 * 3 - 2); // nodes b and c have one pod: no pair within them
    expect(v.delivered).toBe(v.pairs);
    r.nl.routeDel('a', { dst: '10.244.3.0/24', via: '10.244.3.0', dev: 'flannel.1', onlink: true });
    const broken = verifyCluster(r);
    expect(broken.ok).toBe(false);
    expect(broken.violations[0]).toMatch(/^a-pod-1 \(10\.244\.1\.2, a\) -> c-pod-1 \(10\.244\.3\.2, c\): /);
  });

  it('names an address that is in two places', () => {
    const r = cluster(three('host-gw'));
    r.nl.addrAdd('b', 'cni0', '10.244.1.2/32');
    expect(verifyCluster(r).violations).toEqual([
      'b-pod-1 (10.244.2.2, b) -> a-pod-1 (10.244.1.2, a): DELIVERED at b', // b answers for it itself
      'address 10.244.1.2 is in two places: b/cni0, a-pod-1/eth0',
    ]);
  });
});

describe('other backends', () => {
  it('host-gw: routes via the node addresses, MTU = the underlay\'s, no device', () => {
    const r = cluster(three('host-gw'));
    expect(r.net.ipRoute('a')).toContain('10.244.2.0/24 via 10.0.0.12 dev eth0 ');
    expect(r.run.show('a', 'subnet-env')).toContain('FLANNEL_MTU=1500\n');
    expect(r.run.show('a', 'etcd')).toContain('{"PublicIP":"10.0.0.12","PublicIPv6":null,"BackendType":"host-gw"}');
    expect(verifyCluster(r).violations).toEqual([]);
  });

  it("host-gw across racks: the kernel refuses the gateway and flanneld logs its error; check names it", () => {
    const r = cluster(`${TWO_RACKS}nodes:
  - { name: a, rack: rack1, subnet: 10.244.1.0/24, pods: 1 }
  - { name: c, rack: rack2, subnet: 10.244.3.0/24, pods: 1 }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: host-gw } }
`);
    const v = verifyCluster(r);
    expect(v.ok).toBe(false);
    expect(v.violations.some((x) => x.startsWith('a-pod-1 (10.244.1.2, a) -> c-pod-1 (10.244.3.2, c): '))).toBe(true);
    expect(v.violations.join('\n')).toMatch(/a: flanneld: \[0\.000s\] Error adding route to \{Ifindex: 2 Dst: 10\.244\.3\.0\/24 Src: <nil> Gw: 10\.0\.2\.11 Flags: \[\] Table: 0 Realm: 0\}: network is unreachable/);
  });

  it('udp: flannel0 (TUN) with MTU - 28 and the Network route; the lease carries only PublicIP; packets go through flanneld', () => {
    const r = cluster(three('udp'));
    expect(r.net.ipRoute('a')).toContain('10.244.0.0/16 dev flannel0 ');
    expect(r.net.ipLink('a')).toMatch(/flannel0: <[^>]*> mtu 1472/);
    expect(r.run.show('a', 'etcd')).toContain('/coreos.com/network/subnets/10.244.2.0-24\n{"PublicIP":"10.0.0.12","PublicIPv6":null}\n');
    expect(verifyCluster(r).violations).toEqual([]);
    expect(JSON.stringify(r.net.walk({ from: 'a-pod-1', to: '10.244.2.2', proto: 'icmp' }))).toContain('8285');
  });

  it('ipip: flannel.ipip with MTU - 20, onlink routes via the node addresses', () => {
    const r = cluster(three('ipip'));
    expect(r.net.ipRoute('a')).toContain('10.244.3.0/24 via 10.0.0.13 dev flannel.ipip onlink ');
    expect(r.net.ipLink('a')).toMatch(/flannel\.ipip: <[^>]*> mtu 1480/);
    expect(verifyCluster(r).violations).toEqual([]);
  });

  it('wireguard: flannel-wg with MTU - 80, one Network route scope link, lease data PublicKey then Port', () => {
    const r = cluster(three('wireguard'));
    expect(r.net.ipRoute('a')).toContain('10.244.0.0/16 dev flannel-wg scope link ');
    expect(r.net.ipLink('a')).toMatch(/flannel-wg: <[^>]*> mtu 1420/);
    expect(r.run.show('a', 'etcd')).toMatch(/"BackendType":"wireguard","BackendData":\{"PublicKey":"[A-Za-z0-9+/]{43}=","Port":51820\}/);
    expect(verifyCluster(r).violations).toEqual([]);
  });
});

describe('leases over time', () => {
  it('a dead node keeps its lease until 24 h after its last renewal; then the others remove its route, neighbour and FDB entry; back, it gets its old subnet', () => {
    const r = cluster(`nodes:
  - { name: a, pods: 1 }
  - { name: b, pods: 1 }
  - { name: c, pods: 1 }
events:
  - { at: 10m, node-down: c }
  - { at: 30h, node-up: c }
flannel:
  netConf: { Network: 10.244.0.0/16, Backend: { Type: vxlan } }
`);
    const cSubnet = /FLANNEL_SUBNET=(\d+\.\d+\.\d+)\.1\/24/.exec(r.run.show('c', 'subnet-env')!)![1];
    const vtep = r.net.ns('c').iface('flannel.1').mac;
    // Granted at 0, never renewed (renewal was due at 23 h): it expires at 24 h.
    r.advanceTo(24 * 3_600_000 - 1);
    expect(r.net.ipRoute('a')).toContain(`${cSubnet}.0/24 via ${cSubnet}.0 dev flannel.1 onlink`);
    r.advanceTo(24 * 3_600_000);
    expect(r.net.ipRoute('a')).not.toContain(`${cSubnet}.0/24`);
    expect(r.net.ipNeigh('a')).not.toContain(`${cSubnet}.0 `);
    expect(r.net.bridgeFdb('a')).not.toContain(vtep);
    expect(verifyCluster(r).violations).toEqual([]); // c is down: its pod is not live
    r.advanceTo(30 * 3_600_000);
    expect(r.run.show('c', 'subnet-env')).toContain(`FLANNEL_SUBNET=${cSubnet}.1/24`);
    expect(r.net.ipRoute('a')).toContain(`${cSubnet}.0/24 via ${cSubnet}.0 dev flannel.1 onlink`);
    expect(r.applied).toEqual(['10m0s node-down c', '30h0m0s node-up c']);
    const v = verifyCluster(r);
    expect(v.violations).toEqual([]);
    expect(v.livePods).toBe(3);
  });

  it('a store outage leaves forwarding as programmed; renewal resumes when it ends', () => {
    const r = cluster(`nodes: [{ name: a, pods: 1 }, { name: b, pods: 1 }]
events:
  - { at: 1m, store-down: }
  - { at: 22h, store-up: }
flannel: {}
`);
    r.advanceTo(12 * 3_600_000);
    expect(verifyCluster(r).violations).toEqual([]);
    r.advanceTo(48 * 3_600_000);
    expect(verifyCluster(r).violations).toEqual([]);
    expect(r.backing.range('/coreos.com/network/subnets/', { prefix: true }).count).toBe(2);
  });

  it('an outage past expiry: forwarding stays as programmed; on reconnect the DELETEs arrive, flanneld exits, restarts and takes its subnet back', () => {
    const r = cluster(`nodes: [{ name: a, pods: 1 }, { name: b, pods: 1 }]
events:
  - { at: 1m, store-down: }
  - { at: 25h, store-up: }
flannel: {}
`);
    const env = (n: string) => r.run.show(n, 'subnet-env');
    const before = [env('a'), env('b')];
    const routes = r.net.ipRoute('a');
    r.advanceTo(24.5 * 3_600_000);
    expect(r.backing.range('/coreos.com/network/subnets/', { prefix: true }).count).toBe(0); // expired in etcd
    expect(r.net.ipRoute('a')).toBe(routes); // nobody could hear it
    expect(verifyCluster(r).violations.filter((x) => x.includes('->'))).toEqual([]);
    r.advanceTo(25 * 3_600_000);
    expect(r.run.show('a', 'flanneld-log')).toContain('Lease has been revoked. Shutting down daemon.');
    expect(r.run.nodeLive('a')).toBe(false);
    r.advanceTo(25 * 3_600_000 + 10_000); // CrashLoopBackOff: restarted 10 s later
    expect([env('a'), env('b')]).toEqual(before);
    expect(r.net.ipRoute('a')).toBe(routes);
    expect(verifyCluster(r).violations).toEqual([]);
  });

  it('the 4th node of a network with room for three gets flanneld\'s "out of subnets"; check names it', () => {
    const r = cluster(`nodes: [{ name: a }, { name: b }, { name: c }, { name: d, pods: 1 }]
flannel:
  netConf: { Network: 10.9.0.0/24, Backend: { Type: vxlan } }
`);
    const v = verifyCluster(r);
    expect(v.ok).toBe(false);
    expect(v.violations.join('\n')).toContain('d: flanneld: [0.000s] Error registering network: failed to acquire lease: out of subnets');
    expect(r.run.show('d', 'subnet-env')).toMatch(/No such file/);
  });

  it('pins: a node subnet is a reservation (no TTL) kept across restarts; a pod ip is host-local\'s choice', () => {
    const r = cluster(`nodes:
  - { name: a, subnet: 10.244.7.0/24, pods: [ { name: p, ip: 10.244.7.9 } ] }
  - { name: b }
flannel: {}
`);
    expect(r.run.podAddress('p')).toBe('10.244.7.9');
    const kv = r.backing.get('/coreos.com/network/subnets/10.244.7.0-24')!;
    expect(kv.lease).toBe(0);
    r.advanceTo(50 * 3_600_000);
    expect(r.backing.get('/coreos.com/network/subnets/10.244.7.0-24')).toBeDefined();
  });

  it('design checks: a pinned subnet outside the network, a pod ip outside its subnet, at the file\'s line', () => {
    const bad = (t: string) => {
      try {
        buildCluster(h.core, parseCluster(t, 'p.yaml'), flannelDesign);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(bad('nodes:\n  - { name: a, subnet: 10.9.1.0/24 }\nflannel: {}\n')).toMatch(/OutsideNetwork: "10.9.1.0\/24" at p.yaml:2: a \/24 of 10.244.0.0\/16 between SubnetMin and SubnetMax/);
    expect(bad('nodes:\n  - name: a\n    subnet: 10.244.1.0/24\n    pods:\n      - { name: p, ip: 10.244.2.5 }\nflannel: {}\n')).toMatch(/OutsideNetwork: "10.244.2.5" at p.yaml:5: an address of a's subnet 10.244.1.0\/24 from .2/);
    expect(bad('nodes: [{name: a}]\nflannel:\n  netConf: { Network: 10.244.0.0/16, SubnetLen: 31 }\n')).toMatch(/BadNetConf: "SubnetLen: 31" at p.yaml:3: SubnetLen must be less than \/31/);
  });
});
