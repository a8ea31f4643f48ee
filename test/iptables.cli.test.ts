import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './support/io.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/calico-felix-node.iptables-save.txt', import.meta.url));
let dir: string;
const f = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cnk-ipt-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PKT = 'proto=tcp src=10.0.0.1 dst=10.0.1.2 sport=40000 dport=80 in=cali123 out=eth0 mark=0x0 state=NEW';

describe('cnikit iptables trace', () => {
  it('prints the walk and the verdict with the deciding rule and comment', async () => {
    const r = await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'FORWARD', '--packet', PKT]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('[filter cali-FORWARD #2 line 70] -A cali-FORWARD -i cali+');
    expect(r.stdout).toContain('DENIED: DROP by filter cali-from-wl-dispatch rule 0 (line 85) "cali:zTj6P0TIgYvgz-md; Unknown interface"');
  });
  it('prints JSON in the Trace shape, with host interfaces from --iface', async () => {
    const r = await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'INPUT', '--json', '--iface', 'eth0=10.0.0.5/24', '--iface', 'eth0=10.0.1.5/24', '--packet', 'proto=udp src=10.0.0.9 dst=10.0.0.5 dport=4789 in=eth0']);
    expect(r.status).toBe(0);
    const t = JSON.parse(r.stdout);
    expect(t.disposition).toBe('DENIED');
    expect(t.rule).toMatchObject({ table: 'filter', chain: 'cali-INPUT', index: 0 });
    expect(t.hops[0].node).toBe('netfilter INPUT');
    const mark = t.hops[0].steps.find((s: { kind: string }) => s.kind === 'rule');
    expect(mark.data).toHaveProperty('markBefore');
  });
  it('shows mark changes and accepts', async () => {
    const rules = f('m.txt', '*filter\n:OUTPUT DROP [0:0]\n-A OUTPUT -j MARK --set-xmark 0x1/0x1\n-A OUTPUT -m mark --mark 0x1/0x1 -m comment --comment ok -j ACCEPT\nCOMMIT\n');
    const r = await cli(['iptables', 'trace', '--rules', rules, '--hook', 'OUTPUT', '--packet', 'proto=udp src=10.0.0.1 dst=10.0.0.2 dport=53']);
    expect(r.stdout).toContain('mark 0x0 -> 0x1');
    expect(r.stdout).toContain('ACCEPTED: ACCEPT by filter OUTPUT rule 1 (line 4) "ok"');
  });
  it('walks a path of hooks, one hop each, the packet carried over', async () => {
    const rules = f('p.txt', '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 10.9.9.9:8080\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n-A FORWARD -d 10.9.9.9 -m conntrack --ctstate DNAT -j ACCEPT\nCOMMIT\n');
    const ok = await cli(['iptables', 'trace', '--rules', rules, '--hook', 'PREROUTING,FORWARD,POSTROUTING', '--packet', 'proto=tcp src=10.0.0.1 dst=1.2.3.4 dport=80 in=eth0 out=eth1']);
    expect(ok.stdout).toContain('netfilter FORWARD: proto=tcp src=10.0.0.1 dst=10.9.9.9 sport=0 dport=8080');
    expect(ok.stdout).toContain('netfilter POSTROUTING');
    expect(ok.stdout).toContain('ACCEPTED: ACCEPT');
    const json = JSON.parse((await cli(['iptables', 'trace', '--rules', rules, '--hook', 'PREROUTING,FORWARD', '--json', '--packet', 'proto=udp src=10.0.0.1 dst=1.2.3.4 dport=53 in=eth0 out=eth1'])).stdout);
    expect(json.hops.map((h: { node: string }) => h.node)).toEqual(['netfilter PREROUTING', 'netfilter FORWARD']);
    expect(json.disposition).toBe('DENIED');
    const bad = await cli(['iptables', 'verdicts', '--rules', rules, '--hook', 'PREROUTING,FORWARD', '--packets', '-'], '');
    expect(bad.stderr).toContain('one hook');
  });
  it('shows NAT rewrites in the walk', async () => {
    const rules = f('n.txt', '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 10.9.9.9:8080\nCOMMIT\n');
    const r = await cli(['iptables', 'trace', '--rules', rules, '--hook', 'PREROUTING', '--packet', 'proto=tcp src=10.0.0.1 dst=1.2.3.4 dport=80 in=eth0']);
    expect(r.stdout).toContain('=> DNAT  now proto=tcp src=10.0.0.1 dst=10.9.9.9 sport=0 dport=8080');
  });
  it('reports lenient rules on stderr and errors with file and line', async () => {
    const rules = f('l.txt', '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m hashlimit --hashlimit 1 -j DROP\nCOMMIT\n');
    const strict = await cli(['iptables', 'trace', '--rules', rules, '--hook', 'INPUT', '--packet', 'proto=tcp src=10.0.0.1 dst=10.0.0.2 dport=22']);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toContain(`UnknownMatch: "hashlimit" at ${rules}:3`);
    const lenient = await cli(['iptables', 'trace', '--rules', rules, '--hook', 'INPUT', '--lenient', '--packet', 'proto=tcp src=10.0.0.1 dst=10.0.0.2 dport=22']);
    expect(lenient.status).toBe(0);
    expect(lenient.stderr).toContain('kept as a rule that never matches');
    expect(lenient.stdout).toContain('NO_MATCH');
  });
  it('rejects bad hooks, files, packets and --iface', async () => {
    expect((await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'NOPE', '--packet', PKT])).stderr).toContain('BadHook');
    expect((await cli(['iptables', 'trace', '--rules', join(dir, 'missing'), '--hook', 'INPUT', '--packet', PKT])).stderr).toContain('UnreadableFile');
    expect((await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'INPUT', '--packet', 'proto=nope'])).status).toBe(2);
    expect((await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'INPUT', '--iface', 'bad', '--packet', PKT])).stderr).toContain('BadIface');
    expect((await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'INPUT'])).status).toBe(2);
  });
});

describe('cnikit iptables verdicts', () => {
  const rules = (): string =>
    f('v.txt', '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m set --match-set web dst -j DNAT --to-destination 10.9.9.9:8080\nCOMMIT\n*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -i cali+ -j MARK --set-xmark 0x80000/0x80000\n-A PREROUTING -p udp -j DROP\nCOMMIT\n');
  const sets = (): string => f('s.txt', 'create web hash:ip\nadd web 10.0.0.80\n');

  it('prints one JSON verdict per packet line, with the deciding rule, mark and NAT addresses', async () => {
    const pk = f('p.jsonl', [JSON.stringify({ proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.80', dport: 80, in: 'cali1' }), '', JSON.stringify({ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', dport: 53, in: 'eth0' }), JSON.stringify({ proto: 'tcp', src: '10.0.0.1', state: 'ESTABLISHED', dst: '10.0.0.80', dport: 80 })].join('\n') + '\n');
    for (const extra of [['--counters', join(dir, 'counters.txt')], ['--linear']]) {
      const r = await cli(['iptables', 'verdicts', '--rules', rules(), '--ipsets', sets(), '--hook', 'PREROUTING', '--packets', pk, ...extra]);
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual([
        { verdict: 'ACCEPT', table: 'nat', chain: 'PREROUTING', index: 0, line: 3, policy: false, mark: '0x80000', dst: '10.9.9.9' },
        { verdict: 'DROP', table: 'mangle', chain: 'PREROUTING', index: 1, line: 8, policy: false, mark: '0x0' },
        { verdict: 'ACCEPT', table: 'mangle', chain: 'PREROUTING', index: 2, line: 6, policy: true, mark: '0x0' },
      ]);
    }
  });
  it('writes the counters the packets produced as iptables-save -c', async () => {
    const pk = f('c.jsonl', '{"proto":"udp","src":"10.0.0.1","dst":"10.0.0.2","dport":53,"in":"cali1","len":100}\n{"proto":"udp","src":"10.0.0.1","dst":"10.0.0.2","dport":53,"len":50}\n');
    const out = join(dir, 'c.txt');
    const r = await cli(['iptables', 'verdicts', '--rules', rules(), '--ipsets', sets(), '--hook', 'PREROUTING', '--packets', pk, '--counters', out]);
    expect(r.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('[1:100] -A PREROUTING -i cali+ -j MARK --set-xmark 0x80000/0x80000');
    expect(text).toContain('[2:150] -A PREROUTING -p udp -j DROP');
    expect(text).toContain(':PREROUTING ACCEPT [0:0]');
  });
  it('--conntrack walks nat although no loaded rule needs conntrack', async () => {
    // Why this test? Without a rule that needs conntrack the kernel does not track, so nat is skipped;
    // --conntrack is how a user says nftables or IPVS keeps it on.
    const nat = f('ct.txt', '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p udp -j ACCEPT\nCOMMIT\n');
    const args = ['iptables', 'verdicts', '--rules', nat, '--hook', 'PREROUTING', '--packets', '-'];
    const pkt = '{"proto":"udp","src":"10.0.0.1","dst":"10.0.0.2","dport":53}\n';
    expect(JSON.parse((await cli(args, pkt)).stdout)).toMatchObject({ verdict: 'ACCEPT', table: null });
    expect(JSON.parse((await cli([...args, '--conntrack'], pkt)).stdout)).toMatchObject({ verdict: 'ACCEPT', table: 'nat', index: 0 });
  });
  it('reads stdin with "-" and names bad lines', async () => {
    const ok = await cli(['iptables', 'verdicts', '--rules', rules(), '--ipsets', sets(), '--hook', 'INPUT', '--packets', '-'], '{"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","dport":80}\n');
    expect(JSON.parse(ok.stdout)).toEqual({ verdict: 'ACCEPT', table: 'nat', chain: 'INPUT', index: 0, line: 1, policy: true, mark: '0x0' });
    const bad = await cli(['iptables', 'verdicts', '--rules', rules(), '--ipsets', sets(), '--hook', 'INPUT', '--packets', '-'], '{"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","dport":80}\nnot json\n');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('<stdin>:2');
    const badKey = await cli(['iptables', 'verdicts', '--rules', rules(), '--ipsets', sets(), '--hook', 'INPUT', '--packets', '-'], '{"sport":99999}\n');
    expect(badKey.stderr).toContain('<stdin>:1');
    const missing = await cli(['iptables', 'verdicts', '--rules', rules(), '--ipsets', sets(), '--hook', 'INPUT', '--packets', join(dir, 'nope.jsonl')]);
    expect(missing.stderr).toContain('UnreadableFile');
    const noSet = await cli(['iptables', 'verdicts', '--rules', rules(), '--hook', 'INPUT', '--packets', '-'], '');
    expect(noSet.stderr).toContain('NoSuchSet');
  });
});
