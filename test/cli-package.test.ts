/**
 * The package as a user gets it: `npm pack` the tree, install the tarball
 * in a scratch project (from the npm cache, --prefer-offline; the lockfile
 * written here pins cnikit's dependencies to this repository's lock), and
 * run the installed `cnikit`; and `npm ci` of this repository's own lock
 * on a machine without a C++ compiler (CC and CXX set to /bin/false).
 * Takes about 40 s, most of it the `prepare` build that `npm pack` runs and
 * the second `npm ci`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/main.js';
import { cli } from './support/io.js';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string; license: string; files: string[]; bin: Record<string, string>; engines: Record<string, string>;
  dependencies: Record<string, string>; optionalDependencies?: Record<string, string>; devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
const haveNpm = spawnSync('npm', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'cnk-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('package.json and package-lock.json', () => {
  // Why this test? `npm ci` must never need a C++ compiler: whatever compiles on install is optional.
  it('every package with an install script is optional, and the lock agrees with package.json', () => {
    const scripted = Object.entries(lock.packages).filter(([, v]) => v.hasInstallScript);
    for (const [name, v] of scripted) expect({ name, optional: v.optional }).toEqual({ name, optional: true });
    expect(pkg.optionalDependencies).toEqual({ 'arkime-iptrie': lock.packages['node_modules/arkime-iptrie'].version });
    const top = lock.packages[''] as Record<string, unknown>;
    expect(top.dependencies).toEqual(pkg.dependencies);
    expect(top.optionalDependencies).toEqual(pkg.optionalDependencies);
    expect(top.devDependencies).toEqual(pkg.devDependencies);
    // What dist/bench imports at run time is a dependency, so an installed `cnikit bench` runs.
    expect(pkg.dependencies.tinybench).toBeDefined();
    expect(lock.packages['node_modules/tinybench'].dev).toBeUndefined();
  });
  it('cnikit --version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect((await cli(['-V'])).stdout).toBe(`${pkg.version}\n`);
  });
  it('the LICENSE is the Apache-2.0 text package.json names', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(join(root, 'LICENSE'), 'utf8');
    expect(text).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(text).toMatch(/END OF TERMS AND CONDITIONS/);
  });
  it('the README says how to run the CLI, how long the first run takes, and that the package is ESM-only', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toMatch(/npx cnikit /);
    expect(readme).toMatch(/ESM-only/);
    expect(readme).toMatch(/first .*(takes|minutes|seconds)/i);
    expect(readme).toMatch(/exit status|exit code/i);
  });
  it('run() is what the bin runs: help lists every command', async () => {
    const out: string[] = [];
    const w = { write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WritableStream;
    await run(['--help'], { stdin: process.stdin, stdout: w as never, stderr: w as never });
    for (const c of ['lpm', 'vxlan', 'ipip', 'iptables', 'bench', 'netns']) expect(out.join('')).toMatch(new RegExp(`\\n  ${c}\\b`));
  });
});

describe.skipIf(!haveNpm)('the packed tarball installed in a scratch project', () => {
  let tarball = '';
  let files: string[] = [];
  const project = join(dir, 'project');
  const bin = join(project, 'node_modules', '.bin', 'cnikit');
  const sh = (file: string, args: string[], cwd = project) => spawnSync(file, args, { cwd, encoding: 'utf8', timeout: 120_000 });

  beforeAll(() => {
    // `npm pack --json` runs `prepare` (the build): its stdout must be the JSON alone.
    const json = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [info] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, info.filename);
    files = info.files.map((f) => f.path);
    // A scratch project whose lock pins cnikit's dependencies to ours, so the
    // install needs no registry metadata (only the cached tarballs).
    mkdirSync(project);
    const dep = { cnikit: `file:${tarball}` };
    const packages: Record<string, unknown> = {
      '': { name: 'scratch', version: '1.0.0', dependencies: dep },
      'node_modules/cnikit': { version: pkg.version, resolved: `file:${tarball}`, license: pkg.license, dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies, bin: pkg.bin, engines: pkg.engines },
    };
    for (const d of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies ?? {})]) {
      const { dev: _dev, ...entry } = lock.packages[`node_modules/${d}`];
      packages[`node_modules/${d}`] = entry;
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, dependencies: dep }));
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
    const r = sh('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund']);
    if (r.status !== 0) throw new Error(`npm ci in the scratch project failed:\n${r.stderr}`);
  }, 180_000);

  it('ships the LICENSE, the README and the docs it links to', () => {
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect(files).toContain(l);
  });
  it('cnikit --version and --help from the installed bin', () => {
    const v = sh(bin, ['--version']);
    expect([v.status, v.stdout]).toEqual([0, `${pkg.version}\n`]);
    expect(sh(bin, ['--help']).stdout).toMatch(/bench/);
  });
  it('cnikit bench runs from the installed package and says which baselines it skipped', () => {
    const out = join(dir, 'results.json');
    const r = sh(bin, ['bench', '--only', 'lpm,store', '--quick', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/skipped baseline longest-prefix-match: not loadable \(a devDependency/);
    expect(r.stdout).toMatch(/skipped table asn: @ip-location-db\/asn is not installed/);
    // arkime-iptrie is optional: measured if npm could compile it here, else skipped with the reason.
    const arkime = existsSync(join(project, 'node_modules', 'arkime-iptrie', 'build', 'Release', 'iptrie.node'));
    if (arkime) expect(r.stdout).toMatch(/arkime-iptrie/);
    else expect(r.stdout).toMatch(/skipped baseline arkime-iptrie: not loadable \(an optional dependency, a native addon/);
    const rows = JSON.parse(readFileSync(out, 'utf8')) as { suite: string }[];
    expect(new Set(rows.map((x) => x.suite))).toEqual(new Set(['lpm', 'store']));
  });
  it('is ESM-only: import works, require is refused by the exports map', () => {
    const imp = sh(process.execPath, ['--input-type=module', '-e', "const m = await import('cnikit'); console.log(typeof m.createCore, typeof m.RouteTable)"]);
    expect(imp.stdout).toBe('function function\n');
    // pcap is its own export, beside the main entry (the codec no longer re-exports it).
    const pcap = sh(process.execPath, ['--input-type=module', '-e', "const m = await import('cnikit/pcap'); const all = await import('cnikit'); console.log(typeof m.readCapture, typeof m.CaptureStream, all.readCapture === m.readCapture)"]);
    expect(pcap.stdout).toBe('function function true\n');
    const req = sh(process.execPath, ['-e', "require('cnikit')"]);
    expect(req.status).not.toBe(0);
    expect(req.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE/);
  });
});

describe.skipIf(!haveNpm)('npm ci without a C++ compiler', () => {
  // Why this test? Contributors without a compiler must be able to `npm ci`: native baselines are optional.
  it('installs every dependency but the native baseline (skipped, not an error)', () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    // The repository's package.json without its scripts (`prepare` builds from sources not copied here).
    const { scripts: _scripts, ...bare } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(repo, 'package.json'), JSON.stringify(bare));
    writeFileSync(join(repo, 'package-lock.json'), readFileSync(join(root, 'package-lock.json')));
    const r = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: repo, encoding: 'utf8', timeout: 150_000, env: { ...process.env, CC: '/bin/false', CXX: '/bin/false' },
    });
    expect(r.stderr).not.toMatch(/npm error/);
    expect(r.status).toBe(0);
    for (const d of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]) expect(existsSync(join(repo, 'node_modules', d, 'package.json'))).toBe(true);
    expect(existsSync(join(repo, 'node_modules', 'arkime-iptrie', 'build', 'Release', 'iptrie.node'))).toBe(false);
  }, 180_000);
});
