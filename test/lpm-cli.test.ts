import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cli } from './support/io.js';
import { parseRoutes } from '../src/lpm/routes-file.js';
import { formatCidr } from '../src/net/ip.js';

const dir = mkdtempSync(join(tmpdir(), 'cnk-lpm-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const ipRoute = `# ip route show (and ip -6 route show)
default via 192.168.1.1 dev eth0 proto dhcp metric 100
10.0.0.0/8 via 1.2.3.4 dev eth0
blackhole 10.1.0.0/26 proto bird
10.1.0.5 dev cali1234 scope link
throw 10.2.0.0/16
unreachable 10.3.0.0/16
local 192.168.1.10 dev eth0 proto kernel scope host src 192.168.1.10
default via fe80::1 dev eth0 proto ra metric 1024
2001:db8::/32 dev eth0
\tnexthop via fe80::2 dev eth1 weight 1
10.0.0.0/8 via 9.9.9.9 dev eth9 metric 500
`;

describe('cnikit lpm', () => {
  it('matches ip route output, both families in one run', async () => {
    const routes = file('routes.txt', ipRoute);
    const r = await cli(['lpm', '--routes', routes], '10.1.0.5\n10.1.0.6\n10.2.3.4\n8.8.8.8\n10.9.9.9\n\n# comment\n2001:db8::1\n::1\n10.3.1.1\n192.168.1.10\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '10.1.0.5\t10.1.0.5/32\tdev cali1234 scope link',
      '10.1.0.6\t10.1.0.0/26\tblackhole proto bird',
      '10.2.3.4\t10.2.0.0/16\tthrow',
      '8.8.8.8\t0.0.0.0/0\tvia 192.168.1.1 dev eth0 proto dhcp metric 100',
      '10.9.9.9\t10.0.0.0/8\tvia 1.2.3.4 dev eth0',
      '2001:db8::1\t2001:db8::/32\tdev eth0 nexthop via fe80::2 dev eth1 weight 1',
      '::1\t::/0\tvia fe80::1 dev eth0 proto ra metric 1024',
      '10.3.1.1\t10.3.0.0/16\tunreachable',
      '192.168.1.10\t192.168.1.10/32\tlocal dev eth0 proto kernel scope host src 192.168.1.10',
      '',
    ]);
  });

  it('reads CIDR LABEL lines and an --addrs file, and prints JSON', async () => {
    const routes = file('labels.txt', '10.0.0.0/8 node-a pool\n10.0.1.0/26 node-b\n');
    const addrs = file('addrs.txt', '10.0.1.1\r\n10.5.0.0\n11.0.0.0');
    const r = await cli(['lpm', '--routes', routes, '--addrs', addrs, '--json']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { addr: '10.0.1.1', cidr: '10.0.1.0/26', type: 'unicast', route: 'node-b' },
      { addr: '10.5.0.0', cidr: '10.0.0.0/8', type: 'unicast', route: 'node-a pool' },
      { addr: '11.0.0.0', cidr: null, type: 'no route', route: null },
    ]);
    const t = await cli(['lpm', '--routes', routes], '10.0.1.1\n');
    expect(t.stdout).toBe('10.0.1.1\t10.0.1.0/26\tnode-b\n');
  });

  it('names the file and line of a bad route and exits 2', async () => {
    const routes = file('bad.txt', '10.0.0.0/8 ok\n\n10.0.0.1/8 via 1.2.3.4\n');
    const r = await cli(['lpm', '--routes', routes], '10.0.0.1\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`${routes}:3: InvalidPrefix: "10.0.0.1/8": invalid prefix for given prefix length\n`);
    expect(r.stdout).toBe('');
    const noDst = await cli(['lpm', '--routes', file('nodst.txt', 'blackhole\n')], '');
    expect(noDst.stderr).toMatch(/nodst.txt:1: InvalidRoute/);
    const cont = await cli(['lpm', '--routes', file('cont.txt', '  nexthop via 1.2.3.4\n')], '');
    expect(cont.stderr).toMatch(/cont.txt:1: InvalidRoute/);
  });

  it('names stdin and the line of a bad address and exits 2', async () => {
    const routes = file('ok.txt', '10.0.0.0/8 x\n');
    const r = await cli(['lpm', '--routes', routes], '10.0.0.1\n\n10.0.0.256\n10.0.0.2\n');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^stdin:3: InvalidAddress: "10.0.0.256"/);
    expect(r.stdout).toBe('10.0.0.1\t10.0.0.0/8\tx\n');
    const f = await cli(['lpm', '--routes', routes, '--addrs', file('a.txt', 'zz\n')]);
    expect(f.stderr).toMatch(/a.txt:1: InvalidAddress/);
  });

  it('exits 2 when the routes file cannot be read', async () => {
    const r = await cli(['lpm', '--routes', join(dir, 'missing.txt')], '');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/UnreadableFile: .*missing.txt.*--routes/);
    expect((await cli(['lpm'], '')).status).toBe(2);
  });

  it('runs 1M addresses through the real bin', async () => {
    const routes = file('big-routes.txt', '0.0.0.0/1 low\n10.0.0.0/8 ten\n10.1.0.0/16 one\n');
    const addrs = join(dir, 'big-addrs.txt');
    const w = createWriteStream(addrs);
    let x = 12345;
    for (let c = 0; c < 100; c++) {
      const lines: string[] = [];
      for (let i = 0; i < 10000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        lines.push(`${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}\n`);
      }
      w.write(lines.join(''));
    }
    w.end();
    await once(w, 'finish');
    const bin = new URL('../bin/cnikit.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [bin, 'lpm', '--routes', routes, '--addrs', addrs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (b: Buffer) => (err += b));
    const [code] = await once(child, 'close');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(lines).toBe(1_000_000);
  });
});

describe('parseRoutes', () => {
  it('resolves default to the family of its gateway, else of the file', () => {
    const six = parseRoutes('default dev wg0 metric 1024\nfe80::/64 dev eth0\n', 'f');
    expect(formatCidr(six[0].cidr)).toBe('::/0');
    const four = parseRoutes('default dev eth0\n', 'f');
    expect(formatCidr(four[0].cidr)).toBe('0.0.0.0/0');
    const inet6Via = parseRoutes('default via inet6 fe80::1 dev eth0\n10.0.0.0/8 dev eth0\n', 'f');
    expect(formatCidr(inet6Via[0].cidr)).toBe('0.0.0.0/0');
    expect(parseRoutes('unicast 10.0.0.0/8 dev x\n', 'f')[0]).toEqual({ cidr: { family: 4, addr: 0x0a000000, len: 8 }, type: 'unicast', rest: 'dev x', line: 1 });
  });
});
