/**
 * A/B of the copy paths in one process, for the question the codec suite's
 * copy rows leave open: does encapsulation with the caller's flow hash cost
 * what encapsulation with a fixed source port (no hash at all) costs? Over
 * the suite's ring of 1024 frames, per frame size: copy with the hash
 * computed, with the caller's hashes, with a fixed port, plain memory.copy,
 * and in place with the caller's hashes and with a fixed port, interleaved
 * (the order rotates by round), 21 rounds of 100 batch calls each after 3
 * warm-up rounds; medians per task, and each copy row's median per-round
 * ratio to memory.copy (both timed in the same round).
 *
 *   node dist/bench/codec-ab.js [SIZE ...]    (default 64 512 1400)
 */
import { pathToFileURL } from 'node:url';
import { createCore } from '../src/core/core.js';
import { Codec, resolveEncap } from '../src/codec/index.js';
import { writeEncapConfig } from '../src/codec/wasm.js';
import * as C from '../assembly/shared/codec.js';
import { frame } from './codec.js';

const B = 1024;
const CALLS = 100;
const ROUNDS = 21;
const WARMUP = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One line per size: median ns/frame per task, then the copy rows as a ratio of memory.copy. */
export async function ab(size: number): Promise<string> {
  if (!Number.isInteger(size) || size < 38 || size > 9000) throw new Error(`codec-ab: frame size ${size}: expected an integer 38..9000`);
  const core = await createCore();
  const w = new Codec(core).wasm;
  const spec = { local: '192.168.50.1', remote: '192.168.50.2', srcMac: '02:50:00:00:00:01', dstMac: '02:50:00:00:00:02', udpChecksum: false };
  const cfg = core.alloc(C.ENC_BYTES);
  const fixedCfg = core.alloc(C.ENC_BYTES);
  writeEncapConfig(core, cfg, resolveEncap(spec));
  writeEncapConfig(core, fixedCfg, resolveEncap({ ...spec, srcPort: 40000 }));
  w.codecEncapPrepare(cfg);
  w.codecEncapPrepare(fixedCfg);
  const slot = 64 + ((size + 15) & ~15);
  const outSlot = (size + 50 + 15) & ~15;
  const table = core.alloc(B * C.FE_BYTES);
  const inBuf = core.alloc(B * slot);
  const outBuf = core.alloc(B * outSlot);
  const hashes = core.alloc(B * 4);
  const dv = new DataView(core.u8.buffer);
  for (let i = 0; i < B; i++) {
    const p = inBuf + i * slot + 64;
    core.u8.set(frame(size, i), p);
    dv.setUint32(table + i * C.FE_BYTES + C.FE_PTR * 4, p, true);
    dv.setInt32(table + i * C.FE_BYTES + C.FE_LEN * 4, size, true);
    dv.setUint32(table + i * C.FE_BYTES + C.FE_DST * 4, outBuf + i * outSlot, true);
    dv.setUint32(hashes + i * 4, Math.imul(i + 1, 0x9e3779b9) >>> 0 || 1, true);
  }
  const tasks: Record<string, () => number> = {
    'copy-hash': () => w.codecEncapBatch(cfg, table, B, 1),
    'copy-skb-hash': () => w.codecEncapBatchHashed(cfg, table, B, 1, hashes),
    'copy-fixed': () => w.codecEncapBatch(fixedCfg, table, B, 1),
    memcopy: () => w.codecCopyBatch(table, B, 50),
    'inplace-skb-hash': () => w.codecEncapBatchHashed(cfg, table, B, 0, hashes),
    'inplace-fixed': () => w.codecEncapBatch(fixedCfg, table, B, 0),
  };
  for (const [name, fn] of Object.entries(tasks)) if (fn() !== B) throw new Error(`codec-ab: ${name} failed`);
  const names = Object.keys(tasks);
  const ns = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length];
      const fn = tasks[name];
      const t0 = process.hrtime.bigint();
      for (let c = 0; c < CALLS; c++) fn();
      if (r >= WARMUP) ns.get(name)!.push(Number(process.hrtime.bigint() - t0) / (CALLS * B));
    }
  }
  const mc = ns.get('memcopy')!;
  const ratio = (n: string) => median(ns.get(n)!.map((v, r) => mc[r] / v)).toFixed(2);
  return `${size}B ns/frame: ${names.map((n) => `${n} ${median(ns.get(n)!).toFixed(2)}`).join(', ')}; x memory.copy (median of per-round ratios): skb-hash ${ratio('copy-skb-hash')}, fixed ${ratio('copy-fixed')}, hash ${ratio('copy-hash')}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  for (const size of args.length ? args.map(Number) : [64, 512, 1400]) console.log(await ab(size));
}
