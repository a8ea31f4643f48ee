/**
 * Loads the cnikit WASM module and gives typed access to its memory.
 *
 * One `Core` is one WASM instance with one linear memory; route tables,
 * codecs and rule engines built on the same core share that memory. Views
 * (`u8`, `i32`, `u32`) are rebuilt whenever memory grows, because growth
 * detaches every view on the old buffer.
 */
import { WasmTrapError } from './errors.js';

/** The raw exports every domain can rely on; domains cast to their own export interfaces. */
export interface BaseExports {
  readonly memory: WebAssembly.Memory;
  alloc(size: number): number;
  free(ptr: number): void;
  zero(ptr: number, len: number): void;
}

/** Options of {@link createCore}. */
export interface CoreOptions {
  /**
   * The module to instantiate: bytes, an already compiled module, or a URL
   * to fetch. Default: `build/cnikit.wasm` of this package (read from disk
   * under Node, fetched in a browser).
   */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
  /** Use the debug build (names in stack traces). Default `false`. */
  debug?: boolean;
}

/** A loaded WASM instance. Create it with {@link createCore} or {@link createCoreSync}. */
export class Core {
  /** The instance's exports; domain wrappers cast them to their own interface. */
  readonly exports: BaseExports;
  private poisonedBy: WasmTrapError | undefined;
  private buffer: ArrayBuffer;
  private _u8: Uint8Array;
  private _i32: Int32Array;
  private _u32: Uint32Array;

  /** @internal use {@link createCore}. */
  constructor(instance: WebAssembly.Instance, trapSink: { core?: Core }) {
    this.exports = instance.exports as unknown as BaseExports;
    this.buffer = this.exports.memory.buffer;
    this._u8 = new Uint8Array(this.buffer);
    this._i32 = new Int32Array(this.buffer);
    this._u32 = new Uint32Array(this.buffer);
    trapSink.core = this;
  }

  private refresh(): void {
    const b = this.exports.memory.buffer;
    if (b !== this.buffer) {
      this.buffer = b;
      this._u8 = new Uint8Array(b);
      this._i32 = new Int32Array(b);
      this._u32 = new Uint32Array(b);
    }
  }

  /** Bytes of linear memory; re-read after any call that may allocate. */
  get u8(): Uint8Array {
    this.refresh();
    return this._u8;
  }
  /** Linear memory as int32 words. */
  get i32(): Int32Array {
    this.refresh();
    return this._i32;
  }
  /** Linear memory as uint32 words. */
  get u32(): Uint32Array {
    this.refresh();
    return this._u32;
  }

  /** Size of linear memory in bytes. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Throws if an earlier call trapped; call before every WASM entry. */
  check(): void {
    if (this.poisonedBy) throw this.poisonedBy;
  }

  /** True once the instance has trapped. */
  get poisoned(): boolean {
    return this.poisonedBy !== undefined;
  }

  /** Allocates `size` bytes of WASM memory (16-byte aligned). */
  alloc(size: number): number {
    this.check();
    const p = this.guard(() => this.exports.alloc(size));
    return p;
  }

  /** Frees a block from {@link alloc}. */
  free(ptr: number): void {
    this.check();
    this.guard(() => this.exports.free(ptr));
  }

  /**
   * Runs a WASM call; if it traps, poisons this core and throws a
   * {@link WasmTrapError} naming the call.
   */
  guard<T>(fn: () => T): T {
    this.check();
    try {
      return fn();
    } catch (e) {
      if (e instanceof WasmTrapError) {
        this.poisonedBy = e;
        throw e;
      }
      if (e instanceof WebAssembly.RuntimeError) {
        this.poisonedBy = new WasmTrapError(e.message);
        throw this.poisonedBy;
      }
      throw e;
    }
  }

  /** @internal called from the abort import. */
  poison(err: WasmTrapError): void {
    this.poisonedBy = err;
  }
}

function readAsString(mem: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return '';
  const u32 = new Uint32Array(mem.buffer);
  const len = u32[(ptr - 4) >>> 2] >>> 1;
  const u16 = new Uint16Array(mem.buffer, ptr, len);
  return String.fromCharCode(...u16);
}

function imports(sink: { core?: Core; memory?: WebAssembly.Memory }): WebAssembly.Imports {
  return {
    env: {
      abort(msg: number, file: number, line: number, col: number): never {
        const mem = sink.core?.exports.memory;
        const text = mem ? `${readAsString(mem, msg)} (${readAsString(mem, file)}:${line}:${col})` : 'abort';
        const err = new WasmTrapError(text);
        sink.core?.poison(err);
        throw err;
      },
    },
  };
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Where the packaged module is, relative to this file in src/core or dist/src/core. */
function defaultUrls(debug: boolean): URL[] {
  const file = debug ? 'cnikit.debug.wasm' : 'cnikit.wasm';
  return [new URL(`../../build/${file}`, import.meta.url), new URL(`../../../build/${file}`, import.meta.url)];
}

async function loadBytes(debug: boolean): Promise<BufferSource> {
  const urls = defaultUrls(debug);
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    for (const u of urls) {
      try {
        return await readFile(u);
      } catch {
        /* try the next layout */
      }
    }
    throw new Error(`cnikit: WASM module not found (run "npm run build"); looked at ${urls.map((u) => u.pathname).join(', ')}`);
  }
  for (const u of urls) {
    const r = await fetch(u);
    if (r.ok) return await r.arrayBuffer();
  }
  throw new Error(`cnikit: WASM module not found at ${urls.join(', ')}`);
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

async function compiledModule(opts: CoreOptions): Promise<WebAssembly.Module> {
  const w = opts.wasm;
  if (w instanceof WebAssembly.Module) return w;
  if (w === undefined) {
    const key = opts.debug ? 'debug' : 'release';
    let m = moduleCache.get(key);
    if (!m) {
      m = loadBytes(!!opts.debug).then((b) => WebAssembly.compile(b));
      moduleCache.set(key, m);
      m.catch(() => moduleCache.delete(key));
    }
    return m;
  }
  if (typeof w === 'string' || w instanceof URL) {
    if (isNode && (w instanceof URL ? w.protocol === 'file:' : !/^https?:/.test(w))) {
      const { readFile } = await import('node:fs/promises');
      return WebAssembly.compile(await readFile(w));
    }
    const r = await fetch(w);
    return WebAssembly.compile(await r.arrayBuffer());
  }
  return WebAssembly.compile(w);
}

/**
 * Loads and instantiates the cnikit WASM module (asynchronously, so it works
 * in browsers). The compiled module is cached; each call returns a new,
 * independent instance with its own memory.
 */
export async function createCore(opts: CoreOptions = {}): Promise<Core> {
  const mod = await compiledModule(opts);
  const sink: { core?: Core } = {};
  const instance = await WebAssembly.instantiate(mod, imports(sink));
  return new Core(instance, sink);
}

/**
 * Synchronous variant for Node (reads the module from disk). Browsers must
 * use {@link createCore}.
 */
export function createCoreSync(opts: { debug?: boolean; wasm?: BufferSource | WebAssembly.Module } = {}): Core {
  let mod: WebAssembly.Module;
  if (opts.wasm instanceof WebAssembly.Module) mod = opts.wasm;
  else if (opts.wasm) mod = new WebAssembly.Module(opts.wasm);
  else {
    // Node only: a synchronous read of the packaged module.
    const req = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule?.('node:fs') as
      | typeof import('node:fs')
      | undefined;
    if (!req) throw new Error('createCoreSync needs Node >= 20.16 (process.getBuiltinModule); use createCore()');
    let bytes: Uint8Array<ArrayBuffer> | undefined;
    for (const u of defaultUrls(!!opts.debug)) {
      try {
        bytes = new Uint8Array(req.readFileSync(u));
        break;
      } catch {
        /* next */
      }
    }
    if (!bytes) throw new Error('cnikit: WASM module not found (run "npm run build")');
    mod = new WebAssembly.Module(bytes);
  }
  const sink: { core?: Core } = {};
  return new Core(new WebAssembly.Instance(mod, imports(sink)), sink);
}
