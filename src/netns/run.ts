/**
 * Builds a scenario in real network namespaces (the script of
 * `exportNetns`), captures every wire with tcpdump, sends each probe (ping,
 * or a python3 UDP sender with a pinned source port) and classifies what
 * the kernel did (`observe`). Needs root, ip, bridge, tcpdump, ethtool,
 * ping, python3; the namespaces are always deleted.
 *
 * Between probes the route cache of every namespace is flushed so that a
 * PMTU learned from one probe's frag-needed does not change the next one.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../pcap/index.js';
import { exportNetns } from './export.js';
import { startCapture, stopCaptures } from './capture.js';
import { layout } from './layout.js';
import { observe, type Observation, type ProbeFacts, type TimedFrame } from './observe.js';
import type { Probe, Scenario } from '../kernel/scenario.js';

/** Default UDP source port of probes. */
export const DEFAULT_SPORT = 40000;

const UDP_SENDER = [
  'import socket,sys',
  'to,dport,sport,size,ttl,df=sys.argv[1],int(sys.argv[2]),int(sys.argv[3]),int(sys.argv[4]),int(sys.argv[5]),sys.argv[6]=="1"',
  's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)',
  's.setsockopt(socket.IPPROTO_IP,socket.IP_TTL,ttl)',
  's.setsockopt(socket.IPPROTO_IP,10,2 if df else 0)', // IP_MTU_DISCOVER: IP_PMTUDISC_DO / DONT
  's.bind(("0.0.0.0",sport))',
  's.sendto(bytes(size),(to,dport))',
].join('\n');

/** The command (argv, run inside the sender's namespace) that sends `probe`. */
export function senderArgv(probe: Probe): string[] {
  const ttl = String(probe.ttl ?? 64);
  const size = String(probe.size ?? 56);
  const df = probe.df ?? true;
  if (probe.proto === 'icmp') return ['ping', '-n', '-c', '1', '-W', '1', '-t', ttl, '-s', size, '-M', df ? 'do' : 'dont', probe.to];
  return ['python3', '-c', UDP_SENDER, probe.to, String(probe.dport ?? 9), String(probe.sport ?? DEFAULT_SPORT), size, ttl, df ? '1' : '0'];
}

/** Sum of the packet counters of DROP and REJECT rules in `iptables-save -c` output. */
export function dropCount(saveC: string): number {
  let n = 0;
  for (const line of saveC.split('\n')) {
    const m = /^\[(\d+):\d+\] -A .* -j (DROP|REJECT)\b/.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

/** Frames with `from <= ts < to`. */
export function inWindow(frames: TimedFrame[], from: bigint, to: bigint): TimedFrame[] {
  return frames.filter((f) => f.ts >= from && f.ts < to);
}

/** Result of one scenario run. */
export interface RunResult {
  scenario: string;
  observations: Observation[];
  /** Facts per probe (for fixtures and replay). */
  facts: ProbeFacts[];
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (argv: string[]) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 10_000 });


/** Options of {@link runScenario}. */
export interface RunOptions {
  /**
   * Let tcpdump put each captured device in promiscuous mode (its default;
   * default true). A bridge in promiscuous mode also passes every frame it
   * forwards between two ports up to its own device (br_handle_frame_finish
   * with IFF_PROMISC), so a capture on `cni0` then holds traffic between two
   * pods of one node; false (`tcpdump -p`) captures what the bridge's own
   * stack receives, which is what the model's capture on a bridge holds.
   */
  promisc?: boolean;
}

/** Builds `s` under `prefix`, runs its probes, tears it down. */
export async function runScenario(s: Scenario, prefix: string, opts: RunOptions = {}): Promise<RunResult> {
  const script = exportNetns(s, { prefix });
  const lay = layout(s, prefix);
  const dir = mkdtempSync(join(tmpdir(), 'cnk-kr-'));
  const caps: ChildProcess[] = [];
  try {
    const built = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`building scenario ${s.name} failed: ${built.stderr.trim()}`);
    for (const [i, w] of lay.wires.entries()) caps.push(await startCapture(w.netns, w.ifname, join(dir, `${i}.pcap`), opts.promisc ?? true));
    // Let link-up chatter (IGMP reports of bridges with snooping, e.g. cni0) pass before the first probe.
    await sleep(1200);
    const hosts = lay.namespaces.filter((p) => p.kind !== 'segment');
    const filtered = s.nodes.filter((n) => n.iptables).map((n) => lay.namespaces.find((p) => p.name === n.name)!);
    const drops = () => new Map(filtered.map((p) => [p.name, dropCount(run(['ip', 'netns', 'exec', p.netns, 'iptables-save', '-c']).stdout)]));
    const windows: { from: bigint; to: bigint; denied: string[]; routeGet: Record<string, string>; senderError: string }[] = [];
    for (const probe of s.probes) {
      for (const h of hosts) run(['ip', '-n', h.netns, 'route', 'flush', 'cache']);
      const before = drops();
      const from = nowNs();
      const sender = lay.namespaces.find((p) => p.name === probe.from)!;
      const r = run(['ip', 'netns', 'exec', sender.netns, ...senderArgv(probe)]);
      await sleep(300);
      const to = nowNs();
      const after = drops();
      const routeGet: Record<string, string> = {};
      for (const h of hosts) {
        const g = run(['ip', '-n', h.netns, 'route', 'get', probe.to]);
        routeGet[h.name] = (g.stdout + g.stderr).trim();
      }
      windows.push({ from, to, denied: [...after].filter(([k, v]) => v > (before.get(k) ?? 0)).map(([k]) => k), routeGet, senderError: r.stderr ?? '' });
    }
    await sleep(200);
    await stopCaptures(caps);
    const all = lay.wires.map((w, i) => ({ key: w.key, frames: readCapture(new Uint8Array(readFileSync(join(dir, `${i}.pcap`)))).packets.map((p) => ({ ts: BigInt(p.tsSec) * 1_000_000_000n + BigInt(p.tsNsec), data: p.data })) }));
    const facts = windows.map((w) => ({ frames: Object.fromEntries(all.map((a) => [a.key, inWindow(a.frames, w.from, w.to)])), denied: w.denied, routeGet: w.routeGet, senderError: w.senderError }));
    return { scenario: s.name, observations: s.probes.map((p, i) => observe(s, p, facts[i])), facts };
  } finally {
    await stopCaptures(caps);
    spawnSync('bash', ['-c', script, 'bash', 'down']);
    rmSync(dir, { recursive: true, force: true });
  }
}

