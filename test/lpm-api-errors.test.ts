/**
 * Every bad argument to the route tables is an InputError naming the
 * argument, never a bare TypeError from deep inside, and leaves the table
 * as it was.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createCoreSync, type Core } from '../src/core/core.js';
import { InputError } from '../src/core/errors.js';
import { ReferenceTable, RouteTable } from '../src/lpm/index.js';

let core: Core;
beforeAll(() => {
  core = createCoreSync();
});

const BAD: unknown[] = [null, undefined, 1, 1.5, {}, [], [1, 2, 3], true, Symbol('x'), () => 1];

function inputError(f: () => unknown, what: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, what).toBeInstanceOf(InputError);
}

describe('RouteTable and ReferenceTable arguments', () => {
  it('insert(null, 1) and friends: InputError naming the prefix', () => {
    for (const family of [4, 6] as const) {
      const t = new RouteTable(core, { family });
      const ref = new ReferenceTable({ family });
      t.insert(family === 4 ? '10.0.0.0/8' : '2001:db8::/32', 7);
      for (const table of [t, ref]) {
        for (const v of BAD) {
          const name = `${table.constructor.name} v${family} ${String(typeof v === 'symbol' ? 'symbol' : JSON.stringify(v))}`;
          inputError(() => table.insert(v as string, 1), `insert ${name}`);
          inputError(() => table.remove(v as string), `remove ${name}`);
          inputError(() => table.get(v as string), `get ${name}`);
          // (a u32 is an IPv4 address)
          if (!(family === 4 && v === 1)) inputError(() => table.lookup(v as string), `lookup ${name}`);
        }
      }
      expect(() => t.insert(null as unknown as string, 1)).toThrow(/InvalidPrefix: "null": a prefix as text/);
      expect(t.routes()).toEqual([{ cidr: family === 4 ? '10.0.0.0/8' : '2001:db8::/32', nextHop: 7 }]);
      t.dispose();
    }
  });
  it('lookupBatch([1,2,3], ...) and other non-typed-array batches: InputError naming the argument', () => {
    const t = new RouteTable(core, { family: 4 });
    t.insert('10.0.0.0/8', 1);
    for (const v of BAD) {
      inputError(() => t.lookupBatch(v as Uint32Array, new Int32Array(4)), `addrs ${String(typeof v === 'symbol' ? 'symbol' : JSON.stringify(v))}`);
      inputError(() => t.lookupBatch(Uint32Array.of(1), v as Int32Array), `out ${String(typeof v === 'symbol' ? 'symbol' : JSON.stringify(v))}`);
    }
    expect(() => t.lookupBatch([1, 2, 3] as unknown as Uint32Array, new Int32Array(3))).toThrow(/InvalidBatch: "\[1,2,3\]": addrs: a Uint32Array/);
    expect(() => t.lookupBatch(Uint32Array.of(1), [0] as unknown as Int32Array)).toThrow(/InvalidBatch: .*out: an Int32Array/);
    // Typed arrays of the wrong kind are refused too: a Float64Array would be truncated silently.
    inputError(() => t.lookupBatch(Float64Array.of(1) as unknown as Uint32Array, new Int32Array(1)), 'Float64Array');
    expect(t.lookupBatch(Uint32Array.of(0x0a000001), new Int32Array(1))[0]).toBe(1);
    t.dispose();
  });
  it('bad constructor options and insertPrefix arguments', () => {
    inputError(() => new RouteTable(core, null as unknown as object), 'opts null');
    inputError(() => new ReferenceTable(null as unknown as object), 'ref opts null');
    inputError(() => new ReferenceTable({ family: 5 as 4 }), 'ref family 5');
    const t = new RouteTable(core);
    for (const v of BAD) {
      inputError(() => t.insertPrefix(v as number, 8, 1), `insertPrefix addr ${String(typeof v === 'symbol' ? 'symbol' : JSON.stringify(v))}`);
      inputError(() => t.insertPrefix(0x0a000000, v as number, 1), `insertPrefix len ${String(typeof v === 'symbol' ? 'symbol' : JSON.stringify(v))}`);
    }
    t.dispose();
  });
});
