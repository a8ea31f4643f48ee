/**
 * tcpdump on a real namespace's device, for the lanes that compare the
 * model with the kernel: started and awaited until it listens, stopped with
 * SIGINT so it flushes its file. Needs root and tcpdump.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Starts `tcpdump -w FILE` on `ifname` in `netns` (nanosecond stamps, whole
 * frames); resolves once it listens. `promisc` false adds `-p`: a bridge
 * then shows only what it receives itself, not what it forwards between
 * its ports (default true, as tcpdump).
 */
export function startCapture(netns: string, ifname: string, file: string, promisc = true): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', netns, 'tcpdump', '-i', ifname, '-w', file, '-U', '--immediate-mode', '-n', '-s', '0', '--time-stamp-precision', 'nano', ...(promisc ? [] : ['-p'])], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    p.stderr!.on('data', (c: Buffer) => {
      err += String(c);
      if (err.includes('listening on')) resolve(p);
    });
    p.on('exit', () => reject(new Error(`tcpdump on ${netns} ${ifname} exited: ${err}`)));
  });
}

/** Stops the captures still running and waits until each has exited (and written its file). */
export async function stopCaptures(caps: ChildProcess[]): Promise<void> {
  const live = caps.filter((c) => c.exitCode === null && c.signalCode === null);
  const done = live.map((c) => new Promise((r) => c.once('exit', r)));
  for (const c of live) c.kill('SIGINT');
  await Promise.all(done);
}
