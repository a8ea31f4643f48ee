import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Codec } from '../src/codec/index.js';
import { hexFixture } from './support/hex.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

// gopacket's testPacketVXLAN is frame 1 of the capture behind tcpdump's own
// VXLAN test (tests/vxlan.pcap: same MACs, addresses, UDP source port,
// IPv4 ID 0xd2c0, ICMP id and sequence, 148 bytes), with one byte changed:
// gopacket set the VNI to 255 where tcpdump prints 100. tcpdump's pcap is
// binary and not readable here, so its expected output (tests/vxlan.out)
// is the oracle: every field tcpdump prints for frame 1, but the VNI, must
// be what cnikit decodes.
const MAC = '([0-9a-f]{2}(?::[0-9a-f]{2}){5})';
const IP = '(\\d+\\.\\d+\\.\\d+\\.\\d+)';
const OUTER = new RegExp(`^\\s*1\\s+\\S+ ${MAC} > ${MAC}, ethertype IPv4 \\(0x0800\\), length (\\d+): ${IP}\\.(\\d+) > ${IP}\\.(\\d+): VXLAN, flags \\[I\\] \\(0x(\\w\\w)\\), vni (\\d+)$`);
const INNER = new RegExp(`^${MAC} > ${MAC}, ethertype IPv4 \\(0x0800\\), length (\\d+): ${IP} > ${IP}: ICMP echo request, id (\\d+), seq (\\d+), length (\\d+)$`);

function tcpdumpFrame1() {
  const lines = readFileSync(new URL('./fixtures/tcpdump-vxlan.out', import.meta.url), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const o = OUTER.exec(lines[0]);
  const i = INNER.exec(lines[1]);
  if (!o || !i) throw new Error('tcpdump-vxlan.out: unexpected format');
  return {
    outer: { srcMac: o[1], dstMac: o[2], length: +o[3], src: o[4], srcPort: +o[5], dst: o[6], dstPort: +o[7], flags: parseInt(o[8], 16), vni: +o[9] },
    inner: { srcMac: i[1], dstMac: i[2], length: +i[3], src: i[4], dst: i[5], icmpId: +i[6], icmpSeq: +i[7], icmpLength: +i[8] },
  };
}

describe("tcpdump's VXLAN test (tests/vxlan.out, frame 1) as the oracle for gopacket's copy of the frame", () => {
  it('decodes every field tcpdump -e -n prints, but the VNI gopacket changed', () => {
    const want = tcpdumpFrame1();
    const b = hexFixture('gopacket-vxlan.hex');
    const f = codec.decap(b, { ports: [4789] });
    expect({ srcMac: f.outer.srcMac, dstMac: f.outer.dstMac, length: b.length, src: f.outer.src, dst: f.outer.dst }).toEqual({
      srcMac: want.outer.srcMac, dstMac: want.outer.dstMac, length: want.outer.length, src: want.outer.src, dst: want.outer.dst,
    });
    expect([f.udp!.srcPort, f.udp!.dstPort, f.vxlan!.flags]).toEqual([want.outer.srcPort, want.outer.dstPort, want.outer.flags]);
    expect([f.vxlan!.vni, want.outer.vni]).toEqual([255, 100]);
    expect({ srcMac: f.inner.srcMac, dstMac: f.inner.dstMac, length: f.inner.length, src: f.inner.flow!.src, dst: f.inner.flow!.dst }).toEqual({
      srcMac: want.inner.srcMac, dstMac: want.inner.dstMac, length: want.inner.length, src: want.inner.src, dst: want.inner.dst,
    });
    // ICMP echo request (type 8, code 0); id, sequence and length read where the decoder says the inner IPv4 header is.
    expect(f.inner.flow!.icmp).toEqual({ type: 8, code: 0 });
    const dv = new DataView(b.buffer, b.byteOffset);
    const ip = f.inner.offset + 14;
    const ihl = (b[ip] & 15) * 4;
    expect([dv.getUint16(ip + ihl + 4), dv.getUint16(ip + ihl + 6), dv.getUint16(ip + 2) - ihl]).toEqual([want.inner.icmpId, want.inner.icmpSeq, want.inner.icmpLength]);
  });
});
