// The import graph (scripts/imports.mjs): no cycles between files or folders
// of src/, assembly/, bench/, props/, test/ and scripts/, and control-plane
// code (src/flannel/, src/calico/) reaching src/kernel/ and src/store/ only
// through their index.ts barrels. The checker itself is tested on the small
// tree under test/fixtures/imports/.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  checkImports, formatReport, importsOf, resolveImport, folderOf, type ImportReport,
} from '../scripts/imports.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = join(root, 'test/fixtures/imports');
const script = join(root, 'scripts/imports.mjs');
const repo: ImportReport = checkImports(root);
const each = (r: Pick<ImportReport, 'fileCycles'>): string[] => r.fileCycles.map((c) => c.cycle.join(' -> '));

/** Fails with the script's own report of what is wrong, so the message names every cycle. */
function expectNone(what: string, found: number, report: Partial<ImportReport>): void {
  if (found === 0) return;
  const text = formatReport({ files: repo.files, fileCycles: [], folderCycles: [], barrelViolations: [], ...report });
  expect.unreachable(`${what}; \`npm run imports\` prints them:\n${text}`);
}

describe('the repository import graph', () => {
  it('scans the source of every checked folder', () => {
    // Why this test? An empty or mis-rooted scan would pass every check below.
    expect(repo.files).toBeGreaterThan(150);
  });

  it('has no import cycle between files (type-only imports count)', () => {
    expectNone(`${repo.fileCycles.length} import cycle(s) between files`, repo.fileCycles.length, { fileCycles: repo.fileCycles });
  });

  it('has no import cycle between folders', () => {
    expectNone(`${repo.folderCycles.length} import cycle(s) between folders`, repo.folderCycles.length, { folderCycles: repo.folderCycles });
  });

  it('keeps control-plane code (src/flannel, src/calico) to the kernel and store barrels', () => {
    expectNone(`${repo.barrelViolations.length} import(s) past a public barrel`, repo.barrelViolations.length, { barrelViolations: repo.barrelViolations });
  });

  it('`node scripts/imports.mjs` prints the same report and exits 1 exactly when something is wrong', () => {
    const run = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
    const bad = repo.fileCycles.length + repo.folderCycles.length + repo.barrelViolations.length;
    expect(run.status).toBe(bad ? 1 : 0);
    if (bad) expect(run.stdout.trim()).toBe(formatReport(repo));
    else expect(run.stdout).toMatch(/no cycles, barrels respected/);
  });
});

describe('the import checker', () => {
  it('finds every kind of import, type-only and dynamic ones included', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import './side-effect.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "export type { E } from './e.js';",
      "import f = require('./f.js');",
      "const g = await import('./g.js');",
      "let h: import('./h.js').H;",
      "import { readFile } from 'node:fs/promises';",
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      './a.js', './b.js', './side-effect.js', './c.js', './d.js', './e.js', './f.js', './g.js', './h.js', 'node:fs/promises',
    ]);
  });

  it('resolves NodeNext (.js for .ts) and AssemblyScript (no extension) specifiers, and ignores packages', () => {
    const files = new Set(['src/kernel/walk.ts', 'src/kernel/index.ts', 'assembly/lpm/store.ts', 'scripts/imports.mjs']);
    expect(resolveImport('src/kernel/arp.ts', './walk.js', files)).toBe('src/kernel/walk.ts');
    expect(resolveImport('src/flannel/x.ts', '../kernel/index.js', files)).toBe('src/kernel/index.ts');
    expect(resolveImport('src/flannel/x.ts', '../kernel', files)).toBe('src/kernel/index.ts');
    expect(resolveImport('assembly/lpm/build.ts', './store', files)).toBe('assembly/lpm/store.ts');
    expect(resolveImport('test/imports.test.ts', '../scripts/imports.mjs', files)).toBe('scripts/imports.mjs');
    expect(resolveImport('src/kernel/arp.ts', 'node:fs', files)).toBeUndefined();
    expect(resolveImport('src/kernel/arp.ts', 'typescript', files)).toBeUndefined();
    expect(resolveImport('src/kernel/arp.ts', './missing.js', files)).toBeUndefined();
  });

  it('groups files by their directory cut to two levels', () => {
    expect(folderOf('src/kernel/scenarios/flannel.ts')).toBe('src/kernel');
    expect(folderOf('src/kernel/walk.ts')).toBe('src/kernel');
    expect(folderOf('test/lpm.test.ts')).toBe('test');
    expect(folderOf('src/index.ts')).toBe('src');
  });

  const tree = checkImports(fixture);

  it('reports a file cycle even when one direction is `import type`', () => {
    expect(each(tree)).toEqual(['src/a/one.ts -> src/a/two.ts -> src/a/one.ts']);
  });

  it('reports a folder cycle that has no file cycle, naming an import behind each step', () => {
    expect(tree.folderCycles).toEqual([{
      members: ['src/a', 'src/b'],
      cycle: ['src/a', 'src/b', 'src/a'],
      via: ['src/a/three.ts -> src/b/four.ts', 'src/b/five.ts -> src/a/one.ts'],
    }]);
  });

  it('lets control-plane code import its own folder, src/core and the kernel and store barrels', () => {
    const good = checkImports(fixture, { excluded: ['src/flannel/bad.ts'] });
    expect(good.barrelViolations).toEqual([]);
  });

  it('rejects a kernel internal, a store internal (even type-only) and another folder of src/', () => {
    expect(tree.barrelViolations.map((v) => `${v.file} -> ${v.to}`)).toEqual([
      'src/flannel/bad.ts -> src/kernel/route.ts',
      'src/flannel/bad.ts -> src/store/kv.ts',
      'src/flannel/bad.ts -> src/lpm/table.ts',
    ]);
    expect(tree.barrelViolations[0]!.allowed).toBe(
      'src/flannel/, src/core/, src/net/, src/topology/, src/cluster/ and the barrels src/kernel/index.ts, src/store/index.ts',
    );
  });

  it('exits 1 on the fixture tree and names each problem', () => {
    const run = spawnSync(process.execPath, [script, '--root', fixture], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('import cycles between files (1):\n  1. src/a/one.ts -> src/a/two.ts -> src/a/one.ts');
    expect(run.stdout).toContain('import cycles between folders (1):\n  1. src/a -> src/b -> src/a');
    expect(run.stdout).toContain("src/flannel/bad.ts imports '../kernel/route.js' (src/kernel/route.ts); it may import only src/flannel/");
  });
});
