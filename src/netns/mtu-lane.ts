/**
 * The MTU scenarios (src/scenarios/mtu.ts) in the model and in real
 * namespaces, reduced to what can be compared: per ping case (sender,
 * destination, `-s`, `-M`, `-c`) what ping reported in order (replies,
 * "Frag needed and DF set (mtu = N)" with its source, local "message too
 * long, mtu=N"), every IPv4 frame on every wire (addresses, length, MF and
 * offset, DF, and an ICMP error's type, code and MTU; the outer header of a
 * VXLAN packet), `ip route get` afterwards (PMTU exceptions; the seconds
 * left are masked), and the device MTUs after the build.
 *
 * The real side builds the scenario with `exportNetns` plus the changes
 * made after it, captures every wire and each node's `lo` with tcpdump,
 * and runs `ping -n -c N -i 0.2 -W 1 -s SIZE -M MODE`. Before each case the
 * route cache of every namespace is flushed, on both sides.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../pcap/index.js';
import type { SimNetwork } from '../kernel/network.js';
import { mtuChangeLines, type MtuScenario } from '../scenarios/mtu.js';
import { exportNetns } from './export.js';
import { startCapture, stopCaptures } from './capture.js';
import { layout, type Wire } from './layout.js';
import { formatIPv4 } from '../net/ip.js';

/** One ping run. */
export interface MtuCase {
  readonly from: string;
  readonly to: string;
  readonly size: number;
  readonly mode: 'do' | 'want' | 'dont';
  readonly count: number;
  /** `-i` in seconds. Default 0.2. */
  readonly interval?: number;
}

/** What one case gave, in comparable text. */
export interface CaseResult {
  /** ping's reports in order: `reply`, `frag-needed mtu N from S`, `local-error mtu=N`. */
  readonly ping: string[];
  /** Each wire's IPv4 frames (`src>dst len [DF] [MF] [@off] [icmp T/C mtu M]`). */
  readonly wires: Record<string, string[]>;
  /** `ip route get` lines, keyed `ns to`. */
  readonly routes: Record<string, string>;
}

/** Device MTUs of the nodes and pods, keyed `ns/dev`. */
export type Mtus = Record<string, number>;

/** The one-line summary of an Ethernet + IPv4 frame, or undefined for anything else. */
export function frameText(f: Uint8Array): string | undefined {
  if (f.length < 34 || ((f[12] << 8) | f[13]) !== 0x0800) return undefined;
  const ip = f.subarray(14);
  const flags = (ip[6] << 8) | ip[7];
  const hl = (ip[0] & 15) * 4;
  const a = (o: number) => `${ip[o]}.${ip[o + 1]}.${ip[o + 2]}.${ip[o + 3]}`;
  let t = `${a(12)}>${a(16)} ${(ip[2] << 8) | ip[3]}${flags & 0x4000 ? ' DF' : ''}${flags & 0x2000 ? ' MF' : ''}${flags & 0x1fff ? ` @${(flags & 0x1fff) * 8}` : ''}`;
  if (ip[9] === 1 && (flags & 0x1fff) === 0) {
    const type = ip[hl];
    const code = ip[hl + 1];
    if (type === 3 || type === 11) t += ` icmp ${type}/${code}${type === 3 && code === 4 ? ` mtu ${(ip[hl + 6] << 8) | ip[hl + 7]}` : ''}`;
    else t += ` icmp ${type}`;
  }
  return t;
}

/** `ip route get` text as compared: no `uid 0`, no bare `cache` line, seconds masked, no trailing blanks. */
export function routeText(s: string): string {
  return s
    .replace(/ uid 0/g, '')
    .replace(/\n\s*cache\s*$/g, '')
    .replace(/expires \d+sec/g, 'expires Nsec')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n\s+/g, ' | ')
    .trim();
}

/** What `ip route get` is asked after each case: the destination in the sender and both nodes, the remote node in node1. */
function routeQueries(c: MtuCase): [string, string][] {
  return [[c.from, c.to], ['node1', c.to], ['node2', c.to], ['node1', '10.0.0.12']];
}

/** The wires compared: the layout's, and each node's lo (where a node's ICMP to itself shows). */
export function mtuWires(m: MtuScenario, prefix: string): Wire[] {
  const lay = layout(m.scenario, prefix);
  const nodes = lay.namespaces.filter((n) => n.kind === 'node');
  return [...lay.wires, ...nodes.map((n) => ({ key: `${n.name}/lo`, ns: n.name, netns: n.netns, ifname: 'lo' }))];
}

/** Device MTUs in the model. */
export function modelMtus(net: SimNetwork, m: MtuScenario): Mtus {
  const out: Mtus = {};
  for (const n of m.scenario.nodes) for (const ns of [n.name, ...n.pods.map((p) => p.name)]) for (const i of net.ns(ns).ifaces.values()) if (i.kind !== 'loopback') out[`${ns}/${i.name}`] = i.mtu;
  return out;
}

/** Runs `c` in the model (route caches flushed first); the clock moves `-i` between pings. */
export function modelCase(net: SimNetwork, m: MtuScenario, c: MtuCase, prefix = 'cnk-'): CaseResult {
  net.flushRouteCache();
  net.clearCaptures();
  const ping: string[] = [];
  for (let i = 0; i < c.count; i++) {
    if (i) net.clock.advance((c.interval ?? 0.2) * 1000);
    const r = net.send({ from: c.from, to: c.to, proto: 'icmp', size: c.size, pmtudisc: c.mode });
    const t = r.trace;
    const last = t.hops.at(-1)?.steps.at(-1);
    if (t.hops.length === 1 && last?.kind === 'mtu' && last.action === 'DROP') ping.push(`local-error mtu=${last.data!.mtu}`);
    for (const e of r.errors) {
      // An error reaching the sender: the forwarding step that caused it names type, code and MTU.
      if (e.disposition !== 'DELIVERED' || e.hops.at(-1)?.node !== c.from) continue;
      const fwd = t.hops.flatMap((h) => h.steps).find((s) => s.kind === 'forward' && s.action === 'MTU_EXCEEDED');
      const src = e.hops[0].node;
      if (fwd?.kind === 'forward') ping.push(`frag-needed mtu ${fwd.data!.icmp.mtu} from ${addrOf(net, src, c.from)}`);
    }
    // A reply whose outer packet was fragmented ends its first walk at the reassembling node: DELIVERED means all of it arrived.
    if (r.reply?.disposition === 'DELIVERED') ping.push('reply');
  }
  const wires: Record<string, string[]> = {};
  for (const w of mtuWires(m, prefix)) wires[w.key] = net.capture(w.ns, w.ifname).map(frameText).filter((x): x is string => x !== undefined);
  const routes: Record<string, string> = {};
  for (const [ns, to] of routeQueries(c)) routes[`${ns} ${to}`] = routeText(net.ipRouteGet(ns, to));
  return { ping, wires, routes };
}

/** The source address `node`'s error to `pod` carries: the route back's preferred source. */
function addrOf(net: SimNetwork, node: string, pod: string): string {
  const podAddr = net.ns(pod).iface('eth0').addrs[0].addr;
  return /src (\S+)/.exec(net.ipRouteGet(node, formatIPv4(podAddr)))?.[1] ?? '?';
}

/** ping's output lines as events (see {@link CaseResult.ping}). */
export function pingEvents(out: string): string[] {
  const ev: string[] = [];
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null;
    if (/^\d+ bytes from /.test(line)) ev.push('reply');
    else if ((m = /^From (\S+) icmp_seq=\d+ Frag needed and DF set \(mtu = (\d+)\)/.exec(line))) ev.push(`frag-needed mtu ${m[2]} from ${m[1]}`);
    else if ((m = /local error: message too long, mtu=(\d+)/.exec(line))) ev.push(`local-error mtu=${m[1]}`);
  }
  return ev;
}

/** ping's output with the times masked (the model's clock is not the wall clock's): `time=T ms`, `time Tms`, the rtt line. */
export function pingTextMasked(out: string): string {
  return out
    .replace(/time=[\d.]+ ms/g, 'time=T ms')
    .replace(/time \d+ms/g, 'time Tms')
    .replace(/^rtt min\/avg\/max\/mdev = .*$/m, 'rtt T')
    .replace(/\n+$/, '\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (argv: string[]) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });



/** The real kernel's answers to `cases` on `m` (root; the namespaces are always deleted). Also returns ping's raw output per case. */
export async function realRun(m: MtuScenario, cases: readonly MtuCase[], prefix: string): Promise<{ mtus: Mtus; results: CaseResult[]; raw: string[]; text: string[] }> {
  const lay = layout(m.scenario, prefix);
  const netns = (name: string) => lay.namespaces.find((p) => p.name === name)!.netns;
  // The switches do not call iptables (br_netfilter, when loaded, would refragment IPv4 to the egress port's MTU: the model's switch, like a plain bridge, drops).
  const segs = lay.namespaces.filter((p) => p.kind === 'segment').map((p) => `if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then ip netns exec ${p.netns} sysctl -qw net.bridge.bridge-nf-call-iptables=0; fi`);
  const script = exportNetns(m.scenario, { prefix }).replace(/\ntrap - ERR/, `\n${[...segs, ...mtuChangeLines(m.after, netns)].join('\n')}\ntrap - ERR`);
  const dir = mkdtempSync(join(tmpdir(), 'cnk-mtu-'));
  const hosts = lay.namespaces.filter((p) => p.kind !== 'segment');
  const wires = mtuWires(m, prefix);
  try {
    const built = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building ${m.scenario.name} failed: ${built.stderr.trim()}`);
    const mtus: Mtus = {};
    for (const h of hosts) {
      for (const line of run(['ip', '-n', h.netns, '-o', 'link', 'show']).stdout.split('\n')) {
        const x = /^\d+: ([^:@]+)(?:@\S+)?: .* mtu (\d+)/.exec(line);
        if (x && x[1] !== 'lo') mtus[`${h.name}/${x[1]}`] = Number(x[2]);
      }
    }
    // Let link-up chatter (IGMP reports of cni0) pass before the first case.
    await sleep(1200);
    const results: CaseResult[] = [];
    const raw: string[] = [];
    const text: string[] = [];
    for (const [k, c] of cases.entries()) {
      for (const h of hosts) run(['ip', '-n', h.netns, 'route', 'flush', 'cache']);
      const caps: ChildProcess[] = [];
      try {
        for (const [i, w] of wires.entries()) caps.push(await startCapture(w.netns, w.ifname, join(dir, `${k}-${i}.pcap`)));
        const r = run(['ip', 'netns', 'exec', netns(c.from), 'ping', '-n', '-c', String(c.count), '-i', String(c.interval ?? 0.2), '-W', '1', '-s', String(c.size), '-M', c.mode, c.to]);
        text.push(pingTextMasked(r.stdout + r.stderr));
        raw.push(`$ ping -c ${c.count} -i ${c.interval ?? 0.2} -s ${c.size} -M ${c.mode} ${c.to} (from ${c.from})\n${r.stdout}${r.stderr}`);
        await sleep(200);
        const routes: Record<string, string> = {};
        for (const [ns, to] of routeQueries(c)) {
          const g = run(['ip', '-n', netns(ns), 'route', 'get', to]);
          routes[`${ns} ${to}`] = routeText(g.stdout + g.stderr);
        }
        await stopCaptures(caps);
        const wireText: Record<string, string[]> = {};
        for (const [i, w] of wires.entries()) {
          const pk = readCapture(new Uint8Array(readFileSync(join(dir, `${k}-${i}.pcap`)))).packets;
          wireText[w.key] = pk.map((p) => frameText(p.data)).filter((x): x is string => x !== undefined);
        }
        results.push({ ping: pingEvents(r.stdout + r.stderr), wires: wireText, routes });
      } finally {
        await stopCaptures(caps);
      }
    }
    return { mtus, results, raw, text };
  } finally {
    spawnSync('bash', ['-c', script, 'bash', 'down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Differences between a real and a model result, as lines (empty: equal). */
export function diffCase(what: string, real: CaseResult, model: CaseResult): string[] {
  const out: string[] = [];
  if (real.ping.join(', ') !== model.ping.join(', ')) out.push(`${what} ping: kernel [${real.ping.join(', ')}] model [${model.ping.join(', ')}]`);
  for (const k of new Set([...Object.keys(real.wires), ...Object.keys(model.wires)])) {
    const a = (real.wires[k] ?? []).join(' ; ');
    const b = (model.wires[k] ?? []).join(' ; ');
    if (a !== b) out.push(`${what} wire ${k}: kernel [${a}] model [${b}]`);
  }
  for (const k of Object.keys(real.routes)) if (real.routes[k] !== model.routes[k]) out.push(`${what} route get ${k}: kernel "${real.routes[k]}" model "${model.routes[k]}"`);
  return out;
}
