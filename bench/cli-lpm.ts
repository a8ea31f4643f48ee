/**
 * The cli-lpm suite: the real `cnikit lpm` command, as a user runs it, on a
 * generated table of 1M IPv4 routes (`--quick`: 100k) and 100k addresses,
 * both files in a temporary folder. One row for the wall-clock seconds of
 * the whole command (read, parse, build, look up, print) and one for its
 * peak resident memory. The command runs in a child process so its memory
 * is its own; stdout goes to /dev/null.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchContext } from './harness.js';
import type { Result } from './results.js';
import { rng } from './lpm-tables.js';
import { formatIPv4 } from '../src/net/ip.js';

/** `n` distinct random prefixes (/8 to /32) in `ip route` style, and `m` random addresses. */
function generate(n: number, m: number): { routes: string; addrs: string } {
  const r = rng(20261207);
  const seen = new Set<string>();
  const lines: string[] = [];
  while (lines.length < n) {
    const len = 8 + (r() % 25);
    const a = (r() & (len === 32 ? -1 : ~((1 << (32 - len)) - 1))) >>> 0;
    const cidr = `${formatIPv4(a)}/${len}`;
    if (seen.has(cidr)) continue;
    seen.add(cidr);
    lines.push(`${cidr} via 10.0.${(lines.length >>> 8) & 255}.${lines.length & 255} dev eth0 proto bird`);
  }
  const addrs: string[] = [];
  for (let i = 0; i < m; i++) addrs.push(formatIPv4(r()));
  return { routes: lines.join('\n') + '\n', addrs: addrs.join('\n') + '\n' };
}

/** Runs `cnikit ARGS` in a child; resolves to its wall-clock seconds and peak RSS in bytes. */
function timeCli(args: string[]): Promise<{ seconds: number; maxRss: number }> {
  const main = new URL('../src/cli/main.js', import.meta.url).href;
  // The child reports its own peak RSS (bytes; VmHWM, see peak-rss.ts) on fd 3 as it exits.
  const peak = new URL('./peak-rss.js', import.meta.url).href;
  const code = `import { writeSync } from 'node:fs'; const { main } = await import(${JSON.stringify(main)}); const { peakRssBytes } = await import(${JSON.stringify(peak)});
process.on('exit', () => writeSync(3, String(peakRssBytes())));
await main(${JSON.stringify(args)});`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let err = '';
    let rss = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (s: string) => (rss += s));
    child.on('error', reject);
    child.on('close', (status) => {
      const seconds = (performance.now() - t0) / 1000;
      if (status !== 0) reject(new Error(`cli-lpm bench: cnikit ${args.join(' ')} exited ${status}: ${err.trim()}`));
      else resolve({ seconds, maxRss: Number(rss) });
    });
  });
}

/** Runs the suite. */
export async function run(ctx: BenchContext): Promise<Result[]> {
  const n = ctx.quick ? 100_000 : 1_000_000;
  const m = 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'cnk-bench-cli-lpm-'));
  try {
    const { routes, addrs } = generate(n, m);
    const rf = join(dir, 'routes.txt');
    const af = join(dir, 'addrs.txt');
    writeFileSync(rf, routes);
    writeFileSync(af, addrs);
    ctx.log(`-- cnikit lpm --routes (${n} routes, ${(routes.length / 1e6).toFixed(1)} MB) --addrs (${m} addresses)`);
    const { seconds, maxRss } = await timeCli(['lpm', '--routes', rf, '--addrs', af]);
    const c = `${n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`} routes, ${m / 1e3}k addrs cnikit lpm`;
    return [
      { suite: 'cli-lpm', case: c, metric: 'wall', value: seconds, unit: 's' },
      { suite: 'cli-lpm', case: c, metric: 'peak RSS', value: maxRss / 2 ** 20, unit: 'MiB' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
