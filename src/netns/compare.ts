/**
 * Compares the real kernel's answers (`observe`, from `runScenario`) with
 * the model's (`walk(probe)` + `capture(ns, if)`), as plain data: same
 * disposition, same path, and on every wire the same frames, byte for byte
 * apart from the fields Linux randomises, which are zeroed on both sides
 * first (`maskRandomised`):
 * - IPv4 identification and header checksum (hashed per-destination
 *   counters; the checksum covers the ID);
 * - ICMP echo identifier, sequence, checksum, and the first 16 bytes of
 *   data (ping's `struct timeval` send time);
 * - VXLAN outer UDP source port (flow hash with a per-boot random key) and
 *   UDP checksum; the inner frame is masked likewise;
 * - inside ICMP errors, the quoted packet is masked likewise, and the ICMP
 *   checksum (it covers the quoted ID).
 */
import type { Disposition, Trace } from '../core/trace.js';
import {
  ETH_HLEN, ETH_P_ARP, ETH_P_IP, ICMP_DEST_UNREACH, ICMP_ECHO, ICMP_ECHOREPLY, ICMP_HLEN, ICMP_PARAMETERPROB, ICMP_TIME_EXCEEDED, IPPROTO_ICMP, IPPROTO_UDP, IPV4_HLEN, UDP_HLEN, VXLAN_HLEN, VXLAN_PORT_IANA, VXLAN_PORT_LINUX,
} from '../../assembly/shared/codec.js';

/** One probe's result on one side. Frames are keyed by wire `<ns>/<ifname>`. */
export interface ProbeOutcome {
  probe: string;
  disposition: Disposition;
  path: readonly string[];
  frames: Readonly<Record<string, readonly Uint8Array[]>>;
}

/** One difference between the kernel and the model. */
export interface Mismatch {
  probe: string;
  kind: 'missing' | 'disposition' | 'path' | 'frame-count' | 'frame';
  wire?: string;
  index?: number;
  /** First differing byte offset (after masking), for `frame`. */
  offset?: number;
  detail: string;
}

/** Options of {@link compareWithModel}. */
export interface CompareOptions {
  /** Skip ARP frames on both sides (for a model that does not emit ARP). Default false. */
  ignoreArp?: boolean;
}

function zero(b: Uint8Array, from: number, n: number): void {
  for (let i = from; i < from + n && i < b.length; i++) b[i] = 0;
}

function maskIp(b: Uint8Array, off: number, depth: number): void {
  if (off + IPV4_HLEN > b.length || b[off] >> 4 !== 4 || depth > 3) return;
  const ihl = (b[off] & 15) * 4;
  const proto = b[off + 9];
  const first = (((b[off + 6] & 0x1f) << 8) | b[off + 7]) === 0;
  zero(b, off + 4, 2);
  zero(b, off + 10, 2);
  const l4 = off + ihl;
  if (!first || l4 + ICMP_HLEN > b.length) return;
  if (proto === IPPROTO_ICMP) {
    const type = b[l4];
    if (type === ICMP_ECHOREPLY || type === ICMP_ECHO) {
      zero(b, l4 + 2, 6);
      zero(b, l4 + ICMP_HLEN, 16);
    } else if (type === ICMP_DEST_UNREACH || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB) {
      zero(b, l4 + 2, 2);
      maskIp(b, l4 + ICMP_HLEN, depth + 1);
    }
  } else if (proto === IPPROTO_UDP) {
    const dport = (b[l4 + 2] << 8) | b[l4 + 3];
    if (dport === VXLAN_PORT_LINUX || dport === VXLAN_PORT_IANA) {
      zero(b, l4, 2);
      zero(b, l4 + 6, 2);
      maskEth(b, l4 + UDP_HLEN + VXLAN_HLEN, depth + 1);
    }
  }
}

const ethertype = (b: Uint8Array, off: number) => (b[off + 12] << 8) | b[off + 13];

function maskEth(b: Uint8Array, off: number, depth: number): void {
  if (off + ETH_HLEN <= b.length && ethertype(b, off) === ETH_P_IP) maskIp(b, off + ETH_HLEN, depth);
}

/** A copy of Ethernet frame `f` with the randomised fields zeroed (see the module comment). */
export function maskRandomised(f: Uint8Array): Uint8Array {
  const b = f.slice();
  maskEth(b, 0, 0);
  return b;
}

const isArp = (f: Uint8Array) => f.length >= ETH_HLEN && ethertype(f, 0) === ETH_P_ARP;

/** Every difference between `observed` (real kernel) and `model`, matched by probe name. Empty when they agree. */
export function compareWithModel(observed: readonly ProbeOutcome[], model: readonly ProbeOutcome[], opts: CompareOptions = {}): Mismatch[] {
  const out: Mismatch[] = [];
  const byName = new Map(model.map((m) => [m.probe, m]));
  for (const o of observed) {
    const m = byName.get(o.probe);
    if (!m) {
      out.push({ probe: o.probe, kind: 'missing', detail: 'the model has no result for this probe' });
      continue;
    }
    if (o.disposition !== m.disposition) out.push({ probe: o.probe, kind: 'disposition', detail: `kernel ${o.disposition}, model ${m.disposition}` });
    if (o.path.join('>') !== m.path.join('>')) out.push({ probe: o.probe, kind: 'path', detail: `kernel ${o.path.join('>')}, model ${m.path.join('>')}` });
    out.push(...compareFrames(o.probe, o.frames, m.frames, opts));
  }
  for (const m of model) if (!observed.some((o) => o.probe === m.probe)) out.push({ probe: m.probe, kind: 'missing', detail: 'the kernel has no result for this probe' });
  return out;
}

/**
 * The frame differences of one probe between the kernel's frames and the
 * model's, wire by wire (every wire either side has): counts, then each
 * frame byte for byte once masked ({@link maskRandomised}).
 */
export function compareFrames(probe: string, kernel: Readonly<Record<string, readonly Uint8Array[]>>, model: Readonly<Record<string, readonly Uint8Array[]>>, opts: CompareOptions = {}): Mismatch[] {
  const out: Mismatch[] = [];
  const wires = [...new Set([...Object.keys(kernel), ...Object.keys(model)])].sort();
  for (const w of wires) {
    const keep = (fs: readonly Uint8Array[] | undefined) => (fs ?? []).filter((f) => !(opts.ignoreArp && isArp(f)));
    const a = keep(kernel[w]);
    const b = keep(model[w]);
    if (a.length !== b.length) out.push({ probe, kind: 'frame-count', wire: w, detail: `kernel ${a.length} frames, model ${b.length}` });
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = maskRandomised(a[i]);
      const y = maskRandomised(b[i]);
      let at = x.findIndex((v, k) => v !== y[k]);
      if (at < 0 && x.length !== y.length) at = Math.min(x.length, y.length);
      if (at >= 0) out.push({ probe, kind: 'frame', wire: w, index: i, offset: at, detail: `frame ${i} (${x.length} vs ${y.length} bytes) differs at byte ${at}` });
    }
  }
  return out;
}

/**
 * The model's side of one probe in the shape {@link compareWithModel} takes:
 * disposition and path (hop names) from a trace, and the frames `capture`
 * returns for each wire key `<ns>/<ifname>` in `wires` (usually the keys of
 * the kernel observation's frames). A wire the model does not have
 * (`capture` throws, e.g. a switch port) counts as no frames.
 */
export function outcomeFromTrace(probe: string, trace: Trace, capture: (ns: string, dev: string) => readonly Uint8Array[], wires: readonly string[]): ProbeOutcome {
  const frames: Record<string, readonly Uint8Array[]> = {};
  for (const w of wires) {
    const cut = w.indexOf('/');
    try {
      frames[w] = capture(w.slice(0, cut), w.slice(cut + 1));
    } catch {
      frames[w] = [];
    }
  }
  return { probe, disposition: trace.disposition, path: trace.hops.map((h) => h.node), frames };
}
