/**
 * This process's peak resident set size, in bytes.
 *
 * Why not `process.resourceUsage().maxRSS`: Linux carries the high-water
 * mark across execve (the forked copy of the parent counts, see
 * `setmax_mm_hiwater_rss` in fs/exec.c), so a child spawned by a bench
 * that already holds 500 MiB reports at least 500 MiB whatever it does.
 * `VmHWM` in /proc/self/status is the high-water mark of the process's own
 * address space, which execve starts afresh. Elsewhere, maxRSS.
 */
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}
