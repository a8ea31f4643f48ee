/**
 * A model of iputils `ping` on the simulated clock: echo requests sent
 * every `-i` seconds from a pod's raw ICMP socket, replies and ICMP errors
 * read from that socket as they arrive, ping's own output (the PING line,
 * one line per reply or error, the statistics), and `ip -ts monitor neigh`
 * of every node interleaved in time. `--udp PORT` sends one datagram
 * instead and reports what came back.
 *
 * As iputils (ping_common.c): the run ends when every request is answered
 * or failed (`nreceived + nerrors >= count`), else after the wait
 * __schedule_exit sets when the last request has gone: the linger time
 * (`-W`, default 10 s) when no reply had come by then, else max(2 x the
 * largest RTT, the interval); `time` in the statistics is the last send's time from the
 * start; a local EMSGSIZE is `ping: local error: message too long, mtu=N`
 * (an error); errors are `From ADDR icmp_seq=N ...` lines. `-M do` sets
 * DF, `-M dont` clears it, `-M want` (ping's default, the kernel's
 * IP_PMTUDISC_WANT) sets it unless the packet exceeds the path MTU (a PMTU
 * exception, else the route's device's), in which case the kernel
 * fragments it (`PacketSpec.pmtudisc`).
 *
 * Simplified: RTTs are the simulated clock's (0 when nothing waited); no
 * `pipe N` (iputils prints it when replies overlap; it depends on the
 * order of equal times); no duplicates or checksum errors.
 */
import { ICMP_DEST_UNREACH, ICMP_ECHOREPLY, ICMP_TIME_EXCEEDED, IPV4_HLEN, ICMP_HLEN } from '../../assembly/shared/codec.js';
import { InputError } from '../core/errors.js';
import { monitorLine, type NeighNotification, type SimNetwork } from '../kernel/network.js';
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import type { Trace } from '../core/trace.js';

/** Options of one ping run (ping's flags). */
export interface PingOptions {
  /** Sending pod (or node). */
  from: string;
  /** Destination address. */
  to: string;
  /** `-c`: requests to send. Default 3 (ping's default is unlimited; a simulation needs an end). */
  count?: number;
  /** `-i`: seconds between requests. Default 1. */
  interval?: number;
  /** `-s`: ICMP data bytes. Default 56. */
  size?: number;
  /** `-M`: path MTU discovery. Default `want`. */
  pmtudisc?: 'do' | 'dont' | 'want';
  /** `-W`: seconds to wait for replies after the last request. Default 10. */
  timeout?: number;
  /** Send one UDP datagram to this port instead of pings. */
  udpPort?: number;
  /** Collect `ip -ts monitor neigh` of every namespace but the pods'. */
  monitor?: boolean;
}

/** One line of output at simulated time `atMs`: ping's (stdout or stderr) or a monitor's. */
export interface PingLine {
  readonly atMs: number;
  readonly text: string;
  readonly source: 'ping' | 'stderr' | 'monitor';
  /** The namespace a monitor line comes from. */
  readonly ns?: string;
}

/** What one request did. */
export interface PingSeq {
  readonly seq: number;
  readonly sentMs: number;
  /** `reply`, `error` (an ICMP error or local error), or `lost`. */
  readonly outcome: 'reply' | 'error' | 'lost';
  readonly rttMs?: number;
  readonly error?: string;
  /** The request's walk (its disposition `QUEUED` when it waited for a neighbour). */
  readonly trace: Trace;
  /** Walks of the request (or its reply) that continued later. */
  readonly later: readonly Trace[];
}

/** The result of {@link ping}. */
export interface PingResult {
  readonly lines: readonly PingLine[];
  readonly seqs: readonly PingSeq[];
  readonly transmitted: number;
  readonly received: number;
  readonly errors: number;
  /** Notifications seen, in order (with `monitor`). */
  readonly notifications: readonly NeighNotification[];
  /** Simulated time when ping ended. */
  readonly endMs: number;
}

/** The text of an ICMP error as ping prints it after `From ADDR icmp_seq=N ` (iputils pr_icmph). */
function icmpText(type: number, code: number, mtu: number): string {
  if (type === ICMP_DEST_UNREACH) {
    const t = ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable', `Frag needed and DF set (mtu = ${mtu})`, 'Source Route Failed', 'Destination Net Unknown', 'Destination Host Unknown', 'Source Host Isolated', 'Destination Net Prohibited', 'Destination Host Prohibited', 'Destination Net Unreachable for Type of Service', 'Destination Host Unreachable for Type of Service', 'Packet filtered', 'Precedence Violation', 'Precedence Cutoff'][code];
    return t ?? `Dest Unreachable, Bad Code: ${code}`;
  }
  if (type === ICMP_TIME_EXCEEDED) return code === 0 ? 'Time to live exceeded' : 'Frag reassembly time exceeded';
  return `Bad ICMP type: ${type}`;
}

/** iputils' RTT text (gather_statistics) of `us` microseconds. */
export function rttText(us: number): string {
  const t = Math.round(us);
  if (t >= 100000) return `${Math.floor((t + 500) / 1000)}`;
  if (t >= 10000) return `${Math.floor((t + 50) / 1000)}.${Math.floor(((t + 50) % 1000) / 100)}`;
  if (t >= 1000) return `${Math.floor((t + 5) / 1000)}.${String(Math.floor(((t + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
}

/** `%ld.%03ld` of microseconds. */
function ms3(us: number): string {
  const t = Math.trunc(us);
  return `${Math.trunc(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
}

/** C's `%g` of a percentage (6 significant digits, no trailing zeros). */
function pct(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function check(opts: PingOptions): void {
  const num = (v: number | undefined, flag: string, ok: (v: number) => boolean, want: string) => {
    if (v !== undefined && !(Number.isFinite(v) && ok(v))) throw new InputError('InvalidOption', flag, `${want}, got ${v}`);
  };
  num(opts.count, '-c', (v) => Number.isInteger(v) && v >= 1 && v <= 100000, 'a count 1..100000');
  num(opts.interval, '-i', (v) => v >= 0.002, 'an interval >= 0.002 seconds');
  num(opts.size, '-s', (v) => Number.isInteger(v) && v >= 0 && v <= 65507, 'a size 0..65507');
  num(opts.timeout, '-W', (v) => v >= 0, 'a timeout >= 0 seconds');
  num(opts.udpPort, '--udp', (v) => Number.isInteger(v) && v >= 1 && v <= 65535, 'a port 1..65535');
  if (opts.pmtudisc !== undefined && !['do', 'dont', 'want'].includes(opts.pmtudisc)) throw new InputError('InvalidOption', '-M', `do, dont or want, got ${JSON.stringify(opts.pmtudisc)}`);
}

/**
 * Runs ping from `opts.from` to `opts.to` on `net`, advancing its clock
 * from now until ping ends (and the monitor with it).
 */
export function ping(net: SimNetwork, opts: PingOptions): PingResult {
  check(opts);
  const src = net.ns(opts.from);
  const clock = net.clock;
  const start = clock.now();
  const count = opts.udpPort !== undefined ? 1 : (opts.count ?? 3);
  const intervalMs = (opts.interval ?? 1) * 1000;
  const size = opts.size ?? (opts.udpPort !== undefined ? 0 : 56);
  const pmtu = opts.pmtudisc ?? 'want';
  const lingerMs = (opts.timeout ?? 10) * 1000;
  const lines: PingLine[] = [];
  const notes: NeighNotification[] = [];
  const say = (text: string, source: PingLine['source'] = 'ping', ns?: string) => lines.push({ atMs: clock.now() - start, text, source, ...(ns ? { ns } : {}) });
  const stop = opts.monitor
    ? net.monitorNeigh((n) => {
        if (net.ns(n.ns).node !== n.ns) return; // pods are not monitored
        notes.push(n);
        lines.push({ atMs: n.atMs - start, text: monitorLine(n), source: 'monitor', ns: n.ns });
      })
    : () => undefined;
  const icmpId = net.pins?.icmpId ?? 0x4d2;
  const seqs: { seq: number; sentMs: number; outcome: PingSeq['outcome']; rttMs?: number; error?: string; trace?: Trace; later: Trace[] }[] = [];
  let received = 0;
  let errors = 0;
  let tmax = 0;
  const rtts: number[] = [];
  const proto = opts.udpPort !== undefined ? 'udp' : 'icmp';
  say(proto === 'icmp' ? `PING ${opts.to} (${opts.to}) ${size}(${size + IPV4_HLEN + ICMP_HLEN}) bytes of data.` : `UDP ${opts.from} > ${opts.to}:${opts.udpPort} ${size} bytes`);
  const prevRcv = src.icmpRcv;
  src.icmpRcv = (ip) => {
    const type = ip[IPV4_HLEN];
    const code = ip[IPV4_HLEN + 1];
    const dv = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
    const from = formatIPv4(dv.getUint32(12));
    if (type === ICMP_ECHOREPLY) {
      if (dv.getUint16(IPV4_HLEN + 4) !== icmpId) return;
      const s = seqs.find((x) => x.seq === dv.getUint16(IPV4_HLEN + 6));
      if (!s || s.outcome === 'reply') return;
      const rtt = clock.now() - start - s.sentMs;
      s.outcome = 'reply';
      s.rttMs = rtt;
      received++;
      rtts.push(rtt * 1000);
      tmax = Math.max(tmax, rtt);
      say(`${ip.length - IPV4_HLEN} bytes from ${from}: icmp_seq=${s.seq} ttl=${ip[8]} time=${rttText(rtt * 1000)} ms`);
      return;
    }
    if (type !== ICMP_DEST_UNREACH && type !== ICMP_TIME_EXCEEDED) return;
    // The quoted packet: our request (its ICMP id and sequence) or our datagram.
    const q = IPV4_HLEN + ICMP_HLEN;
    if (ip.length < q + IPV4_HLEN + 8) return;
    const qhl = (ip[q] & 15) * 4;
    const isOurs = proto === 'icmp' ? ip[q + 9] === 1 && dv.getUint16(q + qhl + 4) === icmpId : ip[q + 9] === 17;
    if (!isOurs) return;
    const seqNo = proto === 'icmp' ? dv.getUint16(q + qhl + 6) : 1;
    const s = seqs.find((x) => x.seq === seqNo);
    if (!s) return;
    const text = icmpText(type, code, dv.getUint16(IPV4_HLEN + 6));
    if (s.outcome === 'lost') {
      s.outcome = 'error';
      s.error = text;
    }
    errors++;
    say(proto === 'icmp' ? `From ${from} icmp_seq=${s.seq} ${text}` : `From ${from} ${text}`);
  };
  try {
    let lastSend = 0;
    let endAt = Infinity;
    // __schedule_exit runs when the last request has gone: what it knows then decides the wait.
    let receivedBefore = 0;
    let tmaxBefore = 0;
    const done = () => received + errors >= count;
    for (let i = 1; i <= count; i++) {
      const at = start + (i - 1) * intervalMs;
      if (at > clock.now()) clock.advance(at - clock.now());
      lastSend = clock.now() - start;
      receivedBefore = received;
      tmaxBefore = tmax;
      const dst = opts.to;
      parseDst(dst);
      const s: (typeof seqs)[number] = { seq: i, sentMs: lastSend, outcome: 'lost', later: [] };
      seqs.push(s);
      // The socket's IP_MTU_DISCOVER: the kernel sets DF (or, with want, fragments) against the path MTU, PMTU exceptions included.
      const r = net.send({ from: opts.from, to: dst, proto, size, pmtudisc: pmtu, seq: i, ...(proto === 'udp' ? { dport: opts.udpPort } : {}) }, { later: (l) => void s.later.push(l.trace, ...(l.reply ? [l.reply] : []), ...l.errors) });
      s.trace = r.trace;
      const local = r.trace.hops.length === 1 && r.trace.disposition === 'MTU_EXCEEDED' ? r.trace.hops[0].steps.find((x) => x.kind === 'mtu') : undefined;
      if (local) {
        // sendmsg's EMSGSIZE: ping reads the local error (IP_RECVERR) and counts it.
        const mtu = (local.data as { mtu?: number } | undefined)?.mtu ?? 0;
        s.outcome = 'error';
        s.error = `local error: message too long, mtu=${mtu}`;
        errors++;
        say(`ping: local error: message too long, mtu=${mtu}`, 'stderr');
      }
    }
    // Wait as ping does after the last request (__schedule_exit).
    const wait = receivedBefore ? Math.max(2 * tmaxBefore, intervalMs) : lingerMs;
    endAt = start + lastSend + wait;
    while (!done() && clock.now() < endAt) {
      clock.advance(Math.min(10, endAt - clock.now()));
    }
    const elapsed = lastSend;
    const transmitted = seqs.length;
    const end = clock.now() - start;
    lines.push({ atMs: end, text: '', source: 'ping' });
    lines.push({ atMs: end, text: `--- ${opts.to} ${proto === 'icmp' ? 'ping' : 'udp'} statistics ---`, source: 'ping' });
    const loss = transmitted ? ((transmitted - received) * 100) / transmitted : 0;
    lines.push({ atMs: end, text: `${transmitted} packets transmitted, ${received} received${errors ? `, +${errors} errors` : ''}, ${pct(loss)}% packet loss, time ${Math.round(elapsed)}ms`, source: 'ping' });
    if (received) {
      const n = rtts.length;
      const avg = Math.trunc(rtts.reduce((a, b) => a + b, 0) / n);
      const avg2 = Math.trunc(rtts.reduce((a, b) => a + b * b, 0) / n);
      const mdev = Math.trunc(Math.sqrt(Math.max(0, avg2 - avg * avg)));
      lines.push({ atMs: end, text: `rtt min/avg/max/mdev = ${ms3(Math.min(...rtts))}/${ms3(avg)}/${ms3(Math.max(...rtts))}/${ms3(mdev)} ms`, source: 'ping' });
    } else if (proto === 'icmp') {
      // finish() ends with putchar('\n') whether or not the rtt line came: an empty line without it (measured with iputils 20221126).
      lines.push({ atMs: end, text: '', source: 'ping' });
    }
    return {
      lines: stableByTime(lines),
      seqs: seqs.map((s) => ({ seq: s.seq, sentMs: s.sentMs, outcome: s.outcome, ...(s.rttMs !== undefined ? { rttMs: s.rttMs } : {}), ...(s.error ? { error: s.error } : {}), trace: s.trace!, later: s.later })),
      transmitted,
      received,
      errors,
      notifications: notes,
      endMs: end,
    };
  } finally {
    src.icmpRcv = prevRcv;
    stop();
  }
}

function parseDst(s: string): number {
  try {
    return parseIPv4(s);
  } catch {
    throw new InputError('InvalidAddress', s, 'an IPv4 address (the --to of ping)');
  }
}

/** Lines in time order, keeping the order they were made in at equal times. */
function stableByTime(lines: PingLine[]): PingLine[] {
  return lines.map((l, i) => ({ l, i })).sort((a, b) => a.l.atMs - b.l.atMs || a.i - b.i).map((x) => x.l);
}

/** The text `cnikit ping` prints: ping's lines, with `--monitor` each node's monitor lines prefixed by its name. */
export function pingText(r: PingResult): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (const l of r.lines) {
    if (l.source === 'stderr') stderr += `${l.text}\n`;
    else if (l.source === 'monitor') stdout += `${l.ns}: ${l.text}\n`;
    else stdout += `${l.text}\n`;
  }
  return { stdout, stderr };
}
