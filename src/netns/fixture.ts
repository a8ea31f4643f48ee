/**
 * Stores a real-kernel run's facts as a small fixture: one classic pcap
 * (nanosecond timestamps) holding every captured frame, probe by probe and
 * wire by wire, plus a JSON index saying how many frames of each probe
 * belong to which wire and what else was read (DROP counters, `ip route
 * get`, the sender's errors). `fromFixture` rebuilds the facts, so the
 * observer and the comparison can be replayed without root.
 */
import { readCapture, writePcap } from '../pcap/index.js';
import { InputError } from '../core/errors.js';
import type { ProbeFacts } from './observe.js';

/** The JSON half of a fixture. */
export interface FixtureIndex {
  scenario: string;
  probes: { denied: string[]; routeGet: Record<string, string>; senderError?: string; wires: [string, number][] }[];
}

/** Splits `facts` into a JSON index and a pcap. */
export function toFixture(scenario: string, facts: ProbeFacts[]): { index: FixtureIndex; pcap: Uint8Array } {
  const packets: { data: Uint8Array; tsSec: number; tsNsec: number }[] = [];
  const probes = facts.map((f) => {
    const wires: [string, number][] = [];
    for (const [k, fs] of Object.entries(f.frames)) {
      if (fs.length === 0) continue;
      wires.push([k, fs.length]);
      for (const x of fs) packets.push({ data: x.data, tsSec: Number(x.ts / 1_000_000_000n), tsNsec: Number(x.ts % 1_000_000_000n) });
    }
    return { denied: f.denied, routeGet: f.routeGet, ...(f.senderError ? { senderError: f.senderError } : {}), wires };
  });
  return { index: { scenario, probes }, pcap: writePcap(packets, { nanos: true }) };
}

/** Rebuilds the facts of a fixture. Throws `InputError` if the pcap and the index disagree. */
export function fromFixture(index: FixtureIndex, pcap: Uint8Array): ProbeFacts[] {
  const packets = readCapture(pcap, `${index.scenario}.pcap`).packets;
  let at = 0;
  const facts = index.probes.map((p) => {
    const frames: ProbeFacts['frames'] = {};
    for (const [k, n] of p.wires) {
      if (at + n > packets.length) throw new InputError('FixtureShort', `${index.scenario}.pcap`, `at least ${at + n} packets, got ${packets.length}`);
      frames[k] = packets.slice(at, at + n).map((x) => ({ ts: BigInt(x.tsSec) * 1_000_000_000n + BigInt(x.tsNsec), data: x.data }));
      at += n;
    }
    return { frames, denied: p.denied, routeGet: p.routeGet, senderError: p.senderError };
  });
  if (at !== packets.length) throw new InputError('FixtureLong', `${index.scenario}.pcap`, `${at} packets, got ${packets.length}`);
  return facts;
}
