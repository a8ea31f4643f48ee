// `cnikit ping --scenario mtu-* [--df MODE]`: ping's own messages over the MTU scenarios
// (the kernel side is checked in test/kernel-mtu.test.ts and, live, test/netns-mtu.kernel.test.ts).
import { describe, expect, it } from 'vitest';
import { cli } from './support/io.js';


const ab = ['--from', 'a', '--to', '10.244.2.2'];

describe('cnikit ping on the MTU scenarios', () => {
  it('mtu-underlay-smaller --df set -M do -s 1422 -c 3: silence (the black hole), as the kernel', async () => {
    const r = await cli(['ping', '--scenario', 'mtu-underlay-smaller', '--df', 'set', ...ab, '-M', 'do', '-s', '1422', '-c', '3']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('PING 10.244.2.2 (10.244.2.2) 1422(1450) bytes of data.\n\n--- 10.244.2.2 ping statistics ---\n3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n\n');
  });

  it('mtu-underlay-smaller (df unset): delivered through outer fragments', async () => {
    const r = await cli(['ping', '--scenario', 'mtu-underlay-smaller', ...ab, '-M', 'do', '-s', '1422', '-c', '2', '-i', '0.2']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('2 packets transmitted, 2 received, 0% packet loss');
  });

  it('mtu-pod-too-big: Frag needed and DF set (mtu = 1450) from cni0, then local errors', async () => {
    const r = await cli(['ping', '--scenario', 'mtu-pod-too-big', ...ab, '-M', 'do', '-s', '1472', '-c', '3', '-i', '0.2']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('From 10.244.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1450)\n');
    expect(r.stderr).toBe('ping: local error: message too long, mtu=1450\n'.repeat(2));
    expect(r.stdout).toContain('3 packets transmitted, 0 received, +3 errors, 100% packet loss');
  });

  it('mtu-consistent -s 1423 -M do: local error in the pod, mtu=1450', async () => {
    const r = await cli(['ping', '--scenario', 'mtu-consistent', ...ab, '-M', 'do', '-s', '1423', '-c', '1']);
    expect(r.stderr).toBe('ping: local error: message too long, mtu=1450\n');
  });

  it('--df names its values and only goes with an MTU scenario; --from is a/b/node1/node2 there', async () => {
    expect((await cli(['ping', '--scenario', 'mtu-underlay-smaller', '--df', 'maybe', ...ab])).stderr).toMatch(/--df: unset, set or inherit/);
    expect((await cli(['ping', '--scenario', 'flannel-seed', '--df', 'set', '--from', 'pod1', '--to', '172.16.57.15'])).stderr).toMatch(/--df/);
    expect((await cli(['ping', '--scenario', 'mtu-consistent', '--from', 'pod1', '--to', '10.244.2.2'])).stderr).toMatch(/UnknownPod/);
  });
});
