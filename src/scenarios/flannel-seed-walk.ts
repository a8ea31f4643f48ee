/**
 * The seed's packet walk (pod1 172.16.99.8 -> pod3 172.16.57.15 in the
 * seed's Flannel cluster, flannel-seed.ts), told in the seed's order with the
 * seed's printouts taken from the live state: a) the container's routes;
 * b) docker0 and the `172.16.0.0/16 dev flannel.1` route; c) flannel.1's
 * app_solicit, the L3 MISS, flanneld's lookup of the lease (key and JSON
 * value as the store holds them) and the neighbour entry it adds (`ip n`);
 * d) the FDB entry the kernel hits (`bridge fdb show dev flannel.1`) and
 * the encapsulated frame (layers and hex, as captured on master's eth0);
 * e) the minion's decapsulation, docker0 and the delivery. Each part also
 * lists the kernel's own steps for it (the trace). Without legacy mode the
 * same walk shows the entries flanneld >= v0.9 programmed per lease
 * instead of the miss.
 */
import type { Core } from '../core/core.js';
import type { Step as TraceStep, Trace } from '../core/trace.js';
import { Codec } from '../codec/wasm.js';
import { resolveDecap } from '../codec/params.js';
import type { DecodedFrame } from '../codec/frame.js';
import type { NeighNotification } from '../kernel/index.js';
import { DEFAULT_PREFIX } from '../flannel/lease.js';
import type { SeedCluster } from './flannel-seed.js';

/** What {@link seedWalk} returns: the text, and the walk for `--json`. */
export interface SeedWalk {
  text: string;
  /** The request's walk: the first part (QUEUED at the neighbour in legacy mode) and its continuation. */
  traces: Trace[];
  disposition: Trace['disposition'];
  /** `ip monitor neigh` lines of the nodes during the walk (`node: line`, without timestamps). */
  monitor: string[];
  /** The lease flanneld answered from (or programmed from): key and value. */
  lease: { key: string; value: string };
  /** The encapsulated frame on master's eth0, hex. */
  frameHex: string;
}

/** Walks pod1 -> pod3 (ICMP echo) on `s` and tells it. */
export async function seedWalk(core: Core, s: SeedCluster): Promise<SeedWalk> {
  const [master, minion] = s.nodes;
  const to = minion.pod.address;
  const notes: NeighNotification[] = [];
  const stop = s.net.monitorNeigh((n) => void (s.net.ns(n.ns).node === n.ns && notes.push(n)));
  s.net.clearCaptures();
  const traces: Trace[] = [];
  // Only the request's own continuation (the reply's are walks of their own).
  let continued: Trace | undefined;
  const first = s.net.send({ from: master.pod.name, to, proto: 'icmp' }, { later: (l) => void (continued ??= l.trace) });
  s.clock.advance(10);
  stop();
  traces.push(first.trace, ...(continued ? [continued] : []));
  const steps: { node: string; step: TraceStep }[] = traces.flatMap((t) => t.hops.flatMap((h) => h.steps.map((step) => ({ node: h.node, step }))));
  const leaseKey = `${DEFAULT_PREFIX}/subnets/${minion.subnet.replace('/', '-')}`;
  const lease = { key: leaseKey, value: s.store.get(leaseKey)?.value ?? '' };
  const frame = s.net.ns(master.name).iface('eth0').frames.find((f) => f.length > 50 && f[23] === 17);
  const codec = new Codec(core);
  const decoded = frame ? codec.decode(frame, resolveDecap({ mode: 'vxlan' })) : undefined;
  const monitor = notes.map((n) => `${n.ns}: ${n.text}`);

  const out: string[] = [];
  const say = (l = '') => out.push(l);
  const cmd = (where: string, c: string, text: string) => {
    say(`  ${where}# ${c}`);
    for (const l of text.split('\n').filter(Boolean)) say(`  ${l.trimEnd()}`);
  };
  const kernel = (pick: (x: { node: string; step: TraceStep }) => boolean) => {
    for (const x of steps.filter(pick)) say(`    ${x.node.padEnd(7)} ${x.step.kind.padEnd(11)} ${x.step.detail}${x.step.action ? `  [${x.step.action}]` : ''}`);
  };
  const grep = (text: string, w: string) => text.split('\n').filter((l) => l.includes(w)).join('\n');
  const vtep = minion.vtepMac;
  const ver = s.legacy ? 'flanneld v0.5-v0.6 (legacyMisses: L3 MISS answered from the store)' : 'flanneld >= v0.9 (no misses: route, neighbour and FDB entry per lease)';
  const disposition = traces[traces.length - 1].disposition;
  say(`pod1 ${master.pod.address} -> pod3 ${to} icmp, ${ver}: ${disposition}`);
  say();
  say('a) from the pod: the container routes, default via docker0');
  cmd('pod1', 'ip route', s.net.ipRoute(master.pod.name));
  kernel((x) => x.node === master.pod.name);
  say();
  say('b) docker0 to flannel.1 (master)');
  cmd('master', 'ip route', s.net.ipRoute(master.name).split('\n').filter((l) => l.includes('flannel.1') || l.includes('docker0')).join('\n'));
  let i = steps.findIndex((x) => x.node === master.name && x.step.kind === 'neighbour' && x.step.detail.includes('flannel.1'));
  kernel((x) => x.node === master.name && steps.indexOf(x) < i);
  say();
  say('c) flannel.1 and flanneld');
  cmd('master', 'cat /proc/sys/net/ipv4/neigh/flannel.1/app_solicit', `${s.net.ns(master.name).sysctls.get('net.ipv4.neigh.flannel/1.app_solicit') ?? '0'}\n`);
  const fdbAt = steps.findIndex((x) => x.node === master.name && x.step.kind === 'fdb' && x.step.detail.includes('flannel.1'));
  const atNeigh = steps.filter((x) => x.step.kind === 'neighbour' && x.step.detail.includes('flannel.1') && x.node === master.name);
  kernel((x) => x === atNeigh[0]);
  if (s.legacy) {
    for (const m of monitor.filter((l) => l.startsWith('master: miss'))) say(`  ip monitor neigh (master): ${m.slice('master: '.length)}   <- the L3 MISS`);
    say(`  flanneld handleL3Miss: the lease whose subnet holds ${to}, from the store:`);
  } else {
    say(`  no L3 MISS: flanneld programmed the neighbour ${minion.subnet.split('/')[0]} when the lease appeared, from the store:`);
  }
  cmd('master', `etcdctl get ${lease.key}`, `${lease.key}\n${lease.value}\n`);
  const neighIp = s.legacy ? to : minion.subnet.split('/')[0];
  say(`  the lease's VtepMAC is the minion's flannel.1:`);
  cmd('minion', 'ip -d link show flannel.1', flannelLink(s.net.ipLink(minion.name)));
  cmd('master', `ip n | grep ${neighIp}`, grep(s.net.ipNeigh(master.name), `${neighIp} dev flannel.1`));
  kernel((x) => atNeigh.indexOf(x) > 0);
  say();
  say('d) the kernel encapsulates');
  cmd('master', `bridge fdb show dev flannel.1 | grep ${vtep}`, grep(s.net.ns(master.name).iface('flannel.1').vxlan!.fdb.show({ withDev: false }), vtep));
  say(`  (installed by flanneld when the lease ${minion.subnet} appeared)`);
  if (s.legacy) say('  note: the L2 MISS the seed describes here is flanneld v0.2-v0.4.1 (l2miss, no FDB entry up front), where the frame that raises it is dropped; `cnikit ping --scenario flannel-l2miss` shows it');
  i = steps.findIndex((x, k) => k > fdbAt && x.node === minion.name);
  kernel((x) => x.node === master.name && steps.indexOf(x) >= fdbAt && steps.indexOf(x) < i);
  if (decoded?.ok) for (const l of frameLayers(decoded.frame)) say(`  ${l}`);
  const frameHex = frame ? hex(frame) : '';
  for (const l of frameHex.split('\n').filter(Boolean)) say(`  ${l}`);
  say();
  say('e) the minion decapsulates, docker0, delivery');
  kernel((x) => x.node === minion.name || x.node === minion.pod.name);
  say();
  say(`disposition: ${disposition}`);
  return { text: `${out.join('\n')}\n`, traces, disposition, monitor, lease, frameHex };
}

/** flannel.1's lines of `ip -d link show`. */
function flannelLink(text: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\d+: flannel\.1[:@]/.test(l));
  if (at < 0) return '';
  let end = at + 1;
  while (end < lines.length && /^\s/.test(lines[end])) end++;
  return lines.slice(at, end).join('\n');
}

/** The frame's headers, outermost first. */
function frameLayers(f: DecodedFrame): string[] {
  const fl = f.inner.flow;
  return [
    `Ethernet  ${f.outer.srcMac} > ${f.outer.dstMac} type IPv4`,
    `IPv4      ${f.outer.src} > ${f.outer.dst} ttl ${f.outer.ttl} proto UDP length ${f.outer.totalLength}${f.outer.df ? ' DF' : ''}`,
    `UDP       ${f.udp!.srcPort} > ${f.udp!.dstPort} length ${f.udp!.length}`,
    `VXLAN     flags 0x${f.vxlan!.flags.toString(16).padStart(2, '0')} VNI ${f.vxlan!.vni}`,
    `Ethernet  ${f.inner.srcMac} > ${f.inner.dstMac} type IPv4`,
    fl ? `IPv4      ${fl.src} > ${fl.dst} ttl ${fl.ttl}${fl.icmp ? ` ICMP type ${fl.icmp.type} code ${fl.icmp.code}${fl.echo ? ` (echo request id ${fl.echo.id} seq ${fl.echo.seq})` : ''}` : ` proto ${fl.protocol}`}` : `ethertype 0x${f.inner.ethertype.toString(16)}`,
  ];
}

/** `tcpdump -xx` style: offset, then 16 bytes in groups of two. */
export function hex(b: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < b.length; o += 16) {
    const words: string[] = [];
    for (let k = o; k < Math.min(o + 16, b.length); k += 2) words.push([...b.subarray(k, Math.min(k + 2, b.length))].map((x) => x.toString(16).padStart(2, '0')).join(''));
    lines.push(`0x${o.toString(16).padStart(4, '0')}:  ${words.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}
