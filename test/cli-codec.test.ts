import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/io.js';
import { readCapture, writePcap } from '../src/pcap/index.js';
import { hexFixture } from './support/hex.js';
import { innerFrame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'cnk-codec-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kernel = new URL('./fixtures/flannel-vxlan-kernel.pcap', import.meta.url).pathname;
const node = ['--local', '192.168.50.1', '--remote', '192.168.50.2', '--src-mac', '02:50:00:00:00:01', '--dst-mac', '02:50:00:00:00:02'];

describe('cnikit vxlan decode', () => {
  it('prints one line per frame of the kernel capture', async () => {
    const r = await cli(['vxlan', 'decode', kernel]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(20);
    expect(lines[0]).toMatch(/^#0 02:50:00:00:00:01 > 02:50:00:00:00:02 192\.168\.50\.1 > 192\.168\.50\.2 ttl 64 id \d+ udp \d+ > 8472 vni 1 \| 0e:00:00:00:00:01 > 0e:00:00:00:00:02 icmp 10\.244\.1\.2 > 10\.244\.2\.2 type 8 code 0$/);
    expect(r.stdout).toMatch(/udp 10\.244\.1\.2:\d+ > 10\.244\.2\.2:5001/);
  });
  it('--json gives one object per frame', async () => {
    const r = await cli(['vxlan', 'decode', kernel, '--json', '--vni', '1']);
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs[0].index).toBe(0);
    expect(objs[0].vxlan.vni).toBe(1);
    expect(objs[0].inner.flow.icmp).toEqual({ type: 8, code: 0 });
  });
  it('reports a bad frame with its index and typed error, decodes the rest, exits 1', async () => {
    const good = hexFixture('gopacket-vxlan.hex');
    const bad = good.slice();
    bad[14] = 0x44;
    const f = join(dir, 'mixed.pcap');
    writeFileSync(f, writePcap([good, bad, good, Uint8Array.of(1, 2, 3), innerFrame()]));
    const r = await cli(['vxlan', 'decode', f, '--port', '4789']);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[1]).toBe('#1 error IPv4Ihl: IPv4 IHL 4 < 5 at offset 14');
    expect(lines[0]).toMatch(/^#0 .* vni 255 /);
    expect(lines[2]).toMatch(/^#2 .* vni 255 /);
    expect(lines[3]).toBe('#3 error TruncatedEthernet: frame of 3 bytes is shorter than its Ethernet header at offset 0');
    expect(lines[4]).toMatch(/^#4 error UdpDstPort/);
    const j = await cli(['vxlan', 'decode', f, '--port', '4789', '--json']);
    expect(JSON.parse(j.stdout.split('\n')[1])).toEqual({ index: 1, error: { code: 'IPv4Ihl', message: 'IPv4Ihl: IPv4 IHL 4 < 5 at offset 14', offset: 14, value: 4 } });
    const ign = await cli(['vxlan', 'decode', f, '--port', '4789', '--ignore-reserved', '--no-ip-checksum', '--vni', '7']);
    expect(ign.stdout.split('\n')[0]).toBe('#0 error VxlanVni: VNI 255 not configured at offset 46');
  });
  it('exits 2 for an unreadable or malformed file and bad options', async () => {
    expect((await cli(['vxlan', 'decode', join(dir, 'nope.pcap')])).status).toBe(2);
    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, 'hello world, not a pcap');
    const r = await cli(['vxlan', 'decode', junk]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/PcapBadMagic/);
    const raw = join(dir, 'raw.pcap');
    writeFileSync(raw, writePcap([Uint8Array.of(0x45)], { linkType: 101 }));
    expect((await cli(['vxlan', 'decode', raw])).stderr).toMatch(/PcapLinkType/);
    expect((await cli(['vxlan', 'decode', kernel, '--port', '84x72'])).stderr).toMatch(/InvalidOption/);
  });
});

describe('cnikit vxlan/ipip encap', () => {
  const innerFile = join(dir, 'inner.pcap');
  writeFileSync(innerFile, writePcap([innerFrame({ proto: 1, sport: 0x0800 }), innerFrame({ sport: 1234 }), { data: innerFrame({ proto: 6 }), tsSec: 5, tsNsec: 7000 }]));
  it('wraps each frame; the result decodes back to the inner frames', async () => {
    const out = join(dir, 'outer.pcap');
    const r = await cli(['vxlan', 'encap', '--in', innerFile, '--out', out, '--vni', '4096', '--port', '4789', '--srcport', '40000:40010', ...node]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`vxlan: encapsulated 3 of 3 frames into ${out} (+50 bytes each)\n`);
    const cap = readCapture(new Uint8Array(readFileSync(out)));
    expect(cap.packets[2].tsSec).toBe(5);
    const d = await cli(['vxlan', 'decode', out, '--json']);
    const objs = d.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => o.vxlan.vni)).toEqual([4096, 4096, 4096]);
    for (const o of objs) expect(o.udp.srcPort >= 40000 && o.udp.srcPort < 40010).toBe(true);
    expect(objs[1].inner.flow.srcPort).toBe(1234);
  });
  it('ipip encap and decode', async () => {
    const out = join(dir, 'ipip.pcap');
    const r = await cli(['ipip', 'encap', '--in', innerFile, '--out', out, '--ttl', 'inherit', ...node]);
    expect(r.status).toBe(0);
    const d = await cli(['ipip', 'decode', out]);
    expect(d.status).toBe(0);
    expect(d.stdout.split('\n')[0]).toMatch(/^#0 02:50:00:00:00:01 > 02:50:00:00:00:02 192\.168\.50\.1 > 192\.168\.50\.2 ttl 64 id 0 DF \| icmp 10\.244\.1\.5 > 10\.244\.2\.5 type 8 code 0$/);
    expect(d.stdout).toMatch(/tcp 10\.244\.1\.5:40000 > 10\.244\.2\.5:53/);
  });
  it('skips frames that cannot be encapsulated (exit 1) and rejects bad options (exit 2)', async () => {
    const arp = innerFrame();
    arp[13] = 0x06;
    const f = join(dir, 'arp.pcap');
    writeFileSync(f, writePcap([arp, innerFrame()]));
    const r = await cli(['ipip', 'encap', '--in', f, '--out', join(dir, 'o.pcap'), ...node]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('#0 skipped InnerNotIPv4: inner frame is not untagged IPv4\n');
    expect((await cli(['vxlan', 'encap', '--in', f, '--out', join(dir, 'o.pcap'), '--vni', 'x', ...node])).status).toBe(2);
    expect((await cli(['vxlan', 'encap', '--in', f, '--out', join(dir, 'o.pcap'), '--vni', '1', '--srcport', '5-6', ...node])).stderr).toMatch(/InvalidPortRange/);
    expect((await cli(['vxlan', 'encap', '--in', f, '--out', join(dir, 'o.pcap'), ...node])).status).toBe(2);
  });
});
