#!/usr/bin/env node
// Builds what cnikit runs from: the WASM module (release and debug) when
// assembly/ or asconfig.json changed, then the TypeScript (src/ and bench/)
// into dist/. Staleness is decided by a content hash, not mtimes, so a fresh
// clone (where every mtime is new) builds exactly once.
//
// Everything this prints, its own messages and the compilers' output, goes
// to stderr: npm runs it as `prepare` inside `npm pack --json` and
// `npm install`, whose stdout must stay theirs (a JSON document).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');
const wasmOnly = process.argv.includes('--wasm-only');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function sourceHash() {
  const h = createHash('sha256');
  const asc = JSON.parse(readFileSync(join(root, 'node_modules/assemblyscript/package.json'), 'utf8'));
  h.update(`asc ${asc.version}\n`);
  for (const f of [join(root, 'asconfig.json'), ...walk(join(root, 'assembly'))]) {
    h.update(f.slice(root.length));
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 2, 2] });
}

const stamp = join(root, 'build/.source-hash');
const outputs = ['build/cnikit.wasm', 'build/cnikit.debug.wasm'].map((f) => join(root, f));
const hash = sourceHash();
const fresh = !force && outputs.every(existsSync) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
if (fresh) {
  console.error('build: WASM is up to date');
} else {
  mkdirSync(join(root, 'build'), { recursive: true });
  const asc = join(root, 'node_modules/assemblyscript/bin/asc.js');
  console.error('build: compiling assembly/ -> build/cnikit.wasm (release) and build/cnikit.debug.wasm (debug)');
  run(process.execPath, [asc, 'assembly/index.ts', '--config', 'asconfig.json', '--target', 'release']);
  run(process.execPath, [asc, 'assembly/index.ts', '--config', 'asconfig.json', '--target', 'debug']);
  writeFileSync(stamp, hash);
}

if (!wasmOnly) {
  console.error('build: tsc -p tsconfig.build.json -> dist/');
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json']);
}
