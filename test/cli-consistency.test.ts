/**
 * The same fact reads the same in text and JSON, and the same command keeps
 * one output shape: lpm answers (no route, an unreachable route, a throw
 * route), iptables verdicts on an empty ruleset, codec errors that name the
 * flag, and help that shows defaults and required options.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/io.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cnk-consistency-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('cnikit lpm: no route, an unreachable route and a throw route', () => {
  const ROUTES = '10.0.0.0/8 via 10.9.9.1 dev eth0\nthrow 10.2.0.0/16\nunreachable 10.3.0.0/16\n';
  const ADDRS = '10.1.1.1\n10.2.3.4\n10.3.1.1\n11.0.0.1\n';
  it('are three different answers, named the same in text and JSON', async () => {
    const routes = file('r.txt', ROUTES);
    const text = await cli(['lpm', '--routes', routes], ADDRS);
    expect(text.status).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      '10.1.1.1\t10.0.0.0/8\tvia 10.9.9.1 dev eth0',
      '10.2.3.4\t10.2.0.0/16\tthrow',
      '10.3.1.1\t10.3.0.0/16\tunreachable',
      '11.0.0.1\t-\tno route',
    ]);
    const json = await cli(['lpm', '--routes', routes, '--json'], ADDRS);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { addr: '10.1.1.1', cidr: '10.0.0.0/8', type: 'unicast', route: 'via 10.9.9.1 dev eth0' },
      { addr: '10.2.3.4', cidr: '10.2.0.0/16', type: 'throw', route: 'throw' },
      { addr: '10.3.1.1', cidr: '10.3.0.0/16', type: 'unreachable', route: 'unreachable' },
      { addr: '11.0.0.1', cidr: null, type: 'no route', route: null },
    ]);
  });
});

describe('cnikit iptables verdicts on an empty ruleset', () => {
  it('prints the same keys as on a ruleset that decides', async () => {
    const pkt = '{"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","dport":80}\n';
    const decided = JSON.parse((await cli(['iptables', 'verdicts', '--rules', file('f.txt', '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n'), '--hook', 'FORWARD', '--packets', '-'], pkt)).stdout);
    const empty = await cli(['iptables', 'verdicts', '--rules', file('e.txt', ''), '--hook', 'FORWARD', '--packets', '-'], pkt);
    expect(empty.status).toBe(0);
    const none = JSON.parse(empty.stdout);
    expect(Object.keys(none)).toEqual(Object.keys(decided));
    expect(none).toEqual({ verdict: 'ACCEPT', table: null, chain: null, index: null, line: null, policy: null, mark: '0x0' });
    const trace = JSON.parse((await cli(['iptables', 'trace', '--rules', file('e.txt', ''), '--hook', 'FORWARD', '--json', '--packet', 'proto=tcp src=10.0.0.1 dst=10.0.0.2 dport=80'])).stdout);
    expect(trace.rule).toBeNull();
    expect(trace.hops[0].steps.at(-1).data.rule).toBeNull();
  });
});

describe('codec errors name the flag', () => {
  const pcap = (): string => file('in.pcap', '');
  const NODE: Record<string, string> = { '--local': '192.168.50.1', '--remote': '192.168.50.2', '--src-mac': '02:50:00:00:00:01', '--dst-mac': '02:50:00:00:00:02', '--vni': '1' };
  const encap = (over: Record<string, string>) => cli(['vxlan', 'encap', '--in', pcap(), '--out', join(dir, 'o.pcap'), ...Object.entries({ ...NODE, ...over }).flat()]);
  it.each([
    ['--local', '300.1.1.1', 'InvalidAddress'],
    ['--remote', '10.0.0', 'InvalidAddress'],
    ['--src-mac', '02:50:00:00:00', 'InvalidMac'],
    ['--dst-mac', 'zz:50:00:00:00:02', 'InvalidMac'],
    ['--vni', '16777216', 'InvalidVni'],
    ['--ttl', '0', 'InvalidTtl'],
    ['--ttl', 'abc', 'InvalidOption'],
    ['--port', '70000', 'InvalidPort'],
    ['--ip-id', '65536', 'InvalidIpId'],
    ['--srcport', '2000:1000', 'InvalidPortRange'],
  ])('%s %s', async (flag, value, code) => {
    const r = await encap({ [flag]: value });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^cnikit: ${code}: .*${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*: ${flag}: `));
  });
  it('decode --port and --vni', async () => {
    const kernel = new URL('./fixtures/flannel-vxlan-kernel.pcap', import.meta.url).pathname;
    expect((await cli(['vxlan', 'decode', kernel, '--port', '70000'])).stderr).toMatch(/^cnikit: InvalidPort: "70000": --port: /);
    expect((await cli(['vxlan', 'decode', kernel, '--vni', '16777216'])).stderr).toMatch(/^cnikit: InvalidVni: "16777216": --vni: /);
  });
});

/** The help text of each option, by its long flag. */
function optionHelp(help: string): Map<string, string> {
  const out = new Map<string, string>();
  let cur = '';
  for (const line of help.split('\n')) {
    const m = /^ {2}(?:-\w, )?(--[\w-]+)/.exec(line);
    if (m) cur = m[1];
    if (cur) out.set(cur, `${out.get(cur) ?? ''} ${line.trim()}`);
    if (line.trim() === '') cur = '';
  }
  return out;
}

describe('help shows defaults and required options', () => {
  it('vxlan and ipip encap', async () => {
    const vx = optionHelp((await cli(['vxlan', 'encap', '--help'])).stdout);
    expect(vx.get('--ttl')).toContain('(default: "64")');
    expect(vx.get('--srcport')).toContain('(default: "32768:60999")');
    for (const f of ['--in', '--out', '--local', '--remote', '--src-mac', '--dst-mac', '--vni']) expect(vx.get(f), f).toContain('(required)');
    expect(vx.get('--ttl')).not.toContain('(required)');
    const ipip = optionHelp((await cli(['ipip', 'encap', '--help'])).stdout);
    expect(ipip.get('--ttl')).toContain('(default: "inherit")');
  });
  it('lpm and iptables', async () => {
    const lpm = optionHelp((await cli(['lpm', '--help'])).stdout);
    expect(lpm.get('--routes')).toContain('(required)');
    expect(lpm.get('--addrs')).not.toContain('(required)');
    const trace = optionHelp((await cli(['iptables', 'trace', '--help'])).stdout);
    for (const f of ['--rules', '--hook', '--packet']) expect(trace.get(f), f).toContain('(required)');
    const verdicts = optionHelp((await cli(['iptables', 'verdicts', '--help'])).stdout);
    expect(verdicts.get('--packets')).toContain('(required)');
  });
});
