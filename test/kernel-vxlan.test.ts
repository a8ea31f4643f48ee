import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Codec } from '../src/codec/index.js';
import { LOCAL_PORT_MIN, LOCAL_PORT_MAX } from '../assembly/shared/codec.js';
import { compareKernelCapture, flowKey, type KernelComparison } from './support/kernel-compare.js';
import { kernelLane, sayskip, sh } from './support/netns.js';

let codec: Codec;
beforeAll(async () => {
  codec = await Codec.create();
});

/** Checks shared by the committed capture and a fresh one. */
function checkCapture(c: KernelComparison, label: string) {
  console.log(`${label}: ${c.frames} frames compared, ${c.mismatches.length} mismatches`);
  expect(c.mismatches).toEqual([]);
  expect(c.frames).toBeGreaterThanOrEqual(10);
  // Linux net.ipv4.ip_local_port_range default, the VXLAN source-port range when none is set.
  const [min, max] = [LOCAL_PORT_MIN, LOCAL_PORT_MAX];
  const byFlow = new Map<string, Set<number>>();
  for (const f of c.decoded) {
    // Linux's default range is the local port range, max exclusive.
    expect(f.udp!.srcPort).toBeGreaterThanOrEqual(min);
    expect(f.udp!.srcPort).toBeLessThan(max);
    const k = flowKey(f);
    byFlow.set(k, (byFlow.get(k) ?? new Set()).add(f.udp!.srcPort));
  }
  // One source port per flow, the same in both directions: the kernel's hash
  // is direction-independent like cnikit's (flow_keys are "consistentified").
  for (const [k, ports] of byFlow) expect([k, ports.size]).toEqual([k, 1]);
  const protos = new Set(c.decoded.map((f) => f.inner.flow!.protocol));
  expect([...protos].sort()).toEqual([1, 17]);
}

describe('the real Linux kernel: Flannel-style VXLAN capture', () => {
  it('committed capture (test/fixtures/flannel-vxlan-kernel.pcap): every frame decodes and re-encodes to the same bytes', () => {
    const c = compareKernelCapture(codec, new Uint8Array(readFileSync(new URL('./fixtures/flannel-vxlan-kernel.pcap', import.meta.url))));
    checkCapture(c, 'committed kernel capture');
  });

  it('the comparison is sensitive: other defaults (no UDP checksum, DF, TTL 63) give mismatches on every frame', () => {
    const bytes = new Uint8Array(readFileSync(new URL('./fixtures/flannel-vxlan-kernel.pcap', import.meta.url)));
    for (const o of [{ udpChecksum: false }, { df: 'set' as const }, { ttl: 63 }]) {
      const c = compareKernelCapture(codec, bytes, o);
      expect(c.mismatches.length).toBe(c.frames);
    }
  });

  const lane = kernelLane(['ip', 'tcpdump', 'ethtool', 'bridge']);
  if (!lane.ok) sayskip('kernel VXLAN capture', lane.reason);
  describe.skipIf(!lane.ok)('fresh capture (scripts/kernel/vxlan-capture.sh)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnk-codec-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it('two namespaced nodes with flannel.1: decode, re-encode, compare byte for byte', () => {
      const file = join(dir, 'vxlan.pcap');
      sh(`scripts/kernel/vxlan-capture.sh ${file}`);
      const c = compareKernelCapture(codec, new Uint8Array(readFileSync(file)));
      checkCapture(c, 'fresh kernel capture');
    });
  });
});
