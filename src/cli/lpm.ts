/**
 * `cnikit lpm --routes FILE [--addrs FILE] [--json]`: longest-prefix match
 * of addresses (stdin by default, one per line) against a routes file
 * (see src/lpm/routes-file.ts). Prints `ADDR<TAB>CIDR<TAB>ROUTE` or
 * `ADDR<TAB>-<TAB>no route` per address, or one JSON object per line with
 * `--json` (`"type"` the route type, or `"no route"`). Addresses are read
 * and looked up in chunks, one WASM batch per family per chunk, and the
 * output is written a chunk at a time.
 */
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import { ExitCode, openInput, readInputText, write, type Io } from './io.js';
import { markRequiredInHelp } from './flags.js';
import { InputError } from '../core/errors.js';
import { createCore } from '../core/core.js';
import { formatCidr, parseIP } from '../net/ip.js';
import type { RouteTable } from '../lpm/route-table.js';
import { buildRouteTables } from './route-tables.js';
import { parseRoutes, type RouteLine } from '../lpm/routes-file.js';

/** Addresses per lookup batch. */
const CHUNK = 65536;

interface Answer {
  text: string[];
  json: string[];
}

/**
 * The answer printed for each route, and for no route. A route of any type
 * prints the same way: its prefix and its line (the type word kept), so a
 * `throw` or `unreachable` route reads `throw` / `unreachable` in text and
 * in JSON. No matching prefix is a third answer, `no route`.
 */
function answers(routes: RouteLine[]): Answer {
  const text = routes.map((r) => `\t${formatCidr(r.cidr)}\t${r.rest}\n`);
  const json = routes.map((r) => `,"cidr":"${formatCidr(r.cidr)}","type":"${r.type}","route":${JSON.stringify(r.rest)}}\n`);
  return { text, json };
}

/** What `cnikit lpm` prints for an address no prefix contains (text: `ADDR - no route`). */
export const NO_ROUTE = 'no route';

/** Registers `cnikit lpm`. */
export function registerLpm(program: Command, io: Io, _state: { status: number }): void {
  markRequiredInHelp(program.command('lpm'))
    .description('longest-prefix match of addresses (stdin, one per line) against a routes file (CIDR LABEL... or `ip route show` output)')
    .requiredOption('--routes <file>', 'routes: "CIDR LABEL..." lines or `ip [-6] route show` output ("-" = stdin)')
    .option('--addrs <file>', 'addresses, one per line ("-" or default: standard input)')
    .option('--json', 'one JSON object per address')
    .action(async (opts: { routes: string; addrs?: string; json?: boolean }) => {
      const text = await readInputText(io, '--routes', opts.routes);
      const input = await openInput(io, '--addrs', opts.addrs ?? '-');
      const name = (opts.addrs ?? '-') === '-' ? 'stdin' : opts.addrs!;
      let routes: RouteLine[];
      try {
        routes = parseRoutes(text, opts.routes);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        io.stderr.write(`${opts.routes}:${e.position?.line}: ${e.code}: ${JSON.stringify(e.input)}: ${e.expected}\n`);
        throw new ExitCode(2);
      }
      // Still answers (every address: no route), but an empty table is more likely a wrong file than a question.
      if (routes.length === 0) io.stderr.write(`cnikit: warning: ${opts.routes} has no routes: every address is answered "${NO_ROUTE}"\n`);
      const core = await createCore();
      const tables = buildRouteTables(core, routes);
      const ans = answers(routes);
      try {
        await lookupStream(input, name, tables, ans, !!opts.json, io);
      } finally {
        tables[4].dispose();
        tables[6].dispose();
      }
    });
}

async function lookupStream(input: Readable, name: string, tables: Record<4 | 6, RouteTable>, ans: Answer, json: boolean, io: Io): Promise<void> {
  const addrs: string[] = [];
  const fams = new Uint8Array(CHUNK);
  const v4 = new Uint32Array(CHUNK);
  const v6 = new Uint32Array(CHUNK * 4);
  const r4 = new Int32Array(CHUNK);
  const r6 = new Int32Array(CHUNK);
  let n4 = 0;
  let n6 = 0;
  let lineNo = 0;
  let carry = '';

  const flush = async (): Promise<void> => {
    if (addrs.length === 0) return;
    tables[4].lookupBatch(v4.subarray(0, n4), r4);
    tables[6].lookupBatch(v6.subarray(0, n6 * 4), r6);
    const out: string[] = new Array(addrs.length);
    let i4 = 0;
    let i6 = 0;
    for (let i = 0; i < addrs.length; i++) {
      const id = fams[i] === 4 ? r4[i4++] : r6[i6++];
      const a = addrs[i];
      if (json) out[i] = id === -1 ? `{"addr":${JSON.stringify(a)},"cidr":null,"type":"${NO_ROUTE}","route":null}\n` : `{"addr":${JSON.stringify(a)}${ans.json[id]}`;
      else out[i] = id === -1 ? `${a}\t-\t${NO_ROUTE}\n` : a + ans.text[id];
    }
    addrs.length = 0;
    n4 = n6 = 0;
    await write(io.stdout, out.join(''));
  };

  const take = async (line: string): Promise<void> => {
    lineNo++;
    const a = line.trim();
    if (a === '' || a.startsWith('#')) return;
    let ip;
    try {
      ip = parseIP(a);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.stderr.write(`${name}:${lineNo}: ${e.code}: ${JSON.stringify(a)}: ${e.expected}\n`);
      await flush().catch(() => undefined);
      throw new ExitCode(2);
    }
    fams[addrs.length] = ip.family;
    addrs.push(a);
    if (ip.family === 4) v4[n4++] = ip.addr;
    else {
      v6.set(ip.addr, n6 * 4);
      n6++;
    }
    if (addrs.length === CHUNK) await flush();
  };

  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const p of parts) await take(p);
  }
  if (carry !== '') await take(carry);
  await flush();
}
