/**
 * The model's side of a timed ping run (src/netns/ping-run.ts) on a
 * cluster built by its control plane, on the real run's timeline, and the
 * comparison of the two: per probe the answered sequence numbers and every
 * frame on every wire (masked, byte for byte: compareFrames); over the run
 * the nodes' miss lines (text and order; times from the first miss within
 * ping-compare.ts's tolerance), the vxlan devices' neighbour and FDB tables
 * afterwards (as sets of lines), and what each miss responder answered (the real responder's
 * lines against flanneld's own log lines in the model).
 */
import type { ClusterRun } from '../../src/cluster/index.js';
import type { Scenario } from '../../src/kernel/index.js';
import { compareFrames } from '../../src/netns/compare.js';
import { layout } from '../../src/netns/layout.js';
import { vxlanDevs, type PingProbe, type PingRun } from '../../src/netns/ping-run.js';
import { ping } from '../../src/ping/index.js';
import { frameSummary, tolerance } from './ping-compare.js';

const logLines = (r: ClusterRun, node: string) => (r.run.show(node, 'flanneld-log') ?? '').split('\n').filter((l) => l);

/**
 * Runs `probes` on the cluster's own network (the one `s` was read from),
 * each starting at the real window's start (the clock moved there first)
 * and captured until the real window's end.
 */
export function modelPings(r: ClusterRun, s: Scenario, probes: readonly PingProbe[], real: PingRun, prefix: string): PingRun {
  const net = r.net;
  const clock = net.clock;
  net.arpFrames = true;
  net.setCapture(true);
  const wires = layout(s, prefix).wires.map((w) => w.key);
  const nodes = s.nodes.map((n) => n.name);
  const logged = new Map(nodes.map((n) => [n, logLines(r, n).length]));
  const t0 = clock.now();
  const misses: PingRun['misses'] = [];
  const stop = net.monitorNeigh((n) => {
    if (net.ns(n.ns).node === n.ns && n.msg.type === 'miss') misses.push({ atMs: n.atMs - t0, line: `${n.ns} ${n.text}` });
  });
  const until = (ms: number) => {
    if (t0 + ms > clock.now()) clock.advance(t0 + ms - clock.now());
  };
  try {
    const windows = probes.map((p, i) => {
      const w = real.windows[i];
      until(w.startMs);
      net.flushRouteCache();
      net.clearCaptures();
      const res = ping(net, { from: p.from, to: p.to, count: p.count, interval: p.interval ?? 0.2, timeout: p.timeout ?? 1 });
      until(w.endMs);
      const frames: Record<string, Uint8Array[]> = {};
      for (const k of wires) {
        const cut = k.indexOf('/');
        try {
          frames[k] = [...net.capture(k.slice(0, cut), k.slice(cut + 1))];
        } catch {
          frames[k] = [];
        }
      }
      return { startMs: w.startMs, endMs: w.endMs, answered: res.seqs.filter((x) => x.outcome !== 'lost').map((x) => `${x.seq} ${x.outcome}`), frames };
    });
    const devs = vxlanDevs(s);
    const neigh: Record<string, string> = {};
    const fdb: Record<string, string> = {};
    for (const n of nodes) {
      for (const d of devs.get(n) ?? []) {
        neigh[n] = (neigh[n] ?? '') + net.ns(n).neigh.show({ dev: d });
        fdb[n] = (fdb[n] ?? '') + net.ns(n).iface(d).vxlan!.fdb.show({ withDev: false });
      }
    }
    const answers: Record<string, string[]> = {};
    for (const n of s.nodes.filter((x) => x.missResponder)) {
      answers[n.name] = logLines(r, n.name).slice(logged.get(n.name)).map((l) => l.replace(/^\[[\d.]+s\] /, '')).filter((l) => /^L[23] miss/.test(l));
    }
    return { windows, misses, neigh, fdb, answers };
  } finally {
    stop();
  }
}

/** Every difference between a real and a model run of `probes`, as readable lines (none: they agree). */
export function pingRunDiffs(probes: readonly PingProbe[], real: PingRun, model: PingRun): string[] {
  const out: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: kernel ${JSON.stringify(a)}, model ${JSON.stringify(b)}`);
  };
  probes.forEach((p, i) => {
    const k = real.windows[i];
    const m = model.windows[i];
    same(`${p.name} answered`, k.answered, m.answered);
    for (const d of compareFrames(p.name, k.frames, m.frames)) {
      const show = (fs: Uint8Array[]) => fs.map((f) => frameSummary(f)).join(' | ');
      out.push(`${d.probe} ${d.kind} ${d.wire}: ${d.detail}\n    kernel: ${show(k.frames[d.wire!] ?? [])}\n    model:  ${show(m.frames[d.wire!] ?? [])}`);
    }
  });
  same('miss lines', real.misses.map((x) => x.line), model.misses.map((x) => x.line));
  if (real.misses.length === model.misses.length && real.misses.length > 0) {
    // Times from the first miss line: how long ping took to start is not the kernel's.
    const r0 = real.misses[0].atMs;
    const m0 = model.misses[0].atMs;
    real.misses.forEach((x, i) => {
      const m = model.misses[i].atMs - m0;
      if (Math.abs(x.atMs - r0 - m) > tolerance(m)) out.push(`miss line ${i} (${x.line}): kernel at +${(x.atMs - r0).toFixed(1)} ms, model at +${m} ms`);
    });
  }
  // As sets of lines: Linux dumps the neighbour table in hash order (a per-table random key) and, on 6.18,
  // a vxlan FDB newest entry first; the model prints its entries sorted (vxlan-fdb.ts, neigh.ts).
  const lines = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.split('\n').filter((l) => l).sort()]));
  same('neighbours', lines(real.neigh), lines(model.neigh));
  same('fdb', lines(real.fdb), lines(model.fdb));
  same('responder answers', real.answers, model.answers);
  return out;
}

/** The number of frames a run captured over all windows and wires. */
export function frameCount(run: PingRun): number {
  return run.windows.reduce((n, w) => n + Object.values(w.frames).reduce((m, f) => m + f.length, 0), 0);
}
