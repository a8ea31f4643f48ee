import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Codec, type DecodedFrame } from '../src/codec/index.js';
import { hexFixture } from './support/hex.js';
import { cli } from './support/io.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

// tcpdump's own VXLAN test: tests/vxlan.pcap (10 frames, VNI 100, port 4789,
// ICMP echo and ARP inside) and tests/vxlan.out, what `tcpdump -e -n -#`
// prints for it, two lines a frame (outer, then the inner frame). The
// expected output is the oracle: every field it prints must be what cnikit
// decodes from the capture.
const MAC = '([0-9a-f]{2}(?::[0-9a-f]{2}){5})';
const IP = '(\\d+\\.\\d+\\.\\d+\\.\\d+)';
const OUTER = new RegExp(
  `^\\s*(\\d+)\\s+\\S+ \\S+ ${MAC} > ${MAC}, ethertype IPv4 \\(0x(\\w{4})\\), length (\\d+): ${IP}\\.(\\d+) > ${IP}\\.(\\d+): VXLAN, flags \\[I\\] \\(0x(\\w\\w)\\), vni (\\d+)$`,
);
const INNER = new RegExp(`^${MAC} > ${MAC}, ethertype (?:IPv4|ARP) \\(0x(\\w{4})\\), length (\\d+): (.*)$`);
const ECHO = new RegExp(`^${IP} > ${IP}: ICMP echo (request|reply), id (\\d+), seq (\\d+), length (\\d+)$`);
const WHO_HAS = new RegExp(`^Request who-has ${IP}(?: \\(${MAC}\\))? tell ${IP}, length (\\d+)$`);
const IS_AT = new RegExp(`^Reply ${IP} is-at ${MAC}, length (\\d+)$`);

interface TcpdumpFrame {
  number: number;
  outer: { srcMac: string; dstMac: string; ethertype: number; length: number; src: string; srcPort: number; dst: string; dstPort: number; flags: number; vni: number };
  inner: { srcMac: string; dstMac: string; ethertype: number; length: number };
  echo?: { type: 'request' | 'reply'; src: string; dst: string; id: number; seq: number; length: number };
  /** Only what tcpdump prints: who-has target [(target MAC)] tell sender, or sender is-at MAC. */
  arp?: { op: 'request' | 'reply'; targetIp?: string; targetMac?: string; senderIp: string; senderMac?: string; length: number };
}

function tcpdumpOut(): TcpdumpFrame[] {
  const lines = readFileSync(new URL('./fixtures/tcpdump-vxlan.out', import.meta.url), 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length % 2 !== 0) throw new Error('tcpdump-vxlan.out: expected two lines a frame');
  const frames: TcpdumpFrame[] = [];
  for (let k = 0; k < lines.length; k += 2) {
    const o = OUTER.exec(lines[k]);
    const i = INNER.exec(lines[k + 1]);
    if (!o || !i) throw new Error(`tcpdump-vxlan.out line ${k + 1}: unexpected format`);
    const f: TcpdumpFrame = {
      number: +o[1],
      outer: { srcMac: o[2], dstMac: o[3], ethertype: parseInt(o[4], 16), length: +o[5], src: o[6], srcPort: +o[7], dst: o[8], dstPort: +o[9], flags: parseInt(o[10], 16), vni: +o[11] },
      inner: { srcMac: i[1], dstMac: i[2], ethertype: parseInt(i[3], 16), length: +i[4] },
    };
    const rest = i[5];
    let m: RegExpExecArray | null;
    if ((m = ECHO.exec(rest))) f.echo = { src: m[1], dst: m[2], type: m[3] as 'request' | 'reply', id: +m[4], seq: +m[5], length: +m[6] };
    else if ((m = WHO_HAS.exec(rest))) f.arp = { op: 'request', targetIp: m[1], ...(m[2] ? { targetMac: m[2] } : {}), senderIp: m[3], length: +m[4] };
    else if ((m = IS_AT.exec(rest))) f.arp = { op: 'reply', senderIp: m[1], senderMac: m[2], length: +m[3] };
    else throw new Error(`tcpdump-vxlan.out line ${k + 2}: unexpected inner packet "${rest}"`);
    frames.push(f);
  }
  return frames;
}

const PCAP = new URL('./fixtures/tcpdump-vxlan.pcap', import.meta.url).pathname;

/** Every field tcpdump prints for one frame, as cnikit decoded it. */
function expectFrame(want: TcpdumpFrame, f: DecodedFrame): void {
  const at = `frame ${want.number}`;
  // The decoder accepts only EtherType 0x0800 (anything else is NotIPv4) and reports an 802.1Q tag as outer.vlan.
  expect(want.outer.ethertype, at).toBe(0x0800);
  expect(f.outer.vlan, at).toBeUndefined();
  expect({ srcMac: f.outer.srcMac, dstMac: f.outer.dstMac, length: 14 + f.outer.totalLength, src: f.outer.src, dst: f.outer.dst }, at).toEqual({
    srcMac: want.outer.srcMac, dstMac: want.outer.dstMac, length: want.outer.length, src: want.outer.src, dst: want.outer.dst,
  });
  expect({ srcPort: f.udp!.srcPort, dstPort: f.udp!.dstPort, flags: f.vxlan!.flags, vni: f.vxlan!.vni }, at).toEqual({
    srcPort: want.outer.srcPort, dstPort: want.outer.dstPort, flags: want.outer.flags, vni: want.outer.vni,
  });
  expect({ srcMac: f.inner.srcMac, dstMac: f.inner.dstMac, ethertype: f.inner.ethertype, length: f.inner.length }, at).toEqual(want.inner);
  if (want.echo) {
    const fl = f.inner.flow!;
    expect(f.inner.arp, at).toBeUndefined();
    expect({ src: fl.src, dst: fl.dst, icmp: fl.icmp, echo: fl.echo }, at).toEqual({
      src: want.echo.src, dst: want.echo.dst, icmp: { type: want.echo.type === 'request' ? 8 : 0, code: 0 }, echo: { id: want.echo.id, seq: want.echo.seq },
    });
    // tcpdump's ICMP length is the IPv4 total length less the header (20 bytes: the frames carry no options).
    expect(f.inner.length - 14 - 20, at).toBe(want.echo.length);
  } else {
    const arp = f.inner.arp!;
    const w = want.arp!;
    expect(f.inner.flow, at).toBeUndefined();
    expect(arp.op, at).toBe(w.op === 'request' ? 1 : 2);
    expect(arp.senderIp, at).toBe(w.senderIp);
    if (w.senderMac) expect(arp.senderMac, at).toBe(w.senderMac);
    if (w.targetIp) expect(arp.targetIp, at).toBe(w.targetIp);
    // tcpdump prints the target MAC of a request only when it is not all zeros.
    expect(arp.targetMac, at).toBe(w.targetMac ?? (w.op === 'request' ? '00:00:00:00:00:00' : arp.targetMac));
    expect(f.inner.length - 14, at).toBe(w.length);
  }
}

describe("tcpdump's VXLAN test capture (tests/vxlan.pcap) against its expected output (tests/vxlan.out)", () => {
  it('reads ten frames from the oracle: echo requests, replies, an ARP request and reply', () => {
    const want = tcpdumpOut();
    expect(want.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(want.map((f) => f.arp?.op ?? f.echo!.type)).toEqual(['request', 'request', 'reply', 'reply', 'request', 'reply', 'request', 'reply', 'request', 'reply']);
    expect(want.filter((f) => f.arp).length).toBe(2);
  });

  it('cnikit vxlan decode --port 4789 --json decodes all ten frames to every field tcpdump -e -n prints', async () => {
    const want = tcpdumpOut();
    const r = await cli(['vxlan', 'decode', PCAP, '--port', '4789', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as DecodedFrame & { index: number });
    expect(got.length).toBe(want.length);
    got.forEach((f, k) => {
      expect(f.index).toBe(k);
      expectFrame(want[k], f);
    });
    // ARP inside the tunnel: every address of the request and the reply (the L2 MISS walk needs both).
    expect(got[1].inner.arp).toEqual({ op: 1, senderMac: '00:30:88:01:00:02', senderIp: '192.168.203.5', targetMac: '00:00:00:00:00:00', targetIp: '192.168.203.3' });
    expect(got[2].inner.arp).toEqual({ op: 2, senderMac: '00:16:3e:37:f6:04', senderIp: '192.168.203.3', targetMac: '00:30:88:01:00:02', targetIp: '192.168.203.5' });
  });

  it('the one-line output shows the inner ARP request and reply with their addresses', async () => {
    const r = await cli(['vxlan', 'decode', PCAP, '--port', '4789']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(10);
    // (TTL and ID are not in tcpdump's -e output without -v.)
    expect(lines[1]).toMatch(
      /^#1 00:16:3e:08:71:cf > 36:dc:85:1e:b3:40 192\.168\.202\.1 > 192\.168\.203\.1 ttl \d+ id \d+( DF)? udp 42710 > 4789 vni 100 \| 00:30:88:01:00:02 > ff:ff:ff:ff:ff:ff arp request sender 00:30:88:01:00:02 192\.168\.203\.5 target 00:00:00:00:00:00 192\.168\.203\.3$/,
    );
    expect(lines[2]).toMatch(/ \| 00:16:3e:37:f6:04 > 00:30:88:01:00:02 arp reply sender 00:16:3e:37:f6:04 192\.168\.203\.3 target 00:30:88:01:00:02 192\.168\.203\.5$/);
    expect(lines[0]).toMatch(/ vni 100 \| 00:16:3e:37:f6:04 > 00:30:88:01:00:02 icmp 192\.168\.203\.3 > 192\.168\.203\.5 type 8 code 0$/);
  });
});

// gopacket's testPacketVXLAN is frame 1 of tcpdump's capture (same MACs,
// addresses, UDP source port, IPv4 ID 0xd2c0, ICMP id and sequence, 148
// bytes) with one byte changed: gopacket set the VNI to 255 where tcpdump
// prints 100.
describe("gopacket's copy of frame 1 (VNI 255)", () => {
  it('decodes to every field tcpdump prints for frame 1, but the VNI gopacket changed', () => {
    const want = tcpdumpOut()[0];
    const f = codec.decap(hexFixture('gopacket-vxlan.hex'), { ports: [4789] });
    expect([f.vxlan!.vni, want.outer.vni]).toEqual([255, 100]);
    expectFrame({ ...want, outer: { ...want.outer, vni: 255 } }, f);
  });
});

describe('inner ARP that is not Ethernet/IPv4 ARP, or is cut short', () => {
  it('is no arp (the EtherType is still reported), as a malformed inner IPv4 header is no flow', async () => {
    const { readCapture } = await import('../src/pcap/index.js');
    const request = readCapture(new Uint8Array(readFileSync(PCAP)), PCAP).packets[1].data;
    const arpAt = 50 + 14;
    expect(codec.decap(request, { ports: [4789] }).inner.arp?.op).toBe(1);
    for (const [what, off, v] of [['hardware type 6', 1, 6], ['protocol 0x86dd', 2, 0x86], ['hardware length 8', 4, 8], ['protocol length 16', 5, 16]] as const) {
      const b = request.slice();
      b[arpAt + off] = v;
      const f = codec.decap(b, { ports: [4789] });
      expect(f.inner.arp, what).toBeUndefined();
      expect(f.inner.ethertype, what).toBe(0x0806);
    }
    // 27 of the 28 bytes: shorten the outer IPv4 and UDP lengths by one (and fix the IPv4 checksum).
    const cut = request.slice(0, request.length - 1);
    const dv = new DataView(cut.buffer);
    dv.setUint16(16, dv.getUint16(16) - 1);
    dv.setUint16(38, dv.getUint16(38) - 1);
    dv.setUint16(24, 0);
    let sum = 0;
    for (let k = 14; k < 34; k += 2) sum += dv.getUint16(k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    dv.setUint16(24, ~sum & 0xffff);
    const f = codec.decap(cut, { ports: [4789] });
    expect(f.inner.length).toBe(14 + 27);
    expect(f.inner.arp).toBeUndefined();
  });
});
