/**
 * Compares a real run of a Flannel pair (flannel-netns.ts) with `cnikit
 * ping` on the same scenario: which sequence numbers were answered (a
 * reply, an ICMP error), the miss lines of `ip monitor neigh` (text and
 * global order; times from the first miss line within a tolerance), the
 * flannel.1 neighbour and FDB tables afterwards, and the frames on
 * master's eth0 (summarised: ARP who-has/is-at, VXLAN outer addresses with
 * the inner ICMP echo and its sequence; the fields Linux randomises or
 * hashes are left out).
 */
import type { PingResult } from '../../src/ping/index.js';
import type { SimNetwork } from '../../src/kernel/network.js';
import { readCapture } from '../../src/pcap/index.js';
import { monitorMisses, unicastFdb } from '../../src/netns/ping-run.js';
import type { RealPing } from './flannel-netns.js';

/**
 * Time tolerance of a miss line at `t` ms after the first one: 50 ms plus
 * 3% of `t`. Measured: the kernel's retrans_time timer and ping's
 * interval both run about 2% long on these hosts (misses 1.011 s and
 * 1.024 s apart, `time 9171ms` for nine 1 s intervals), the model's are
 * exact.
 */
export function tolerance(t: number): number {
  return 50 + 0.03 * t;
}

/** One side's facts, comparable. */
export interface PingFacts {
  /** `N reply` / `N error` per answered sequence number. */
  answered: string[];
  /** `NODE miss ...` in time order. */
  misses: string[];
  missTimes: number[];
  neigh: Record<string, string>;
  fdb: Record<string, string>;
  frames: string[];
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function ip4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** A one-line summary of an Ethernet frame, without randomised fields. */
export function frameSummary(f: Uint8Array): string {
  const type = u16(f, 12);
  if (type === 0x0806) {
    const op = u16(f, 20);
    return op === 1 ? `arp who-has ${ip4(f, 38)} tell ${ip4(f, 28)}` : `arp reply ${ip4(f, 28)} is-at ${[...f.subarray(22, 28)].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
  }
  if (type !== 0x0800) return `ethertype 0x${type.toString(16)}`;
  const hl = (f[14] & 15) * 4;
  const src = ip4(f, 26);
  const dst = ip4(f, 30);
  const proto = f[23];
  const l4 = 14 + hl;
  if (proto === 17 && u16(f, l4 + 2) === 8472) {
    const inner = f.subarray(l4 + 8 + 8);
    return `vxlan ${src} > ${dst}: ${frameSummary(inner)}`;
  }
  if (proto === 1) {
    const t = f[l4];
    const name = t === 8 ? 'echo request' : t === 0 ? 'echo reply' : `icmp type ${t} code ${f[l4 + 1]}`;
    return `${src} > ${dst}: ${name}${t === 8 || t === 0 ? ` seq ${u16(f, l4 + 6)}` : ''}`;
  }
  return `${src} > ${dst}: proto ${proto}`;
}

/** The facts of a real run. */
export function realFacts(r: RealPing): PingFacts {
  const answered: string[] = [];
  for (const l of r.ping.split('\n')) {
    const m = /icmp_seq=(\d+)/.exec(l);
    if (!m) continue;
    answered.push(`${m[1]} ${l.includes(' bytes from ') ? 'reply' : 'error'}`);
  }
  // ip -ts prints local time; the difference from ping's start is what counts.
  const all = Object.entries(r.monitor).flatMap(([node, lines]) => monitorMisses(lines.join('\n'), node).map((m) => ({ t: m.epochMs - r.startS * 1000, s: m.line })));
  all.sort((a, b) => a.t - b.t);
  const cap = readCapture(r.pcap);
  const frames = cap.packets.filter((p) => p.tsSec + p.tsNsec / 1e9 <= r.endS).map((p) => frameSummary(p.data));
  if (process.env.CNIKIT_PING_DEBUG) for (const p of cap.packets) console.log(((p.tsSec + p.tsNsec / 1e9 - r.startS) * 1000).toFixed(1), frameSummary(p.data));
  const fdb = Object.fromEntries(Object.entries(r.fdb).map(([k, v]) => [k, unicastFdb(v)]));
  return { answered, misses: all.map((x) => x.s), missTimes: all.map((x) => x.t), neigh: r.neigh, fdb, frames };
}

/** The facts of a model run (`net.arpFrames` on before it, so ARP frames are captured). */
export function modelFacts(r: PingResult, net: SimNetwork): PingFacts {
  const answered = r.seqs.filter((s) => s.outcome !== 'lost').map((s) => `${s.seq} ${s.outcome}`);
  const ms = r.notifications.filter((n) => n.msg.type === 'miss');
  const nodes = ['master', 'minion'];
  return {
    answered,
    misses: ms.map((n) => `${n.ns} ${n.text}`),
    missTimes: ms.map((n) => n.atMs),
    neigh: Object.fromEntries(nodes.map((n) => [n, net.ns(n).neigh.show({ dev: 'flannel.1' })])),
    fdb: Object.fromEntries(nodes.map((n) => [n, net.ns(n).iface('flannel.1').vxlan!.fdb.show({ withDev: false })])),
    frames: net.capture('master', 'eth0').map(frameSummary),
  };
}

/** Every difference between the two, as readable lines (none: equal). */
export function differences(real: PingFacts, model: PingFacts): string[] {
  const out: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: real ${JSON.stringify(a)}, model ${JSON.stringify(b)}`);
  };
  // The real answers come in arrival order; compare as sets ordered by sequence.
  const bySeq = (l: string[]) => [...l].sort((x, y) => parseInt(x) - parseInt(y));
  same('answered', bySeq(real.answered), bySeq(model.answered));
  same('miss lines', real.misses, model.misses);
  if (real.misses.length === model.misses.length && real.misses.length > 0) {
    // Times from the first miss line (the first request's): how long ping took to start is not the kernel's.
    const r0 = real.missTimes[0];
    const m0 = model.missTimes[0];
    real.missTimes.forEach((t, i) => {
      const m = model.missTimes[i] - m0;
      if (Math.abs(t - r0 - m) > tolerance(m)) out.push(`miss line ${i} (${real.misses[i]}): real at +${(t - r0).toFixed(1)} ms, model at +${m} ms`);
    });
  }
  same('neighbours', real.neigh, model.neigh);
  same('fdb', real.fdb, model.fdb);
  same('underlay frames', real.frames, model.frames);
  return out;
}
