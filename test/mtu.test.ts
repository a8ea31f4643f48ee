import { describe, expect, it } from 'vitest';
import { ENCAP_OVERHEADS, encapOverhead, podMtu, podMtuFor } from '../src/codec/index.js';

describe('MTU arithmetic', () => {
  it('has the overheads Calico and Flannel use', () => {
    expect(Object.fromEntries(ENCAP_OVERHEADS.map((e) => [e.name, e.overhead]))).toEqual({
      none: 0, vxlan: 50, 'vxlan-v6': 70, ipip: 20, 'flannel-udp': 28, wireguard: 60, 'wireguard-v6': 80,
    });
  });
  it('computes pod MTUs for a 1500 and a 9001 underlay (Calico mtu docs)', () => {
    expect(['none', 'ipip', 'vxlan', 'vxlan-v6', 'wireguard', 'wireguard-v6', 'flannel-udp'].map((e) => podMtu(1500, e))).toEqual([1500, 1480, 1450, 1430, 1440, 1420, 1472]);
    expect(podMtu(9001, 'vxlan')).toBe(8951);
    expect(podMtuFor(1500, ['ipip', 'wireguard'])).toBe(1440);
    expect(podMtuFor(1500, [])).toBe(1500);
  });
  it('rejects unknown encapsulations and impossible MTUs', () => {
    expect(() => encapOverhead('gre')).toThrow(/UnknownEncap/);
    expect(() => podMtu(1500.5, 'vxlan')).toThrow(/InvalidMtu/);
    expect(() => podMtu(100, 'vxlan')).toThrow(/at least 118/);
  });
});
