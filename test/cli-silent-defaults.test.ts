/**
 * No plausible nonsense from silent defaults: a packet without the fields no
 * default can stand for, or with a key given twice, is a one-line error
 * naming the flag, the key and what was expected (exit 2); an empty route
 * table still answers, with a warning on stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../src/core/errors.js';
import { DEFAULT_PACKET, packetFromJson, parseCompletePacket, parsePacket, parsePacketLine } from '../src/iptables/all.js';
import { cli } from './support/io.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/calico-felix-node.iptables-save.txt', import.meta.url));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cnk-defaults-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trace = (packet: string) => cli(['iptables', 'trace', '--rules', FIXTURE, '--hook', 'FORWARD', '--packet', packet]);
const verdicts = (lines: string) => cli(['iptables', 'verdicts', '--rules', FIXTURE, '--hook', 'FORWARD', '--packets', '-'], lines);
const oneLine = (s: string): string[] => s.trim().split('\n');

describe('iptables packets on the command line', () => {
  it('refuses an empty --packet, naming the flag and the missing key', async () => {
    const r = await trace('');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^cnikit: MissingPacketKey: "proto": --packet: /);
  });
  it('refuses a --packet without dst (it traced 0.0.0.0 > 0.0.0.0)', async () => {
    const r = await trace('proto=tcp src=10.0.0.1 dport=80 in=cali1 out=eth0');
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('0.0.0.0');
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^cnikit: MissingPacketKey: "dst": --packet: a dst=ADDR key \(the destination address\)/)]);
  });
  it('refuses a tcp or udp --packet without dport, but not an icmp one', async () => {
    expect((await trace('proto=udp src=10.0.0.1 dst=10.0.0.2')).stderr).toContain('MissingPacketKey: "dport": --packet');
    expect((await trace('proto=icmp src=10.0.0.1 dst=10.0.0.2 in=cali1 out=eth0')).status).toBe(0);
  });
  it('refuses a key given twice, naming it and where', async () => {
    const r = await trace('proto=tcp src=10.0.0.1 dst=10.0.0.2 dport=80 dst=10.0.0.3');
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^cnikit: DuplicatePacketKey: "dst=10.0.0.3" at char 45: --packet: each key once \(dst= was given at char 23\)/)]);
  });
  it('refuses JSON lines without dst or with a key twice, naming the flag, the line and the key', async () => {
    const ok = '{"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","dport":80}\n';
    expect((await verdicts(ok)).status).toBe(0);
    const missing = await verdicts(ok + '{"proto":"tcp","src":"10.0.0.1","dport":80}\n');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^cnikit: MissingPacketKey: "dst" at <stdin>:2: --packets: a dst=ADDR key/);
    const twice = await verdicts('{"proto":"tcp","src":"10.0.0.1","dst":"10.0.0.2","dport":80,"dst":"10.9.9.9"}\n');
    expect(twice.status).toBe(2);
    expect(twice.stdout).toBe('');
    expect(oneLine(twice.stderr)).toEqual([expect.stringMatching(/^cnikit: DuplicatePacketKey: "dst=10.9.9.9" at <stdin>:1: --packets: each key once/)]);
  });
});

describe('iptables packet parsing (library)', () => {
  it('keeps the documented defaults unless asked for a complete packet', () => {
    expect(parsePacket('')).toEqual(DEFAULT_PACKET);
    expect(() => parseCompletePacket('')).toThrow(InputError);
    expect(parseCompletePacket('proto=icmp src=1.1.1.1 dst=2.2.2.2').dst).toBe(0x02020202);
    expect(() => packetFromJson({ proto: 'udp', src: '1.1.1.1', dst: '2.2.2.2' }, {}, { complete: true })).toThrow(/MissingPacketKey: "dport"/);
  });
  it('refuses duplicate keys in text and in a JSON line', () => {
    expect(() => parsePacket('mark=0x1 mark=0x2')).toThrow(/DuplicatePacketKey: "mark=0x2" at char 9/);
    expect(() => parsePacketLine('{"mark":1,"mark":2}', { line: 3 })).toThrow(/DuplicatePacketKey: "mark=2" at line 3/);
    // An escaped key is the same key.
    expect(() => parsePacketLine('{"mark":1,"m\\u0061rk":2}', {})).toThrow(/DuplicatePacketKey/);
    expect(parsePacketLine('{"in":"a\\"b:","out":"x"}', {}).in).toBe('a"b:');
    expect(() => parsePacketLine('not json', { line: 1 })).toThrow(/BadPacket/);
  });
});

describe('cnikit lpm with an empty route table', () => {
  it('answers every address with no route, and warns on stderr', async () => {
    const routes = join(dir, 'empty.txt');
    writeFileSync(routes, '# nothing yet\n\n');
    const r = await cli(['lpm', '--routes', routes], '10.0.0.1\n');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\t')[0]).toBe('10.0.0.1');
    expect(oneLine(r.stderr)).toEqual([`cnikit: warning: ${routes} has no routes: every address is answered "no route"`]);
  });
});
