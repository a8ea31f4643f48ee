import { describe, expect, it } from 'vitest';
import { createCore, createCoreSync, Core, WasmTrapError, InputError, CnikitError } from '../src/index.js';
import { readFileSync } from 'node:fs';

describe('createCore', () => {
  it('loads the module asynchronously and exposes memory', async () => {
    const core = await createCore();
    expect(core).toBeInstanceOf(Core);
    expect(core.memoryBytes).toBeGreaterThan(0);
    const p = core.alloc(64);
    expect(p % 16).toBe(0);
    core.u8.fill(7, p, p + 64);
    expect(core.u8[p + 63]).toBe(7);
    core.exports.zero(p, 64);
    expect(core.u8[p + 63]).toBe(0);
    core.free(p);
  });

  it('gives each call its own instance', async () => {
    const [a, b] = await Promise.all([createCore(), createCore()]);
    expect(a.exports.memory).not.toBe(b.exports.memory);
  });

  it('loads from bytes, a module, a path and synchronously', async () => {
    const bytes = readFileSync(new URL('../build/cnikit.wasm', import.meta.url));
    const mod = new WebAssembly.Module(bytes);
    for (const wasm of [bytes, mod, new URL('../build/cnikit.wasm', import.meta.url), new URL('../build/cnikit.wasm', import.meta.url).pathname]) {
      const c = await createCore({ wasm });
      expect(c.alloc(8)).toBeGreaterThan(0);
    }
    expect(createCoreSync().alloc(8)).toBeGreaterThan(0);
    expect(createCoreSync({ wasm: bytes }).alloc(8)).toBeGreaterThan(0);
    expect(createCoreSync({ wasm: mod }).alloc(8)).toBeGreaterThan(0);
    expect((await createCore({ debug: true })).alloc(8)).toBeGreaterThan(0);
  });

  it('rebuilds views after memory growth', async () => {
    const core = await createCore();
    const before = core.u8;
    const big = core.alloc(8 << 20);
    expect(core.u8.buffer).not.toBe(before.buffer);
    expect(before.byteLength).toBe(0); // detached
    core.u8[big + (8 << 20) - 1] = 1;
    expect(core.i32.buffer).toBe(core.u8.buffer);
    expect(core.u32.buffer).toBe(core.u8.buffer);
  });

  it('poisons the core when WASM traps and keeps throwing', async () => {
    const core = await createCore();
    expect(core.poisoned).toBe(false);
    expect(() => core.guard(() => {
      throw new WebAssembly.RuntimeError('unreachable');
    })).toThrow(WasmTrapError);
    expect(core.poisoned).toBe(true);
    expect(() => core.alloc(4)).toThrow(WasmTrapError);
  });

  it('passes ordinary errors through guard without poisoning', async () => {
    const core = await createCore();
    expect(() => core.guard(() => {
      throw new TypeError('x');
    })).toThrow(TypeError);
    expect(core.poisoned).toBe(false);
  });
});

describe('errors', () => {
  it('names the input, position and expectation', () => {
    const e = new InputError('InvalidPrefix', '10.0.0.1/8', 'invalid prefix for given prefix length', { file: 'r.txt', line: 3, char: 0 });
    expect(e).toBeInstanceOf(CnikitError);
    expect(e.message).toBe('InvalidPrefix: "10.0.0.1/8" at r.txt:3, char 0: invalid prefix for given prefix length');
    expect(new InputError('X', 'a', 'b', { line: 2, offset: 14 }).message).toBe('X: "a" at line 2, offset 14: b');
    expect(new InputError('X', 'a', 'b').message).toBe('X: "a": b');
    expect(e.code).toBe('InvalidPrefix');
    expect(e.name).toBe('InputError');
  });
});
