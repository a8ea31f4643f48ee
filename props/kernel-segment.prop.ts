// The fabric segment's indexes (segment.ts) against the linear search they
// replace: whatever addresses, MACs, devices and links change, the owner of
// an address and the station of a MAC are what asking every member says.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCore, type Core } from '../src/core/core.js';
import { createNetwork, Netlink, type SimNetwork } from '../src/kernel/index.js';

const HOSTS = 4;
const ADDRS = ['10.0.0.5', '10.0.0.6', '10.0.0.7', '192.168.1.1', '192.168.1.2'];
const MACS = ['02:00:00:00:00:a1', '02:00:00:00:00:a2', '02:00:00:00:00:a3'];

interface Real {
  net: SimNetwork;
  nl: Netlink;
}

type Cmd = fc.Command<object, Real>;
const cmd = (name: string, run: (r: Real) => void): Cmd => ({
  check: () => true,
  run: (_, r) => {
    run(r);
    agree(r);
  },
  toString: () => name,
});
const host = fc.nat(HOSTS - 1).map((i) => `h${i}`);
const dev = fc.constantFrom('eth0', 'eth1', 'd0');

/** Runs a door call; a refusal (a device that is gone, an address already there) is fine here. */
function attempt(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof Error) || !('code' in e)) throw e;
  }
}

const commands: fc.Arbitrary<Cmd>[] = [
  fc.tuple(host, dev, fc.constantFrom(...ADDRS), fc.constantFrom(24, 32)).map(([h, d, a, l]) => cmd(`ip -n ${h} addr add ${a}/${l} dev ${d}`, (r) => attempt(() => r.nl.addrAdd(h, d, `${a}/${l}`)))),
  fc.tuple(host, dev, fc.constantFrom(...ADDRS), fc.constantFrom(24, 32)).map(([h, d, a, l]) => cmd(`ip -n ${h} addr del ${a}/${l} dev ${d}`, (r) => attempt(() => r.nl.addrDel(h, d, `${a}/${l}`)))),
  fc.tuple(host, fc.constantFrom('eth0', 'eth1'), fc.constantFrom(...MACS)).map(([h, d, m]) => cmd(`ip -n ${h} link set ${d} address ${m}`, (r) => attempt(() => r.nl.linkSet(h, d, { address: m })))),
  fc.tuple(host, fc.constantFrom('eth0', 'eth1'), fc.boolean()).map(([h, d, up]) => cmd(`ip -n ${h} link set ${d} ${up ? 'up' : 'down'}`, (r) => attempt(() => r.nl.linkSet(h, d, { up })))),
  fc.tuple(host, fc.constantFrom('eth0', 'eth1')).map(([h, d]) => cmd(`ip -n ${h} link del ${d}`, (r) => attempt(() => r.nl.linkDel(h, d)))),
  fc.tuple(host, fc.constantFrom('eth0', 'eth1'), host).map(([h, d, to]) => cmd(`ip -n ${h} link set ${d} netns ${to}`, (r) => attempt(() => r.nl.linkSet(h, d, { netns: to })))),
  fc.tuple(host, fc.constantFrom('eth0', 'eth1'), fc.constantFrom(...MACS)).map(([h, d, m]) =>
    cmd(`ip -n ${h} link add ${d} (plugged in) address ${m}`, (r) => attempt(() => r.nl.linkAdd(h, { kind: 'phys', name: d, segment: 'lan', mac: m }))),
  ),
];

/** The indexes give what asking every member gives, for every address and MAC in play. */
function agree(r: Real): void {
  const seg = r.net.segments.get('lan')!;
  for (const a of [...ADDRS, '127.0.0.1']) {
    const n = a.split('.').reduce((x, y) => x * 256 + Number(y), 0);
    expect(seg.ownerOf(n)).toBe(linearOwner(r, n));
    const first = seg.members[0];
    if (first) expect(seg.ownerOf(n, first)).toBe(linearOwner(r, n, first));
  }
  for (const m of [...MACS, '02:00:00:00:00:01']) expect(seg.stationByMac(m)).toBe(seg.members.find((x) => x.up && x.mac === m));
}

/** What asking every member gives. */
function linearOwner(r: Real, a: number, except?: unknown) {
  if (a >>> 24 === 127) return undefined;
  return r.net.segments.get('lan')!.members.find((m) => m !== except && m.up && m.ns.fib.isLocal(a));
}

describe('segment indexes (fc.commands against a linear search)', () => {
  let core: Core;
  beforeAll(async () => {
    core = await createCore();
  });

  // Why this test? ARP and the switch no longer ask every station: the
  // owner of an address and the station of a MAC come from indexes kept up
  // to date by FIB watchers and MAC checks. They must always agree with
  // the definition (the first up member that owns it, in attach order).
  it('ownerOf and stationByMac agree with asking every member', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40, size: '+1' }), (cmds) => {
        const net = createNetwork(core);
        const nl = Netlink.of(net);
        nl.segmentAdd('lan');
        for (let i = 0; i < HOSTS; i++) {
          nl.netnsAdd(`h${i}`);
          nl.linkAdd(`h${i}`, { kind: 'phys', name: 'eth0', segment: 'lan', mac: `02:00:00:00:00:0${i}` });
          nl.linkAdd(`h${i}`, { kind: 'dummy', name: 'd0' });
        }
        const real = { net, nl };
        try {
          fc.modelRun(() => ({ model: {}, real }), cmds);
        } finally {
          net.dispose();
        }
      }),
    );
  });
});
