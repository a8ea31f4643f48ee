/**
 * `cnikit lpm` builds its route tables once from the whole routes file:
 * one WASM table per family, each built once, no lookup per route while
 * loading, and no second structure built at the first lookup (a large
 * sparse IPv4 table used to be built as a poptrie and then copied, route
 * by route, into the sorted store: 9.5 s of a 17 s run on 1M routes).
 * Timing is the benchmark's job (bench/cli-lpm.ts); this counts WASM calls.
 */
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './support/io.js';
import { formatIPv4 } from '../src/net/ip.js';

const calls = { lpm_create: 0, lpm_build: 0, lpm_get: 0 };

vi.mock('../src/core/core.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/core/core.js')>();
  return {
    ...m,
    createCore: async (...args: Parameters<typeof m.createCore>) => {
      const core = await m.createCore(...args);
      const x = core.exports as unknown as Record<string, (...a: number[]) => number>;
      const counted: Record<string, unknown> = { ...x };
      for (const k of Object.keys(calls) as (keyof typeof calls)[]) counted[k] = (...a: number[]) => (calls[k]++, x[k](...a));
      (core as unknown as { exports: unknown }).exports = counted;
      return core;
    },
  };
});

describe('cnikit lpm table building', () => {
  it('one table per family, each built once, whatever the table shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnk-lpm-build-'));
    // 20,000 random host routes: a sparse table over RouteTable's per-table memory bound.
    let s = 7;
    const lines: string[] = [];
    const hosts: string[] = [];
    for (let i = 0; i < 20000; i++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      hosts.push(formatIPv4(s >>> 0));
      lines.push(`${hosts[i]} dev cali${i}`);
    }
    lines.push(`${hosts[5]} dev second-line-of-a-prefix`, '2001:db8::/32 dev eth0');
    const routes = join(dir, 'routes.txt');
    writeFileSync(routes, lines.join('\n') + '\n');
    const r = await cli(['lpm', '--routes', routes], `${hosts[5]}\n${hosts[19999]}\n2001:db8::1\n::1\n`);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe(`${hosts[5]}\t${hosts[5]}/32\tdev cali5`);
    expect(r.stdout.split('\n')[1]).toBe(`${hosts[19999]}\t${hosts[19999]}/32\tdev cali19999`);
    expect(r.stdout.split('\n')[2]).toBe('2001:db8::1\t2001:db8::/32\tdev eth0');
    expect(calls).toEqual({ lpm_create: 2, lpm_build: 2, lpm_get: 0 });
  });
});
