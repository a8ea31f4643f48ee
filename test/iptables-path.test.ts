/**
 * Hook paths (`trace --hook PREROUTING,FORWARD,POSTROUTING`): each hook sees
 * the interfaces Linux gives it there, whatever the previous hook saw.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../src/core/errors.js';
import { ReferenceEngine, parsePacket, parseRuleset } from '../src/iptables/all.js';
import { cli } from './support/io.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/calico-felix-node.iptables-save.txt', import.meta.url));
// A reply to a workload: FORWARD alone drops it (cali-to-wl-dispatch has no rule for cali123).
const TO_WL = 'proto=tcp src=10.0.0.1 dst=10.0.1.2 sport=80 dport=40000 in=eth0 out=cali123 state=ESTABLISHED';
// -i in a user chain reached from POSTROUTING sees the input device of a forwarded packet (ip_output's indev).
const MARK_IN = '*mangle\n:POSTROUTING ACCEPT [0:0]\n:c - [0:0]\n-A POSTROUTING -j c\n-A c -i eth0 -j MARK --set-xmark 0x1/0x1\nCOMMIT\n';

describe('ReferenceEngine.tracePath', () => {
  const rs = parseRuleset(readFileSync(FIXTURE, 'utf8'), { file: FIXTURE });
  it('gives FORWARD the out interface even after PREROUTING (which has none)', () => {
    const p = parsePacket(TO_WL);
    const alone = new ReferenceEngine(rs).walk('FORWARD', p);
    expect(alone.verdict).toBe('DROP');
    const t = new ReferenceEngine(rs).tracePath(['PREROUTING', 'FORWARD', 'POSTROUTING'], p);
    expect(t.result.verdict).toBe('DROP');
    expect(t.result.rule).toEqual(alone.rule);
    expect(t.hops.map((h) => h.node)).toEqual(['netfilter PREROUTING', 'netfilter FORWARD']);
    expect(t.walks.map((w) => [w.hook, w.packet.in, w.packet.out])).toEqual([
      ['PREROUTING', 'eth0', ''],
      ['FORWARD', 'eth0', 'cali123'],
    ]);
  });
  it('gives POSTROUTING the input device of a forwarded packet and none for a local one', () => {
    const eng = new ReferenceEngine(parseRuleset(MARK_IN));
    const p = parsePacket('proto=udp src=10.0.0.1 dst=10.0.1.2 dport=53 in=eth0 out=eth1');
    expect(eng.tracePath(['FORWARD', 'POSTROUTING'], p).result.packet.mark).toBe(1);
    expect(eng.tracePath(['POSTROUTING'], p).result.packet.mark).toBe(1);
    const local = eng.tracePath(['OUTPUT', 'POSTROUTING'], p);
    expect(local.result.packet.mark).toBe(0);
    expect(local.walks.map((w) => w.packet.in)).toEqual(['', '']);
  });
  it('refuses hooks in an order no packet meets them', () => {
    const eng = new ReferenceEngine(rs);
    const p = parsePacket(TO_WL);
    for (const path of [['INPUT', 'FORWARD'], ['FORWARD', 'PREROUTING'], ['PREROUTING', 'POSTROUTING'], ['OUTPUT', 'INPUT'], ['FORWARD', 'FORWARD'], []] as const) {
      expect(() => eng.tracePath(path, p), path.join(',')).toThrow(InputError);
    }
    for (const path of [['PREROUTING', 'INPUT'], ['OUTPUT', 'POSTROUTING'], ['FORWARD', 'POSTROUTING'], ['PREROUTING', 'FORWARD']] as const) {
      expect(() => eng.tracePath(path, p), path.join(',')).not.toThrow();
    }
  });
});

describe('cnikit iptables trace --hook PATH', () => {
  it('drops on the path what FORWARD alone drops, and shows each hook the packet it saw', async () => {
    const alone = await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'FORWARD', '--packet', TO_WL]);
    expect(alone.stdout).toContain('DENIED: DROP by filter cali-to-wl-dispatch rule 0');
    const path = await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'PREROUTING,FORWARD,POSTROUTING', '--packet', TO_WL]);
    expect(path.status).toBe(0);
    expect(path.stdout).toContain('DENIED: DROP by filter cali-to-wl-dispatch rule 0');
    expect(path.stdout).toContain('netfilter PREROUTING: proto=tcp src=10.0.0.1 dst=10.0.1.2 sport=80 dport=40000 in=eth0 out= ');
    expect(path.stdout).toContain('netfilter FORWARD: proto=tcp src=10.0.0.1 dst=10.0.1.2 sport=80 dport=40000 in=eth0 out=cali123 ');
    const json = JSON.parse((await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'PREROUTING,FORWARD,POSTROUTING', '--json', '--packet', TO_WL])).stdout);
    expect(json.verdict).toBe('DROP');
    expect(json.hops.map((h: { packet: string }) => / out=(\S*)/.exec(h.packet)?.[1])).toEqual(['', 'cali123']);
  });
  it('names a path in the wrong order', async () => {
    const r = await cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'FORWARD,PREROUTING', '--packet', TO_WL]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^cnikit: BadHook: "FORWARD,PREROUTING": .*PREROUTING,FORWARD,POSTROUTING/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
