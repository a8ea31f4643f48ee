/**
 * The public API in a real browser: headless Chromium loads `dist/` as ES
 * modules over HTTP from a loopback server and runs createCore() + RouteTable.
 * Runs when Chromium is installed (CI installs it); skipped otherwise, with
 * the reason printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sayskip } from './support/netns.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.map': 'application/json' };

describe.skipIf(!chromium)('cnikit in a browser (headless Chromium)', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
      const file = path === '/' ? 'test/browser/page.html' : path.slice(1);
      try {
        const body = await readFile(join(root, file));
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('loads the WASM asynchronously and answers lookups', async () => {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(root, 'node_modules/.cache/cnikit-chromium')}`, '--virtual-time-budget=10000', '--dump-dom', `http://127.0.0.1:${port}/`];
    const { spawn } = await import('node:child_process');
    const dom = await new Promise<string>((resolve, reject) => {
      const p = spawn(chromium!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.on('error', reject);
      p.on('close', () => resolve(out));
    });
    const m = /(RESULT|ERROR) ([^<]*)/.exec(dom);
    expect(m?.[1], dom.slice(0, 2000)).toBe('RESULT');
    const r = JSON.parse(m![2].replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { res: number[]; v6: number; bad: string; codec: string };
    expect(r.res).toEqual([2, 1, -1]);
    expect(r.v6).toBe(7);
    expect(r.bad).toContain('invalid prefix for given prefix length');
    expect(r.codec).toBe('function');
  });
});

if (!chromium) sayskip('browser test', 'Chromium is not installed (CI installs the Debian chromium package)');
