/**
 * The public barrel (src/index.ts, the package's `cnikit` entry): what an
 * embedder uses, each name once, and none of the walker's internals.
 * Names are read with the TypeScript checker, so types count as well as
 * values; values are also checked at run time for one object exported
 * under two names.
 */
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import * as api from '../src/index.js';
import * as pcap from '../src/pcap/index.js';

const root = fileURLToPath(new URL('../', import.meta.url));

function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const sym = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker.getExportsOfModule(sym).map((s) => s.getName());
}

describe('the public barrel', () => {
  const names = exportedNames(`${root}src/index.ts`);

  it('exports the entry points an embedder starts from', () => {
    for (const n of ['createCore', 'RouteTable', 'ReferenceTable', 'Codec', 'referenceEncap', 'IptEngine', 'ReferenceIptEngine', 'MemoryStore', 'buildScenario', 'createNetwork', 'Netlink', 'SimNetwork', 'readCapture', 'writePcap', 'exportNetns', 'planFlannel', 'SCENARIOS']) {
      expect(names, n).toContain(n);
    }
  });

  it("exports none of the walker's internals", () => {
    // Why this test? These were once in the barrel; an embedder must not build on the walk's stages or helpers.
    for (const n of ['Walker', 'WalkEnv', 'TraceBuilder', 'arpResolve', 'arpSolicit', 'portName', 'Segment', 'writeEncapConfig', 'writeDecapConfig', 'icmpError', 'buildIpPacket', 'IptReference']) {
      expect(names, n).not.toContain(n);
    }
  });

  it('gives each value one name', () => {
    const byValue = new Map<unknown, string[]>();
    for (const [k, v] of Object.entries(api)) {
      if (typeof v !== 'function' && (typeof v !== 'object' || v === null)) continue;
      byValue.set(v, [...(byValue.get(v) ?? []), k]);
    }
    const twice = [...byValue.values()].filter((ks) => ks.length > 1);
    expect(twice).toEqual([]);
  });

  it('has the cluster file and the designs as their own export (they need the yaml package), not in the main entry', () => {
    // Why this test? The main entry loads in a browser without a bundler; a bare `yaml` import there breaks it.
    const names = exportedNames(`${root}src/cluster-api.ts`);
    for (const n of ['parseCluster', 'buildCluster', 'verifyCluster', 'OutageStore', 'flannelDesign', 'parseNetConf', 'SubnetManager', 'Flanneld']) expect(names, n).toContain(n);
    expect(exportedNames(`${root}src/index.ts`)).not.toContain('parseCluster');
  });

  it('has pcap as its own export, the same functions as the main entry', () => {
    expect(exportedNames(`${root}src/pcap/index.ts`).sort()).toEqual(expect.arrayContaining(['readCapture', 'CaptureStream', 'writePcap']));
    expect(api.readCapture).toBe(pcap.readCapture);
    expect(exportedNames(`${root}src/codec/index.ts`)).not.toContain('readCapture');
  });
});
