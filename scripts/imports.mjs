#!/usr/bin/env node
// The import graph of the repository's own code, and two checks on it:
//
// 1. No cycles, between files or between folders. Every relative import
//    counts: `import`, `import type`, `export ... from`, `import x = require()`,
//    `import("...")` (a dynamic import, or a type written as import("...").T).
//    A type-only cycle is still a cycle to a reader. A folder is a file's
//    directory cut to two levels (src/kernel/path/x.ts is in src/kernel,
//    test/x.test.ts in test), so a folder cycle is one package using another
//    that uses it back.
// 2. Control-plane code (src/flannel/**, src/calico/**, and src/cluster/**,
//    which both build on) reaches the kernel model and the store through
//    their public barrels only: it may import its own folder, src/core/,
//    src/net/, src/topology/ (address and MAC arithmetic), src/cluster/, and
//    src/kernel/index.ts and src/store/index.ts, nothing else of the
//    repository (packages are fine).
//
// Usage: node scripts/imports.mjs [--root DIR] [--json]
// Prints the cycles and rule violations and exits 1 when there is one.
import ts from 'typescript';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative, resolve, sep, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Top-level folders scanned. */
export const SCANNED = ['src', 'assembly', 'bench', 'props', 'test', 'scripts'];
/** Paths (relative, posix) left out of the scan: test fixtures are data, not code. */
export const EXCLUDED = ['test/fixtures'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/**
 * The barrel rule: files under `from` may import, of the repository, only
 * their own top folder, the folders in `folders`, and the files in `barrels`.
 */
export const BARREL_RULES = [
  {
    from: ['src/flannel', 'src/calico', 'src/cluster'],
    folders: ['src/core', 'src/net', 'src/topology', 'src/cluster'],
    barrels: ['src/kernel/index.ts', 'src/store/index.ts'],
  },
];

const toPosix = (p) => p.split(sep).join('/');

/** Source files under `dirs` of `root`, as posix paths relative to root, sorted. */
export function listFiles(root, dirs = SCANNED, excluded = EXCLUDED) {
  const out = [];
  const walk = (rel) => {
    if (excluded.includes(rel)) return;
    const abs = join(root, rel);
    for (const name of readdirSync(abs).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const r = posix.join(rel, name);
      if (statSync(join(root, r)).isDirectory()) walk(r);
      else if (SOURCE.test(name) && !excluded.includes(r)) out.push(r);
    }
  };
  for (const d of dirs) if (existsSync(join(root, d))) walk(d);
  return out;
}

/** Module specifiers of every import in `text` (file name only picks the parser's script kind). */
export function importsOf(fileName, text) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const specs = [];
  const literal = (n) => (n && ts.isStringLiteralLike(n) ? n.text : undefined);
  const visit = (node) => {
    let spec;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) spec = literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      spec = literal(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      spec = literal(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      spec = literal(node.argument.literal);
    }
    if (spec !== undefined) specs.push(spec);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return specs;
}

/**
 * The repository file a relative specifier names, or undefined (a package,
 * `node:` module, or a file outside the scanned set such as a JSON file).
 * NodeNext code writes `./x.js` for `./x.ts`; AssemblyScript writes `./x`.
 */
export function resolveImport(from, spec, files) {
  if (!spec.startsWith('.')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const stem = base.replace(/\.(js|mjs|cjs|ts|mts|cts)$/, '');
  const ext = base.slice(stem.length);
  const candidates = [base];
  if (ext === '.js' || ext === '') candidates.push(`${stem}.ts`, `${stem}.d.ts`);
  if (ext === '.mjs') candidates.push(`${stem}.mts`, `${stem}.d.mts`);
  if (ext === '.cjs') candidates.push(`${stem}.cts`);
  if (ext === '') candidates.push(`${stem}.js`, `${stem}.mjs`, `${stem}/index.ts`, `${stem}/index.js`);
  return candidates.find((c) => files.has(c));
}

/** The graph: each file's resolved imports of other scanned files. */
export function buildGraph(root, opts = {}) {
  const list = listFiles(root, opts.dirs ?? SCANNED, opts.excluded ?? EXCLUDED);
  const files = new Set(list);
  const edges = new Map();
  for (const f of list) {
    const specs = importsOf(f, readFileSync(join(root, f), 'utf8'));
    const deps = [];
    for (const spec of specs) {
      const to = resolveImport(f, spec, files);
      if (to !== undefined && to !== f) deps.push({ spec, to });
    }
    edges.set(f, deps);
  }
  return { files: list, edges };
}

/** A file's folder: its directory cut to two levels. */
export function folderOf(file) {
  return posix.dirname(file).split('/').slice(0, 2).join('/');
}

/** Strongly connected components of more than one node (Tarjan), each sorted, in a stable order. */
function components(nodes, next) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...nodes].sort()) if (!idx.has(v)) strong(v);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** A shortest cycle through the first member of `comp`, staying inside it: [a, b, ..., a]. */
function shortestCycle(comp, next) {
  const inside = new Set(comp);
  const start = comp[0];
  const prev = new Map();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    for (const w of next(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(prev.get(path[0]));
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** File cycles: each strongly connected set of files, with one shortest cycle through it. */
export function fileCycles(graph) {
  const next = (v) => [...new Set((graph.edges.get(v) ?? []).map((e) => e.to))].sort();
  return components(graph.files, next).map((members) => ({ members, cycle: shortestCycle(members, next) }));
}

/** Folder cycles: each strongly connected set of folders, one cycle, and a file import behind each of its steps. */
export function folderCycles(graph) {
  const links = new Map();
  for (const [from, deps] of graph.edges) {
    for (const { to } of deps) {
      const a = folderOf(from);
      const b = folderOf(to);
      if (a === b) continue;
      if (!links.has(a)) links.set(a, new Map());
      if (!links.get(a).has(b)) links.get(a).set(b, `${from} -> ${to}`);
    }
  }
  const next = (v) => [...(links.get(v)?.keys() ?? [])].sort();
  const nodes = new Set([...links.keys(), ...[...links.values()].flatMap((m) => [...m.keys()])]);
  return components(nodes, next).map((members) => {
    const cycle = shortestCycle(members, next);
    const via = cycle.slice(1).map((b, i) => links.get(cycle[i]).get(b));
    return { members, cycle, via };
  });
}

/** Imports that break a barrel rule: `{ file, spec, to, allowed }`. */
export function barrelViolations(graph, rules = BARREL_RULES) {
  const out = [];
  const under = (file, folder) => file.startsWith(`${folder}/`);
  for (const [from, deps] of graph.edges) {
    const rule = rules.find((r) => r.from.some((f) => under(from, f)));
    if (!rule) continue;
    const own = rule.from.find((f) => under(from, f));
    const allowed = `${own}/, ${rule.folders.map((f) => `${f}/`).join(', ')} and the barrels ${rule.barrels.join(', ')}`;
    for (const { spec, to } of deps) {
      const ok = under(to, own) || rule.folders.some((f) => under(to, f)) || rule.barrels.includes(to);
      if (!ok) out.push({ file: from, spec, to, allowed });
    }
  }
  return out;
}

/** Runs every check on the tree at `root`. */
export function checkImports(root, opts = {}) {
  const graph = buildGraph(root, opts);
  return {
    files: graph.files.length,
    fileCycles: fileCycles(graph),
    folderCycles: folderCycles(graph),
    barrelViolations: barrelViolations(graph, opts.rules ?? BARREL_RULES),
  };
}

/** The report as text: empty sections are left out; '' when all is well. */
export function formatReport(r) {
  const lines = [];
  if (r.fileCycles.length) {
    lines.push(`import cycles between files (${r.fileCycles.length}):`);
    r.fileCycles.forEach((c, i) => {
      lines.push(`  ${i + 1}. ${c.cycle.join(' -> ')}`);
      if (c.members.length > c.cycle.length - 1) lines.push(`     all files of this cycle: ${c.members.join(', ')}`);
    });
  }
  if (r.folderCycles.length) {
    lines.push(`import cycles between folders (${r.folderCycles.length}):`);
    r.folderCycles.forEach((c, i) => {
      lines.push(`  ${i + 1}. ${c.cycle.join(' -> ')}`);
      for (const v of c.via) lines.push(`     ${v}`);
      if (c.members.length > c.cycle.length - 1) lines.push(`     all folders of this cycle: ${c.members.join(', ')}`);
    });
  }
  if (r.barrelViolations.length) {
    lines.push(`imports past a public barrel (${r.barrelViolations.length}):`);
    for (const v of r.barrelViolations) lines.push(`  ${v.file} imports '${v.spec}' (${v.to}); it may import only ${v.allowed}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--root');
  const root = at >= 0 ? resolve(args[at + 1] ?? '.') : join(dirname(fileURLToPath(import.meta.url)), '..');
  const report = checkImports(root);
  const bad = report.fileCycles.length + report.folderCycles.length + report.barrelViolations.length;
  if (args.includes('--json')) console.log(JSON.stringify(report, null, 2));
  else if (bad) console.log(formatReport(report));
  else console.log(`imports: ${report.files} files under ${toPosix(relative(process.cwd(), root)) || '.'}, no cycles, barrels respected`);
  process.exitCode = bad ? 1 : 0;
}
