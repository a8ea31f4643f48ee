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
  // The page POSTs its outcome to /result when it is done, however long
  // loading takes on a busy machine (a DOM dump after a fixed virtual-time
  // budget could come before the module script had finished).
  let report: (text: string) => void = () => {};
  const reported = new Promise<string>((r) => (report = r));
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      if (req.method === 'POST' && req.url === '/result') {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          res.writeHead(204).end();
          report(body);
        });
        return;
      }
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
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(root, 'node_modules/.cache/cnikit-chromium')}`, `http://127.0.0.1:${port}/`];
    const { spawn } = await import('node:child_process');
    const p = spawn(chromium!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<string>((r) => p.on('close', (code) => r(`chromium exited (${code}) before the page reported: ${stderr.slice(-2000)}`)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => (timer = setTimeout(() => r('no report from the page within 90 s'), 90_000)));
    const text = await Promise.race([reported, exited, timeout]);
    clearTimeout(timer);
    p.kill('SIGKILL');
    const m = /^(RESULT|ERROR) ([\s\S]*)$/.exec(text);
    expect(m?.[1], text.slice(0, 2000)).toBe('RESULT');
    const r = JSON.parse(m![2]) as { res: number[]; v6: number; bad: string; codec: string };
    expect(r.res).toEqual([2, 1, -1]);
    expect(r.v6).toBe(7);
    expect(r.bad).toContain('invalid prefix for given prefix length');
    expect(r.codec).toBe('function');
  }, 120_000);
});

if (!chromium) sayskip('browser test', 'Chromium is not installed (CI installs the Debian chromium package)');
