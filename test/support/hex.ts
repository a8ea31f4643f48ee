/** Reads a hex fixture: whitespace-separated bytes, `#` comments. */
import { readFileSync } from 'node:fs';

export function hexFixture(name: string): Uint8Array {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  const bytes = text
    .split('\n')
    .map((l) => l.replace(/#.*/, ''))
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((h) => {
      if (!/^[0-9a-f]{2}$/i.test(h)) throw new Error(`bad hex byte ${h} in ${name}`);
      return parseInt(h, 16);
    });
  return Uint8Array.from(bytes);
}
