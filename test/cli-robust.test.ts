/**
 * What the CLI does with input it cannot use and outputs it cannot write:
 * one line naming the flag and the file, exit 2; a closed stdout ends the
 * command quietly (exit 141); only a bug prints a stack, with a line asking
 * for a report.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { cli } from './support/io.js';
import { run } from '../src/cli/main.js';
import { writePcap } from '../src/pcap/index.js';
import { innerFrame } from './support/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'cnk-robust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sub = join(dir, 'a-directory');
mkdirSync(sub);
const missing = join(dir, 'no-such-folder', 'x.txt');
const routes = join(dir, 'routes.txt');
writeFileSync(routes, '10.0.0.0/8 a\n');
const rules = join(dir, 'rules.txt');
writeFileSync(rules, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
const packets = join(dir, 'packets.jsonl');
writeFileSync(packets, '{"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","dport":80}\n');
const inner = join(dir, 'inner.pcap');
writeFileSync(inner, writePcap([innerFrame()]));
const node = ['--local', '192.168.50.1', '--remote', '192.168.50.2', '--src-mac', '02:50:00:00:00:01', '--dst-mac', '02:50:00:00:00:02'];

/** Exit 2 and exactly one stderr line that names `flag` and `file`. */
async function oneLine(args: string[], flag: string, file: string, stdin = ''): Promise<void> {
  const r = await cli(args, stdin);
  expect(r.status).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(flag);
  expect(lines[0]).toContain(file);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('foreseeable errors are one line naming the flag and the file (exit 2)', () => {
  it('lpm --addrs missing or a directory, --routes a directory', async () => {
    await oneLine(['lpm', '--routes', routes, '--addrs', missing], '--addrs', missing);
    await oneLine(['lpm', '--routes', routes, '--addrs', sub], '--addrs', sub);
    await oneLine(['lpm', '--routes', sub], '--routes', sub);
  });
  it('iptables verdicts --packets a directory, --counters into a missing folder', async () => {
    const base = ['iptables', 'verdicts', '--rules', rules, '--hook', 'FORWARD'];
    await oneLine([...base, '--packets', sub], '--packets', sub);
    await oneLine([...base, '--packets', packets, '--counters', missing], '--counters', missing);
    await oneLine([...base, '--packets', packets, '--counters', sub], '--counters', sub);
    await oneLine(['iptables', 'trace', '--rules', sub, '--hook', 'FORWARD', '--packet', 'proto=tcp dst=1.2.3.4'], '--rules', sub);
  });
  it('vxlan|ipip encap --out into a missing folder or onto a directory, --in a directory', async () => {
    await oneLine(['vxlan', 'encap', '--in', inner, '--out', missing, '--vni', '1', ...node], '--out', missing);
    await oneLine(['ipip', 'encap', '--in', inner, '--out', sub, ...node], '--out', sub);
    await oneLine(['ipip', 'encap', '--in', sub, '--out', join(dir, 'o.pcap'), ...node], '--in', sub);
    await oneLine(['vxlan', 'decode', sub], 'capture', sub);
  });
  it('bench --only with an unknown suite', async () => {
    await oneLine(['bench', '--only', 'nosuch', '--out', join(dir, 'r.json')], '--only', 'nosuch');
    await oneLine(['bench', '--only', 'store', '--out', sub], '--out', sub);
  });
  it('npm run bench -- --only nosuch (dist/bench/run.js) says the same in one line', () => {
    const runJs = new URL('../dist/bench/run.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [runJs, '--only', 'nosuch'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('bench: UnknownSuite: "nosuch": --only: bench suites from lpm, codec, iptables, store, kernel, kernel-scale, flannel, cli-lpm\n');
  });
});

describe('a bug prints its stack and asks for a report', () => {
  it('an unexpected exception: exit 70, the stack, and a line asking to report it', async () => {
    const err = new PassThrough();
    const chunks: Buffer[] = [];
    err.on('data', (c: Buffer) => chunks.push(c));
    const broken = { write() { throw new TypeError('boom'); }, once() {}, on() {} } as unknown as Writable;
    const status = await run(['netns', 'list'], { stdin: Readable.from(['']), stdout: broken, stderr: err });
    const text = Buffer.concat(chunks).toString('utf8');
    expect(status).toBe(70);
    expect(text).toMatch(/TypeError: boom\n\s+at /);
    expect(text).toMatch(/a bug in cnikit.*report/);
  });
});

describe('a closed stdout (cnikit ... | head)', () => {
  it('ends the command quietly with exit 141, no EPIPE stack', async () => {
    const bin = new URL('../bin/cnikit.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'lpm', '--routes', routes], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.stdout.once('data', () => child.stdout.destroy());
    // The child may exit while we still write its stdin: our EPIPE there is expected.
    let closed = false;
    child.stdin.on('error', () => (closed = true));
    const exited = once(child, 'exit');
    const line = '10.1.2.3\n'.repeat(10000);
    for (let i = 0; i < 200 && !closed && child.exitCode === null; i++) {
      if (!child.stdin.write(line)) await Promise.race([new Promise((r) => child.stdin.once('drain', r)), exited]);
    }
    if (!closed) child.stdin.end();
    const [code] = await exited;
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
