/** Loads a real-kernel run recorded in test/fixtures/kernel-scenarios (see test/netns-run.kernel.test.ts). */
import { readFileSync } from 'node:fs';
import { fromFixture, type FixtureIndex } from '../../src/netns/fixture.js';
import type { ProbeFacts } from '../../src/netns/observe.js';

const dir = new URL('../fixtures/kernel-scenarios/', import.meta.url);

/** The facts of each probe of scenario `name`, as the kernel produced them. */
export function loadFacts(name: string): ProbeFacts[] {
  const index = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as FixtureIndex;
  return fromFixture(index, new Uint8Array(readFileSync(new URL(`${name}.pcap`, dir))));
}
