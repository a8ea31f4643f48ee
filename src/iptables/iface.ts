/**
 * Interface names as numbers. Every `-i`/`-o` pattern is an exact name or a
 * prefix (`cali+`); in sorted string order the names a pattern accepts form
 * one interval. Cutting the name space at every pattern's edges gives
 * elementary intervals; a name's number is the interval it falls in, and a
 * pattern becomes a range of numbers. Names of host interfaces (and `lo`)
 * get an interval of their own so that they stay distinguishable.
 */

/** Maps names to interval numbers for one compiled program. */
export class IfaceIndex {
  private readonly bounds: string[];
  private readonly cache = new Map<string, number>();

  /** `exact` names and `prefixes` (without the `+`) used by rules, plus names that must stay distinct. */
  constructor(exact: Iterable<string>, prefixes: Iterable<string>) {
    const b = new Set<string>();
    for (const e of exact) {
      b.add(e);
      b.add(e + '\u0000');
    }
    for (const p of prefixes) {
      if (p === '') continue;
      b.add(p);
      b.add(succ(p));
    }
    this.bounds = [...b].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }

  /** Largest number a name can get. */
  get max(): number {
    return this.bounds.length;
  }

  /** The number of a name: how many edges are <= it. */
  of(name: string): number {
    let v = this.cache.get(name);
    if (v !== undefined) return v;
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.bounds[mid] <= name) lo = mid + 1;
      else hi = mid;
    }
    v = lo;
    if (this.cache.size < 1 << 16) this.cache.set(name, v);
    return v;
  }

  /** The range of numbers a pattern accepts. */
  range(name: string, wildcard: boolean): [number, number] {
    if (!wildcard) {
      const v = this.of(name);
      return [v, v];
    }
    if (name === '') return [0, this.max];
    return [this.of(name), this.of(succ(name)) - 1];
  }
}

/** The first string after every string starting with `p`. */
function succ(p: string): string {
  return p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);
}
