// net-conf.json as flanneld's ParseConfig + CheckNetworkConfig read it (pkg/subnet/config.go, config_test.go).
import { describe, expect, it } from 'vitest';
import { parseNetConf, subnetCapacity, netConfJson } from '../src/flannel/net-conf.js';
import { formatIPv4 } from '../src/net/ip.js';

const conf = (o: object) => parseNetConf(o);
const err = (o: object | string) => {
  try {
    parseNetConf(o as object);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('net-conf.json defaults', () => {
  it('a /16 gets /24s from the second to the last: 10.3.1.0 .. 10.3.255.0, 255 subnets (config_test.go)', () => {
    const c = conf({ Network: '10.3.0.0/16' });
    expect([c.subnetLen, formatIPv4(c.subnetMin), formatIPv4(c.subnetMax)]).toEqual([24, '10.3.1.0', '10.3.255.0']);
    expect(subnetCapacity(c)).toBe(255);
    expect(c.enableIPv4).toBe(true);
    expect(c.enableIPv6).toBe(false);
  });

  it('SubnetLen is 24 up to a /22 network, else prefix + 2', () => {
    expect(conf({ Network: '10.0.0.0/22' }).subnetLen).toBe(24);
    expect(conf({ Network: '10.0.0.0/23' }).subnetLen).toBe(25);
    expect(conf({ Network: '10.0.0.0/28' }).subnetLen).toBe(30);
    expect(subnetCapacity(conf({ Network: '10.0.0.0/8' }))).toBe(65535);
  });

  it('Backend absent or empty is udp (parseBackendType), types are lowercased, options take their defaults', () => {
    expect(conf({ Network: '10.0.0.0/16' }).backend.type).toBe('udp');
    expect(conf({ Network: '10.0.0.0/16', Backend: {} }).backend.port).toBe(8285);
    const vx = conf({ Network: '10.0.0.0/16', Backend: { Type: 'VXLAN' } }).backend;
    expect([vx.type, vx.vni, vx.port, vx.directRouting]).toEqual(['vxlan', 1, 0, false]);
    expect(conf({ Network: '10.0.0.0/16', Backend: { Type: 'wireguard' } }).backend.port).toBe(51820);
  });

  it('field names match case-insensitively, as Go encoding/json does', () => {
    const c = conf({ network: '10.1.0.0/16', subnetlen: 26, backend: { type: 'host-gw' } });
    expect([c.subnetLen, c.backend.type]).toEqual([26, 'host-gw']);
  });

  it('given SubnetMin/SubnetMax are kept; the etcd value prints the filled config', () => {
    const c = conf({ Network: '10.244.0.0/16', SubnetMin: '10.244.10.0', SubnetMax: '10.244.20.0', Backend: { Type: 'vxlan', VNI: 4096 } });
    expect(subnetCapacity(c)).toBe(11);
    expect(c.backend.vni).toBe(4096);
    expect(netConfJson(c)).toBe('{"Network":"10.244.0.0/16","SubnetLen":24,"SubnetMin":"10.244.10.0","SubnetMax":"10.244.20.0","Backend":{"Type":"vxlan","VNI":4096}}');
  });

  it('IPv6: fc00::/48 gives /64s from fc00:0:0:1:: to fc00:0:0:ffff::', () => {
    const c = conf({ Network: '10.0.0.0/16', EnableIPv6: true, IPv6Network: 'fc00::/48' });
    expect(c.ipv6).toEqual({ network: 'fc00::/48', subnetLen: 64, subnetMin: 'fc00:0:0:1::', subnetMax: 'fc00:0:0:ffff::' });
  });
});

describe("net-conf.json errors in flanneld's words", () => {
  it.each([
    [{}, 'please define a correct Network parameter in the flannel config'],
    [{ Network: '10.0.0.0/16', SubnetLen: 31 }, 'SubnetLen must be less than /31'],
    [{ Network: '10.0.0.0/16', SubnetLen: 17 }, 'network must be able to accommodate at least four subnets'],
    [{ Network: '10.0.0.0/29' }, 'network is too small. Minimum useful network prefix is /28'],
    [{ Network: '10.0.0.0/16', SubnetMin: '10.1.0.0' }, 'SubnetMin is not in the range of the Network'],
    [{ Network: '10.0.0.0/16', SubnetMax: '11.0.0.0' }, 'SubnetMax is not in the range of the Network'],
    [{ Network: '10.0.0.0/16', SubnetMin: '10.0.1.5' }, 'SubnetMin is not on a SubnetLen boundary: 10.0.1.5'],
    [{ Network: '10.0.0.0/16', SubnetMax: '10.0.9.128' }, 'SubnetMax is not on a SubnetLen boundary: 10.0.9.128'],
    [{ Network: '10.0.0.0/16', Backend: { Type: 'bogus' } }, 'unknown backend type: bogus'],
    [{ Network: '10.0.0.0/16', EnableIPv6: true }, 'please define a correct IPv6Network parameter'],
    [{ Network: '10.0.0.0/16', EnableIPv6: true, IPv6Network: 'fc00::/125' }, 'IPv6Network is too small. Minimum useful network prefix is /124'],
    [{ Network: '10.0.0.0/16', EnableIPv6: true, IPv6Network: 'fc00::/48', IPv6SubnetLen: 127 }, 'SubnetLen must be less than /127'],
  ])('%j -> %s', (o, message) => {
    expect(err(o)).toContain(message);
  });

  it.each([
    [{ Type: 'vxlan', Port: 70000 }, /Backend.Port.*an integer 0..65535/],
    [{ Type: 'vxlan', DirectRouting: 'yes' }, /Backend.DirectRouting.*true or false/],
    [{ Type: 'wireguard', Mode: 'tunnel' }, /Backend.Mode.*separate, auto, ipv4 or ipv6/],
    [{ Type: 'wireguard', PSK: 5 }, /Backend.PSK.*a string/],
    [{ Type: 7 }, /Backend.Type.*a backend name/],
    ['vxlan', /Backend.*an object such as/],
  ])('backend option %j is refused in its own words', (be, re) => {
    expect(err({ Network: '10.0.0.0/16', Backend: be })).toMatch(re);
  });

  it('backend options take their values', () => {
    const wg = conf({ Network: '10.0.0.0/16', Backend: { Type: 'wireguard', ListenPort: 51000, MTU: 1400, Mode: 'auto', PSK: 'k', PersistentKeepaliveInterval: 25, ListenPortV6: 51001 } }).backend;
    expect([wg.port, wg.mtu, wg.mode]).toEqual([51000, 1400, 'auto']);
    const vx = conf({ Network: '10.0.0.0/16', Backend: { Type: 'vxlan', Learning: true, GBP: true, MacPrefix: '0E-2A' } }).backend;
    expect([vx.learning, vx.gbp]).toEqual([true, true]);
  });

  it.each([
    [{ IPv6Network: 'fc00::/48', IPv6SubnetLen: 49 }, 'network must be able to accommodate at least four subnets'],
    [{ IPv6Network: 'fc00::/48', IPv6SubnetMin: 'fd00::' }, 'IPv6SubnetMin is not in the range of the IPv6Network'],
    [{ IPv6Network: 'fc00::/48', IPv6SubnetMax: 'fd00::' }, 'IPv6SubnetMax is not in the range of the IPv6Network'],
    [{ IPv6Network: 'fc00::/48', IPv6SubnetMin: 'fc00:0:0:1::1' }, 'IPv6SubnetMin is not on a SubnetLen boundary: fc00:0:0:1::1'],
    [{ IPv6Network: 'fc00::/48', IPv6SubnetMax: 'fc00:0:0:2::8' }, 'IPv6SubnetMax is not on a SubnetLen boundary: fc00:0:0:2::8'],
    [{ IPv6Network: '10.0.0.0/8' }, 'an IPv6 prefix'],
    [{ IPv6Network: 'fc00::/48', IPv6SubnetMin: 'zz' }, 'an IPv6 address'],
  ])('IPv6 %j -> %s', (o, message) => {
    expect(err({ Network: '10.0.0.0/16', EnableIPv6: true, ...o })).toContain(message);
  });

  it('IPv6: a /120 network gives /122s, given bounds are kept', () => {
    expect(conf({ Network: '10.0.0.0/16', EnableIPv6: true, IPv6Network: 'fc00::/120', IPv6SubnetMin: 'fc00::80' }).ipv6).toEqual({ network: 'fc00::/120', subnetLen: 122, subnetMin: 'fc00::80', subnetMax: 'fc00::c0' });
  });

  it('EnableIPv4 false skips the IPv4 checks, as flanneld does', () => {
    expect(conf({ EnableIPv4: false, EnableIPv6: true, IPv6Network: 'fc00::/48' }).network).toBe('');
  });

  it('refuses what flanneld would silently ignore or mis-decode, naming the key', () => {
    expect(err({ Network: '10.0.0.0/16', Subnetlenn: 24 })).toMatch(/"Subnetlenn".*a net-conf.json field/);
    expect(err({ Network: '10.0.0.0/16', Backend: { Type: 'vxlan', VNi: 1, Prot: 8472 } })).toMatch(/"Backend.Prot".*an option of the vxlan backend/);
    expect(err({ Network: '10.0.0.0/16', Backend: { Type: 'vxlan', VNI: 1 << 24 } })).toMatch(/Backend.VNI.*0..16777215/);
    expect(err({ Network: '10.0.0.0/16', Backend: { Type: 'ipsec' } })).toMatch(/flanneld has ipsec, cnikit does not/);
    expect(err({ Network: 24 })).toMatch(/an IPv4 prefix/);
    expect(err('{"Network": ')).toMatch(/BadNetConf.*JSON/);
  });
});
