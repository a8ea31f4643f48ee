/**
 * A seeded random number source (mulberry32) in place of Go's `math/rand`,
 * which flanneld seeds with the time (`pkg/subnet/etcd/rand.go`): the
 * subnet manager's pick among free subnets is then the same on every run
 * of one cluster file.
 */

/** Returns a function giving uniform integers in [0, n). */
export function seededRandInt(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * n);
  };
}
