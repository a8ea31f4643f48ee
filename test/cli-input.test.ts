/**
 * Where the CLI reads from: `-` is standard input for every file a command
 * reads, and a capture cut short still gives every complete record, with
 * the truncation reported once (exit 1), as tcpdump does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { cli, type CliResult } from './support/io.js';
import { run } from '../src/cli/main.js';
import { readCapture, writePcap } from '../src/pcap/index.js';
import { innerFrame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'cnk-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kernel = new URL('./fixtures/flannel-vxlan-kernel.pcap', import.meta.url).pathname;
const node = ['--local', '192.168.50.1', '--remote', '192.168.50.2', '--src-mac', '02:50:00:00:00:01', '--dst-mac', '02:50:00:00:00:02'];

/** Runs the CLI in-process with binary standard input. */
async function cliBytes(args: string[], stdin: Uint8Array): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c: Buffer) => o.push(c));
  err.on('data', (c: Buffer) => e.push(c));
  const status = await run(args, { stdin: Readable.from([Buffer.from(stdin)]), stdout: out, stderr: err });
  return { status, stdout: Buffer.concat(o).toString('utf8'), stderr: Buffer.concat(e).toString('utf8') };
}

describe('a capture cut short (an interrupted tcpdump)', () => {
  const whole = readFileSync(kernel);
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, whole.length - 10));
  it('vxlan decode prints every complete frame, reports "truncated dump file" once, exits 1', async () => {
    const full = await cli(['vxlan', 'decode', kernel]);
    const r = await cli(['vxlan', 'decode', cut]);
    expect(r.status).toBe(1);
    const lines = full.stdout.trim().split('\n');
    expect(r.stdout).toBe(lines.slice(0, -1).join('\n') + '\n');
    expect(r.stderr).toMatch(/^cnikit: truncated dump file: PcapTruncated: ".*cut\.pcap" at offset \d+: a record of \d+ bytes, \d+ bytes left\n$/);
  });
  it('pcapng too', async () => {
    // A pcapng file of the same frames: SHB, IDB, then one EPB per frame.
    const frames = readCapture(new Uint8Array(whole)).packets;
    const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
    const block = (type: number, body: number[]) => {
      const pad = body.concat(Array((4 - (body.length % 4)) % 4).fill(0));
      return [...u32(type), ...u32(12 + pad.length), ...pad, ...u32(12 + pad.length)];
    };
    const bytes = [...block(0x0a0d0d0a, [...u32(0x1a2b3c4d), 1, 0, 0, 0, ...u32(0xffffffff), ...u32(0xffffffff)]), ...block(1, [1, 0, 0, 0, ...u32(65535)])];
    for (const f of frames) bytes.push(...block(6, [...u32(0), ...u32(0), ...u32(0), ...u32(f.data.length), ...u32(f.data.length), ...f.data]));
    const ng = Uint8Array.from(bytes);
    const cutNg = join(dir, 'cut.pcapng');
    writeFileSync(cutNg, ng.subarray(0, ng.length - 6));
    const r = await cli(['vxlan', 'decode', cutNg]);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(frames.length - 1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^cnikit: truncated dump file: PcapTruncated/);
  });
  it('encap writes the complete frames and exits 1', async () => {
    const inner = writePcap([innerFrame(), innerFrame({ sport: 1234 }), innerFrame({ sport: 99 })]);
    const f = join(dir, 'inner-cut.pcap');
    writeFileSync(f, inner.subarray(0, inner.length - 1));
    const out = join(dir, 'outer.pcap');
    const r = await cli(['ipip', 'encap', '--in', f, '--out', out, ...node]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/encapsulated 2 of 2 frames/);
    expect(r.stderr).toMatch(/^cnikit: truncated dump file: /);
    expect(readCapture(new Uint8Array(readFileSync(out))).packets).toHaveLength(2);
  });
});

describe('"-" reads standard input', () => {
  it('vxlan decode - and vxlan encap --in -', async () => {
    const bytes = readFileSync(kernel);
    const a = await cli(['vxlan', 'decode', kernel]);
    const b = await cliBytes(['vxlan', 'decode', '-'], bytes);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const out = join(dir, 'o.pcap');
    const e = await cliBytes(['vxlan', 'encap', '--in', '-', '--out', out, '--vni', '7', ...node], writePcap([innerFrame()]));
    expect(e.status).toBe(0);
    expect(readCapture(new Uint8Array(readFileSync(out))).packets).toHaveLength(1);
  });
  it('lpm --routes - with --addrs FILE, and --addrs -', async () => {
    const addrs = join(dir, 'addrs.txt');
    writeFileSync(addrs, '10.1.2.3\n8.8.8.8\n');
    const routes = join(dir, 'routes.txt');
    writeFileSync(routes, '10.0.0.0/8 pods\n');
    const fromFiles = await cli(['lpm', '--routes', routes, '--addrs', addrs]);
    expect(fromFiles.stdout).toMatch(/^10\.1\.2\.3\t10\.0\.0\.0\/8\tpods\n8\.8\.8\.8\t/);
    const r = await cli(['lpm', '--routes', '-', '--addrs', addrs], '10.0.0.0/8 pods\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(fromFiles.stdout);
    expect((await cli(['lpm', '--routes', routes, '--addrs', '-'], '10.1.2.3\n8.8.8.8\n')).stdout).toBe(fromFiles.stdout);
    const both = await cli(['lpm', '--routes', '-'], '10.0.0.0/8 pods\n');
    expect(both.status).toBe(2);
    expect(both.stderr).toBe('cnikit: StdinTwice: "-": --addrs: a file (standard input is already read for --routes)\n');
  });
  it('iptables --rules - and --ipsets -', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -p tcp --dport 80 -j ACCEPT\nCOMMIT\n';
    const r = await cli(['iptables', 'trace', '--rules', '-', '--hook', 'FORWARD', '--packet', 'proto=tcp src=10.0.0.1 dst=10.0.0.2 dport=80 in=eth0 out=eth1'], rules);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ACCEPT/);
    const sets = join(dir, 'rules.txt');
    writeFileSync(sets, rules);
    const s = await cli(['iptables', 'trace', '--rules', sets, '--ipsets', '-', '--hook', 'FORWARD', '--packet', 'proto=tcp src=10.0.0.1 dst=10.0.0.2 dport=80 in=eth0 out=eth1'], 'create s hash:ip family inet\nadd s 10.0.0.1\n');
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    const twice = await cli(['iptables', 'verdicts', '--rules', '-', '--hook', 'FORWARD', '--packets', '-'], rules);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/StdinTwice: "-": --packets: a file \(standard input is already read for --rules\)/);
  });
});
