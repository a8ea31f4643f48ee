/**
 * Gate for tests that need root and network namespaces (real-kernel
 * comparisons). They run when root can create a namespace AND either CI=true
 * or CNIKIT_NETNS=1; otherwise they are skipped and the reason is printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** Whether kernel tests can run here, and why not. */
export function kernelLane(tools: string[] = ['ip']): { ok: boolean; reason: string } {
  if (!process.env.CI && process.env.CNIKIT_NETNS !== '1') return { ok: false, reason: 'not in CI (set CNIKIT_NETNS=1 as root to run the real-kernel tests here)' };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return { ok: false, reason: 'needs root for network namespaces' };
  for (const t of tools) {
    const r = spawnSync('sh', ['-c', `command -v ${t}`]);
    if (r.status !== 0) return { ok: false, reason: `needs ${t} (installed by .ci/run)` };
  }
  const name = `cnikit-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name]);
  if (add.status !== 0) return { ok: false, reason: `cannot create a network namespace: ${String(add.stderr).trim()}` };
  spawnSync('ip', ['netns', 'del', name]);
  return { ok: true, reason: '' };
}

/** Prints why a kernel test is skipped (once per reason). */
const told = new Set<string>();
export function sayskip(what: string, reason: string): void {
  const line = `SKIP ${what}: ${reason}`;
  if (!told.has(line)) {
    told.add(line);
    console.log(line);
  }
}

/** Runs a shell script as root; throws with its output on failure. */
export function sh(script: string, opts: { input?: string } = {}): string {
  return execFileSync('bash', ['-euo', 'pipefail', '-c', script], { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
}
