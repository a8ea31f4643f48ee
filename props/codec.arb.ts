// Arbitraries shared by the codec properties: encapsulation parameters and inner frames.
import fc from 'fast-check';
import type { EncapMode, EncapParams } from '../src/codec/index.js';
import { formatIPv4, formatMac } from '../src/net/ip.js';
import * as C from '../assembly/shared/codec.js';
import { fixIpChecksum, innerFrame } from '../test/support/frames.js';

export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b));
export const ipv4 = fc.integer({ min: 0, max: 0xffffffff }).map(formatIPv4);

/** Encapsulation parameters, any mode; `fixedPort` also draws a fixed source port (`srcPort`). */
export const params = (mode: EncapMode, fixedPort = false): fc.Arbitrary<EncapParams> =>
  fc.record({
    mode: fc.constant(mode),
    local: ipv4,
    remote: ipv4,
    srcMac: mac,
    dstMac: mac,
    vni: fc.integer({ min: 0, max: C.VXLAN_VNI_MAX }),
    dstPort: fc.constantFrom(C.VXLAN_PORT_LINUX, C.VXLAN_PORT_IANA, C.FLANNEL_UDP_PORT),
    srcPortRange: fc.integer({ min: 1, max: 65534 }).chain((lo) => fc.tuple(fc.constant(lo), fc.integer({ min: lo + 1, max: 65535 }))),
    ttl: fc.oneof(fc.constant('inherit' as const), fc.integer({ min: 1, max: 255 })),
    tos: fc.integer({ min: 0, max: 255 }),
    df: fc.constantFrom('unset' as const, 'set' as const, 'inherit' as const),
    udpChecksum: fc.boolean(),
    ecn: fc.boolean(),
    ipId: fc.integer({ min: 0, max: 0xffff }),
    hashSeed: fc.integer({ min: 0, max: 0xffffffff }),
    ...(fixedPort ? { srcPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }) } : {}),
  });

/** An inner IPv4 frame (TCP/UDP/ICMP/other, maybe tagged for VXLAN; `fragments`: some with MF or an offset). */
export const ipFrame = (tagged: boolean, maxPayload = 1500, fragments = false) =>
  fc
    .record({
      frag: fragments ? fc.constantFrom(0, 0, 0x2000, 0x0001, 0x2100, 0x1fff) : fc.constant(0),
      proto: fc.constantFrom(1, 6, 17, 47),
      src: fc.integer({ min: 0, max: 0xffffffff }),
      dst: fc.integer({ min: 0, max: 0xffffffff }),
      sport: fc.integer({ min: 0, max: 0xffff }),
      dport: fc.integer({ min: 0, max: 0xffff }),
      ttl: fc.integer({ min: 1, max: 255 }),
      tos: fc.integer({ min: 0, max: 255 }),
      df: fc.boolean(),
      payload: fc.integer({ min: 0, max: maxPayload }),
      vlan: tagged ? fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }) : fc.constant(undefined),
    })
    .map((s) => {
      const f = innerFrame(s);
      if (s.frag === 0) return f;
      const ip = s.vlan === undefined ? 14 : 18;
      f[ip + 6] |= s.frag >> 8;
      f[ip + 7] |= s.frag & 0xff;
      return fixIpChecksum(f, ip);
    });

/** Anything 14..1600 bytes: a VXLAN inner frame need not be IP at all. */
export const anyFrame = fc.oneof(ipFrame(true), fc.uint8Array({ minLength: 14, maxLength: 1600 }));
