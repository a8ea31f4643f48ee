/**
 * Pings on the clock in a scenario built in real namespaces, for the lanes
 * whose outcome depends on time (old flanneld's misses: a packet queued
 * while a miss is answered, a frame dropped at an L2 miss, entries that
 * age). Builds the scenario (`exportNetns`, miss responders included),
 * runs `ip -ts monitor neigh` in every node and tcpdump on every wire for
 * the whole run, then sends each probe as iputils `ping -n -c N -i I -W W`
 * from its pod, one after the other, and reads back what happened in each
 * probe's time window: ping's answers, the frames on every wire, and over
 * the whole run the nodes' miss lines, the vxlan devices' neighbour and FDB
 * tables afterwards and what each miss responder answered. The timeline
 * (each window's start and end from the first probe's start) is returned,
 * so that the model can be run on the same one (its clock moved to each
 * start). Needs root, ip, bridge, tcpdump, ping, python3; the namespaces
 * and responders are always removed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../pcap/index.js';
import type { Scenario } from '../kernel/scenario.js';
import { exportNetns, RUN_DIR } from './export.js';
import { startCapture, stopCaptures } from './capture.js';
import { layout } from './layout.js';

/** One ping run: `ping -n -c count -i interval -W timeout to` from `from`. */
export interface PingProbe {
  name: string;
  /** Sending pod (or node). */
  from: string;
  to: string;
  count: number;
  /** `-i`, seconds. Default 0.2. */
  interval?: number;
  /** `-W`, seconds. Default 1. */
  timeout?: number;
}

/** What one probe gave in its window. */
export interface PingWindow {
  /** Window start and end, ms from the first probe's start. */
  startMs: number;
  endMs: number;
  /** `N reply` / `N error` per answered sequence number, by sequence. */
  answered: string[];
  /** Frames captured in the window, by wire `<ns>/<ifname>`. */
  frames: Record<string, Uint8Array[]>;
}

/** A whole run, real or model. */
export interface PingRun {
  windows: PingWindow[];
  /** `NODE miss ...` lines of `ip monitor neigh` up to the last window's end, in time order, with their time (ms from the first probe's start). */
  misses: { atMs: number; line: string }[];
  /** Per node with a vxlan device: `ip neigh show dev D` and `bridge fdb show dev D` (multicast entries left out) afterwards. */
  neigh: Record<string, string>;
  fdb: Record<string, string>;
  /** Per node with a miss responder: its answers (flanneld's log lines) in order. */
  answers: Record<string, string[]>;
}

/** The answered sequence numbers in ping's output, by sequence. */
export function answeredOf(out: string): string[] {
  const answered: string[] = [];
  for (const l of out.split('\n')) {
    const m = /icmp_seq=(\d+)/.exec(l);
    if (m) answered.push(`${m[1]} ${l.includes(' bytes from ') ? 'reply' : 'error'}`);
  }
  return answered.sort((a, b) => parseInt(a) - parseInt(b));
}

/** `[Y-M-DTh:m:s.us] miss ...` lines of `ip -ts monitor neigh` (local time) as epoch ms and text. */
export function monitorMisses(text: string, node: string): { epochMs: number; line: string }[] {
  const out: { epochMs: number; line: string }[] = [];
  for (const l of text.split('\n')) {
    const m = /^\[(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+\.\d+)\] (miss .*?)\s*$/.exec(l);
    if (!m) continue;
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), 0);
    out.push({ epochMs: d.getTime() + Number(m[6]) * 1000, line: `${node} ${m[7]}` });
  }
  return out;
}

/** The vxlan devices of each node. */
export function vxlanDevs(s: Scenario): Map<string, string[]> {
  return new Map(s.nodes.map((n) => [n.name, n.interfaces.filter((i) => i.kind === 'vxlan').map((i) => i.name)]));
}

/** Lines of `bridge fdb show` without the multicast and broadcast entries Linux adds itself. */
export function unicastFdb(text: string): string {
  return text.split('\n').filter((l) => l && !/^(33:33|01:00:5e|ff:ff)/.test(l)).map((l) => `${l}\n`).join('');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (argv: string[], timeout = 20_000) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout });

/** Runs `probes` on `s` built in real namespaces under `prefix` (see the module comment). */
export async function realPings(s: Scenario, probes: readonly PingProbe[], prefix: string): Promise<PingRun> {
  const script = exportNetns(s, { prefix });
  const lay = layout(s, prefix);
  const netns = (name: string) => lay.namespaces.find((p) => p.name === name)!.netns;
  const nodes = s.nodes.map((n) => n.name);
  const devs = vxlanDevs(s);
  const dir = mkdtempSync(join(tmpdir(), 'cnk-pr-'));
  const caps: ChildProcess[] = [];
  const monitors: ChildProcess[] = [];
  try {
    const built = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building scenario ${s.name} failed: ${built.stderr.trim()}`);
    for (const n of nodes) {
      const fd = openSync(join(dir, `mon-${n}.txt`), 'w');
      monitors.push(spawn('ip', ['netns', 'exec', netns(n), 'ip', '-ts', 'monitor', 'neigh'], { stdio: ['ignore', fd, fd] }));
      closeSync(fd);
    }
    // tcpdump -p: a promiscuous cni0 would show the frames it forwards between two pods (see RunOptions.promisc in run.ts).
    for (const [i, w] of lay.wires.entries()) caps.push(await startCapture(w.netns, w.ifname, join(dir, `${i}.pcap`), false));
    // Let link-up chatter pass before the first probe.
    await sleep(1200);
    const hosts = lay.namespaces.filter((p) => p.kind !== 'segment');
    const spans: { start: number; end: number; out: string }[] = [];
    for (const p of probes) {
      for (const h of hosts) run(['ip', '-n', h.netns, 'route', 'flush', 'cache']);
      const start = Date.now();
      const r = run(['ip', 'netns', 'exec', netns(p.from), 'ping', '-n', '-c', String(p.count), '-i', String(p.interval ?? 0.2), '-W', String(p.timeout ?? 1), p.to], 60_000);
      await sleep(300);
      spans.push({ start, end: Date.now(), out: r.stdout + r.stderr });
    }
    const neigh: Record<string, string> = {};
    const fdb: Record<string, string> = {};
    for (const n of nodes) {
      for (const d of devs.get(n) ?? []) {
        neigh[n] = (neigh[n] ?? '') + run(['ip', '-n', netns(n), 'neigh', 'show', 'dev', d]).stdout;
        fdb[n] = (fdb[n] ?? '') + unicastFdb(run(['bridge', '-n', netns(n), 'fdb', 'show', 'dev', d]).stdout);
      }
    }
    const answers: Record<string, string[]> = {};
    for (const n of s.nodes.filter((x) => x.missResponder)) {
      answers[n.name] = readFileSync(`${RUN_DIR}/${netns(n.name)}.miss.log`, 'utf8').split('\n').filter((l) => l && l !== 'ready');
    }
    await sleep(200);
    await stopCaptures(caps);
    await stopAll(monitors);
    const t0 = spans[0]?.start ?? 0;
    const all = lay.wires.map((w, i) => ({ key: w.key, frames: readCapture(new Uint8Array(readFileSync(join(dir, `${i}.pcap`)))).packets.map((p) => ({ ms: p.tsSec * 1000 + p.tsNsec / 1e6, data: p.data })) }));
    const windows = spans.map((sp) => ({
      startMs: sp.start - t0,
      endMs: sp.end - t0,
      answered: answeredOf(sp.out),
      frames: Object.fromEntries(all.map((a) => [a.key, a.frames.filter((f) => f.ms >= sp.start && f.ms < sp.end).map((f) => f.data)])),
    }));
    // Misses up to the last window's end (the monitors ran a little longer, while the tables were read).
    const last = spans.at(-1)?.end ?? t0;
    const misses = nodes.flatMap((n) => monitorMisses(readFileSync(join(dir, `mon-${n}.txt`), 'utf8'), n)).filter((m) => m.epochMs < last).sort((a, b) => a.epochMs - b.epochMs).map((m) => ({ atMs: m.epochMs - t0, line: m.line }));
    return { windows, misses, neigh, fdb, answers };
  } finally {
    await stopCaptures(caps);
    await stopAll(monitors);
    spawnSync('bash', ['-c', script, 'bash', 'down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stops the processes still running (SIGTERM) and waits until each has exited. */
async function stopAll(ps: ChildProcess[]): Promise<void> {
  const live = ps.filter((c) => c.exitCode === null && c.signalCode === null);
  const done = live.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of live) c.kill('SIGTERM');
  await Promise.all(done);
}
