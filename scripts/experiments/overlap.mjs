#!/usr/bin/env node
// Does lane work hide behind payload copies? Times, per frame, over a ring of
// 1024 frames laid out as bench/codec.ts lays them out: the copies alone, a
// jhash-shaped dependent chain alone (one per four frames), and both in one
// loop. "hidden" is how much of the chain's own time the loop with both does
// not pay (100% = free, 0% = fully added, below 0 = worse than added).
//   node scripts/experiments/overlap.mjs [SIZE ...]   (default 64 512 1400; 64 to 9000 bytes)
// Builds scripts/experiments/overlap.ts into build/experiments/ first.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Frame sizes from the command line: whole numbers of bytes, at least 64
// (the inline copy moves 64-byte blocks) and at most 9000.
const args = process.argv.slice(2);
args.forEach((a, i) => {
  if (!/^[0-9]+$/.test(a) || +a < 64 || +a > 9000) {
    console.error(`overlap: argument ${i + 1} ${JSON.stringify(a)} is not a frame size: expected a whole number of bytes from 64 to 9000`);
    process.exit(2);
  }
});
const sizes = args.length ? args.map(Number) : [64, 512, 1400];

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const out = join(root, 'build/experiments/overlap.wasm');
mkdirSync(dirname(out), { recursive: true });
execFileSync(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), join(here, 'overlap.ts'),
  '-O3', '--runtime', 'stub', '--enable', 'simd,bulk-memory', '-o', out], { stdio: 'inherit' });
const { instance } = await WebAssembly.instantiate(readFileSync(out), { env: { abort: () => { throw new Error("overlap.wasm: abort"); } } });
const x = instance.exports;
const B = 1024;
for (const size of sizes) {
  const slot = 64 + ((size + 15) & ~15), outSlot = (size + 50 + 15) & ~15;
  const tab = x.alloc(B * 16), inb = x.alloc(B * slot), outb = x.alloc(B * outSlot), sink = x.alloc(64);
  const dv = new DataView(x.memory.buffer);
  for (let i = 0; i < B; i++) {
    dv.setUint32(tab + i * 16, inb + i * slot + 64, true);
    dv.setInt32(tab + i * 16 + 4, size, true);
    dv.setUint32(tab + i * 16 + 8, outb + i * outSlot, true);
  }
  // The shared machine's speed drifts: each round times the three loops
  // back to back, and the medians over 21 rounds are printed.
  const time = (work, inline) => {
    const t = process.hrtime.bigint();
    for (let c = 0; c < 50; c++) x.run(tab, B, work, inline, sink);
    return Number(process.hrtime.bigint() - t) / (50 * B);
  };
  const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
  for (const inline of [false, true]) {
    for (let w = 0; w < 3; w++) time(w, inline);
    const copy = [], both = [], chain = [], hidden = [];
    for (let r = 0; r < 21; r++) {
      const c = time(0, inline), b = time(1, inline), h = time(2, inline);
      copy.push(c); both.push(b); chain.push(h); hidden.push((c + h - b) / h);
    }
    console.log(`${size} B, ${inline ? 'inline v128 copy' : 'memory.copy'}: copy ${median(copy).toFixed(2)} ns, chain ${median(chain).toFixed(2)} ns, both ${median(both).toFixed(2)} ns a frame; hidden ${(median(hidden) * 100).toFixed(0)}%`);
  }
}
