/**
 * Typed reads of the cluster file's values, each failing with an
 * `InputError` at the value's line that says what was expected there.
 */
import { formatIPv4, parseIPv4 } from '../net/ip.js';
import { prefix4, type Prefix4 } from '../topology/index.js';
import type { Path, Source } from './source.js';

/** A mapping with only `allowed` keys (an unknown key is named with the list of known ones). */
export function mapping(src: Source, p: Path, v: unknown, what: string, allowed: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw src.error('BadCluster', p, show(v), `${what}: a mapping`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw src.error('UnknownKey', [...p, k], k, `a key of ${what} (${allowed.join(', ')})`);
  }
  return o;
}

export function list(src: Source, p: Path, v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw src.error('BadCluster', p, show(v), `${what}: a list`);
  return v;
}

export function str(src: Source, p: Path, v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw src.error('BadCluster', p, show(v), `${what}: a non-empty string`);
  return v;
}

export function int(src: Source, p: Path, v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw src.error('BadCluster', p, show(v), `${what}: an integer ${min}..${max}`);
  return v;
}

export function bool(src: Source, p: Path, v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw src.error('BadCluster', p, show(v), `${what}: true or false`);
  return v;
}

export function ipv4(src: Source, p: Path, v: unknown, what: string): number {
  try {
    if (typeof v !== 'string') throw new Error();
    return parseIPv4(v);
  } catch {
    throw src.error('BadAddress', p, show(v), `${what}: an IPv4 address such as 10.0.1.10`);
  }
}

export function cidr(src: Source, p: Path, v: unknown, what: string): Prefix4 {
  try {
    if (typeof v !== 'string') throw new Error();
    return prefix4(v);
  } catch {
    throw src.error('BadPrefix', p, show(v), `${what}: an IPv4 prefix with its host bits clear, such as 10.0.1.0/24`);
  }
}

/** Labels: a mapping of strings (numbers and booleans are turned into text, as kubectl would refuse them unquoted). */
export function labels(src: Source, p: Path, v: unknown, what: string): Record<string, string> {
  if (v === undefined) return {};
  const o = mapping(src, p, v, what, Object.keys((v ?? {}) as object));
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) out[k] = str(src, [...p, k], typeof x === 'string' ? x : show(x), `label ${k}`);
  return out;
}

export const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? String(v));
export const dotted = formatIPv4;
