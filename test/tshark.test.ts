import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Codec, type EncapParams } from '../src/codec/index.js';
import { writePcap } from '../src/pcap/index.js';
import { formatIPv4 } from '../src/net/ip.js';
import { innerFrame } from './support/frames.js';
import { kernelLane, sayskip } from './support/netns.js';

const lane = kernelLane(['tshark']);
if (!lane.ok) sayskip('tshark comparison', lane.reason);

type Layer = Record<string, unknown>;
const arr = (x: unknown): Layer[] => (x === undefined ? [] : Array.isArray(x) ? (x as Layer[]) : [x as Layer]);

describe.skipIf(!lane.ok)('Wireshark (tshark) reads what cnikit encodes', () => {
  let codec: Codec;
  const dir = mkdtempSync(join(tmpdir(), 'cnk-codec-tshark-'));
  beforeAll(async () => {
    codec = await Codec.create();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('VXLAN on 8472 and 4789, IPIP and Flannel udp: same VNI, addresses, ports, valid checksums', () => {
    const node: EncapParams = { local: '192.168.50.1', remote: '192.168.50.2', srcMac: '02:50:00:00:00:01', dstMac: '02:50:00:00:00:02' };
    const inners = [
      innerFrame({ proto: 1, src: 0x0af40102, dst: 0x0af40202, sport: 0x0800 }),
      innerFrame({ proto: 17, src: 0x0af40102, dst: 0x0af40202, sport: 40000, dport: 53, payload: 100 }),
      innerFrame({ proto: 6, src: 0x0af40202, dst: 0x0af40102, sport: 443, dport: 51000, payload: 1400, ttl: 17 }),
    ];
    const cases: { params: EncapParams; vni?: number; port?: number; mode: string }[] = [
      { params: { ...node, vni: 1 }, vni: 1, port: 8472, mode: 'vxlan' },
      { params: { ...node, vni: 4096, dstPort: 4789 }, vni: 4096, port: 4789, mode: 'vxlan' },
      { params: { ...node, mode: 'ipip' }, mode: 'ipip' },
      { params: { ...node, mode: 'flannel-udp' }, port: 8285, mode: 'flannel-udp' },
    ];
    const frames: { bytes: Uint8Array; c: (typeof cases)[number]; inner: Uint8Array }[] = [];
    for (const c of cases) for (const inner of inners) frames.push({ bytes: codec.encap(inner, { ...c.params, ipId: frames.length }), c, inner });
    const file = join(dir, 'cnikit.pcap');
    writeFileSync(file, writePcap(frames.map((f) => f.bytes)));
    const json = execFileSync('tshark', ['-r', file, '-d', 'udp.port==8472,vxlan', '-d', 'udp.port==8285,ip', '-T', 'json', '--no-duplicate-keys',
      '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    const packets = JSON.parse(json) as { _source: { layers: Layer } }[];
    expect(packets.length).toBe(frames.length);
    const mismatches: string[] = [];
    const want = (i: number, what: string, got: unknown, exp: unknown) => {
      if (String(got) !== String(exp)) mismatches.push(`frame ${i} ${what}: tshark ${String(got)}, cnikit ${String(exp)}`);
    };
    packets.forEach((p, i) => {
      const L = p._source.layers;
      const { c, inner } = frames[i];
      const eth = arr(L.eth);
      const ip = arr(L.ip);
      const udp = arr(L.udp);
      want(i, 'outer eth.src', eth[0]['eth.src'], node.srcMac);
      want(i, 'outer eth.dst', eth[0]['eth.dst'], node.dstMac);
      want(i, 'outer ip.src', ip[0]['ip.src'], node.local);
      want(i, 'outer ip.dst', ip[0]['ip.dst'], node.remote);
      want(i, 'outer ip.id', ip[0]['ip.id'], '0x' + i.toString(16).padStart(4, '0'));
      want(i, 'outer ip.proto', ip[0]['ip.proto'], c.mode === 'ipip' ? 4 : 17);
      want(i, 'outer ip.ttl', ip[0]['ip.ttl'], c.mode === 'ipip' ? inner[22] : 64);
      ip.forEach((l, k) => want(i, `ip[${k}].checksum.status`, l['ip.checksum.status'], 1));
      want(i, 'inner ip.src', ip[1]?.['ip.src'], formatIPv4(new DataView(inner.buffer).getUint32(26)));
      want(i, 'inner ip.dst', ip[1]?.['ip.dst'], formatIPv4(new DataView(inner.buffer).getUint32(30)));
      if (c.port !== undefined) {
        want(i, 'outer udp.dstport', udp[0]['udp.dstport'], c.port);
        want(i, 'outer udp.checksum.status', udp[0]['udp.checksum.status'], 1);
        const sport = new DataView(frames[i].bytes.buffer).getUint16(34);
        want(i, 'outer udp.srcport', udp[0]['udp.srcport'], sport);
      }
      if (c.vni !== undefined) {
        const vx = arr(L.vxlan)[0];
        want(i, 'vxlan.vni', vx?.['vxlan.vni'], c.vni);
        want(i, 'vxlan.flag_i', (vx?.['vxlan.flags_tree'] as Layer | undefined)?.['vxlan.flag_i'], 1);
        want(i, 'inner eth.src', eth[1]?.['eth.src'], '0a:58:0a:f4:01:04');
      }
      const innerProto = inner[23];
      if (innerProto === 17) want(i, 'inner udp.dstport', udp[udp.length - 1]?.['udp.dstport'], 53);
      if (innerProto === 6) want(i, 'inner tcp.srcport', arr(L.tcp)[0]?.['tcp.srcport'], 443);
      if (innerProto === 1) want(i, 'inner icmp.type', arr(L.icmp)[0]?.['icmp.type'], 8);
    });
    console.log(`tshark comparison: ${frames.length} frames compared, ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
  });
});
