import { describe, expect, it } from 'vitest';
import { cli } from './support/io.js';

describe('cnikit CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: cnikit');
  });
  it('exits 2 on an unknown command', async () => {
    const r = await cli(['no-such-command']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command');
  });
});
