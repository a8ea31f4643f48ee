/**
 * `cnikit vxlan decode|encap` and `cnikit ipip decode|encap`: the codec on
 * pcap files.
 *
 *   cnikit vxlan decode FILE.pcap [--port 8472,4789] [--vni 1,4096] [--json]
 *   cnikit vxlan encap --in INNER.pcap --out OUTER.pcap --vni N --local IP --remote IP
 *                      --src-mac MAC --dst-mac MAC [--port 8472] [--srcport MIN:MAX]
 *   cnikit ipip encap  --in INNER.pcap --out OUTER.pcap --local IP --remote IP --src-mac MAC --dst-mac MAC
 *
 * Exit status: 0 all frames fine, 1 some frame failed (each is reported
 * with its index and typed error; the others still go through), 2 bad
 * usage or an unreadable file.
 */
import type { Command } from 'commander';
import { OutputFile, inputName, openInput, write, type Io } from './io.js';
import { InputError } from '../core/errors.js';
import { Codec, innerFrameProblem, resolveEncap, resolveDecap, describeCodecStatus, CODEC_STATUS_NAMES, arpOpName, type DecodedFrame, type EncapMode, type DecapOptions, type ResolvedDecap, type ResolvedEncap } from '../codec/index.js';
import { LOCAL_PORT_MAX, LOCAL_PORT_MIN } from '../../assembly/shared/codec.js';
import { parseIPv4, parseMac } from '../net/ip.js';
import { flagError, forFlag, markRequiredInHelp } from './flags.js';
import { CaptureStream, pcapFileHeader, pcapRecords, LINKTYPE_ETHERNET, type CapturedPacket } from '../pcap/index.js';

/** Frames decoded or encapsulated per WASM batch call. */
const BATCH = 1024;

function intList(flag: string, s: string): number[] {
  return s.split(',').map((x, i) => {
    if (!/^\d+$/.test(x.trim())) throw new InputError('InvalidOption', s, `${flag}: comma-separated integers (item ${i + 1} is "${x}")`);
    return Number(x);
  });
}

function portRange(s: string): [number, number] {
  const m = /^(\d+):(\d+)$/.exec(s);
  if (!m) throw new InputError('InvalidPortRange', s, '--srcport MIN:MAX');
  return [Number(m[1]), Number(m[2])];
}

/**
 * Opens capture `file` (`-`: standard input) as a stream: records are
 * decoded as they arrive, so a capture of any size takes memory for one
 * batch of frames.
 */
async function openCapture(io: Io, flag: string, file: string): Promise<CaptureStream> {
  return new CaptureStream(await openInput(io, flag, file), inputName(file));
}

/** The packets of the capture, `BATCH` at a time; frames that are not Ethernet are an error. */
async function* frames(cap: CaptureStream, file: string): AsyncGenerator<CapturedPacket[]> {
  let pending: CapturedPacket[] = [];
  for await (const batch of cap.batches()) {
    for (const p of batch) if (p.linkType !== LINKTYPE_ETHERNET) throw new InputError('PcapLinkType', inputName(file), `link type 1 (Ethernet), got ${p.linkType}`);
    pending = pending.length ? pending.concat(batch) : batch;
    if (pending.length >= BATCH) {
      yield pending;
      pending = [];
    }
  }
  if (pending.length) yield pending;
}

/** Reports a capture cut short once, as tcpdump does; the command then exits 1. */
function reportTruncated(cap: CaptureStream, io: Io, state: { status: number }): void {
  if (!cap.truncated) return;
  io.stderr.write(`cnikit: truncated dump file: ${cap.truncated.message}\n`);
  state.status = 1;
}

/** One line per frame: outer MACs, IPs, TTL, UDP ports, VNI, inner MACs, inner 5-tuple or ARP. */
export function formatFrame(i: number, f: DecodedFrame): string {
  const o = f.outer;
  const parts = [`#${i}`, `${o.srcMac} > ${o.dstMac}`, `${o.src} > ${o.dst} ttl ${o.ttl} id ${o.id}${o.df ? ' DF' : ''}`];
  if (f.udp) parts.push(`udp ${f.udp.srcPort} > ${f.udp.dstPort}`);
  if (f.vxlan) parts.push(`vni ${f.vxlan.vni}`);
  parts.push('|');
  if (f.inner.srcMac) parts.push(`${f.inner.srcMac} > ${f.inner.dstMac}${f.inner.vlan !== undefined ? ` vlan ${f.inner.vlan & 0xfff}` : ''}`);
  const fl = f.inner.flow;
  const arp = f.inner.arp;
  if (arp) parts.push(`arp ${arpOpName(arp.op)} sender ${arp.senderMac} ${arp.senderIp} target ${arp.targetMac} ${arp.targetIp}`);
  else if (!fl) parts.push(`ethertype 0x${f.inner.ethertype.toString(16).padStart(4, '0')}`);
  else if (fl.icmp) parts.push(`icmp ${fl.src} > ${fl.dst} type ${fl.icmp.type} code ${fl.icmp.code}`);
  else if (fl.protocol === 6 || fl.protocol === 17) parts.push(`${fl.protocol === 6 ? 'tcp' : 'udp'} ${fl.src}:${fl.srcPort} > ${fl.dst}:${fl.dstPort}`);
  else parts.push(`proto ${fl.protocol} ${fl.src} > ${fl.dst}`);
  return parts.join(' ');
}

/** The decode flag each resolveDecap error code is about. */
const DECAP_FLAG: Record<string, string> = { InvalidPort: '--port', InvalidVni: '--vni', TooManyVnis: '--vni' };

function registerDecode(cmd: Command, mode: EncapMode, io: Io, state: { status: number }): void {
  const c = cmd
    .command('decode')
    .description(`decode every ${mode} frame of a pcap/pcapng file (outer and inner headers); bad frames are reported and skipped`)
    .argument('<file>', 'capture file (pcap or pcapng, Ethernet; "-" = stdin)')
    .option('--json', 'one JSON object per line');
  if (mode !== 'ipip') c.option('--port <ports>', 'accepted UDP destination ports', mode === 'vxlan' ? '8472,4789' : '8285');
  if (mode === 'vxlan') c.option('--vni <vnis>', 'configured VNIs (default: any)').option('--ignore-reserved', 'ignore reserved VXLAN bits (RFC 7348) instead of dropping (Linux)');
  c.option('--no-ip-checksum', 'do not verify the outer IPv4 header checksum');
  c.action(async (file: string, opts: { json?: boolean; port?: string; vni?: string; ignoreReserved?: boolean; ipChecksum: boolean }) => {
    const d: DecapOptions = { mode, checkIpChecksum: opts.ipChecksum, reservedBits: opts.ignoreReserved ? 'ignore' : 'drop' };
    if (opts.port !== undefined) d.ports = intList('--port', opts.port);
    if (opts.vni !== undefined) d.vnis = intList('--vni', opts.vni);
    let resolved: ResolvedDecap;
    try {
      resolved = resolveDecap(d);
    } catch (e) {
      const flag = e instanceof InputError ? DECAP_FLAG[e.code] : undefined;
      throw flag ? flagError(flag, e) : e;
    }
    const cap = await openCapture(io, 'capture file', file);
    const codec = await Codec.create();
    let failed = 0;
    let base = 0;
    for await (const batch of frames(cap, file)) {
      const results = codec.decodeMany(batch.map((p) => p.data), resolved);
      const lines: string[] = [];
      for (const [k, r] of results.entries()) {
        const i = base + k;
        let line: string;
        if (r.ok) line = opts.json ? JSON.stringify({ index: i, ...r.frame }) : formatFrame(i, r.frame);
        else {
          failed++;
          const e = r.error;
          line = opts.json ? JSON.stringify({ index: i, error: { code: e.code, message: e.message, offset: e.offset, value: e.value } }) : `#${i} error ${e.message}`;
        }
        lines.push(line + '\n');
      }
      base += batch.length;
      await write(io.stdout, lines.join(''));
    }
    if (failed) state.status = 1;
    reportTruncated(cap, io, state);
  });
}

/** The encap flag each resolveEncap error code is about (the CLI passes nothing else). */
const ENCAP_FLAG: Record<string, string> = { InvalidVni: '--vni', InvalidPort: '--port', InvalidTtl: '--ttl', InvalidIpId: '--ip-id', InvalidPortRange: '--srcport' };

function registerEncap(cmd: Command, mode: EncapMode, io: Io, state: { status: number }): void {
  const c = cmd
    .command('encap')
    .description(`wrap every frame of an inner pcap in ${mode} outer headers`)
    .requiredOption('--in <file>', 'inner frames (pcap or pcapng, Ethernet; "-" = stdin)')
    .requiredOption('--out <file>', 'where to write the outer frames (pcap)')
    .requiredOption('--local <ip>', 'outer IPv4 source (local VTEP)')
    .requiredOption('--remote <ip>', 'outer IPv4 destination (remote VTEP)')
    .requiredOption('--src-mac <mac>', 'outer Ethernet source')
    .requiredOption('--dst-mac <mac>', 'outer Ethernet destination')
    // Linux's defaults: vxlan `ttl 0` means ip_default_ttl (64); ipip inherits the inner TTL.
    .option('--ttl <ttl>', "outer TTL 1..255 or 'inherit'", mode === 'ipip' ? 'inherit' : '64')
    .option('--ip-id <id>', 'IPv4 ID of the first frame', '0');
  if (mode === 'vxlan') c.requiredOption('--vni <n>', 'VXLAN Network Identifier').option('--port <port>', 'UDP destination port', '8472');
  if (mode !== 'ipip') c.option('--srcport <min:max>', 'source-port range [min, max) for the flow hash (Linux srcport MIN MAX)', `${LOCAL_PORT_MIN}:${LOCAL_PORT_MAX}`);
  c.action(async (o: Record<string, string | undefined>) => {
    const num = (flag: string, s: string | undefined, what = 'an integer') => {
      if (s === undefined) return undefined;
      if (!/^\d+$/.test(s)) throw new InputError('InvalidOption', s, `${flag}: ${what}`);
      return Number(s);
    };
    // Addresses first, each named by its flag (resolveEncap names only the value).
    forFlag('--local', () => parseIPv4(o.local!));
    forFlag('--remote', () => parseIPv4(o.remote!));
    forFlag('--src-mac', () => parseMac(o.srcMac!));
    forFlag('--dst-mac', () => parseMac(o.dstMac!));
    let r: ResolvedEncap;
    try {
      r = resolveEncap({
        mode, local: o.local!, remote: o.remote!, srcMac: o.srcMac!, dstMac: o.dstMac!,
        vni: num('--vni', o.vni), dstPort: num('--port', o.port), ipId: num('--ip-id', o.ipId),
        ttl: o.ttl === 'inherit' ? 'inherit' : num('--ttl', o.ttl, "an integer 1..255 or 'inherit'"),
        ...(o.srcport !== undefined ? { srcPortRange: portRange(o.srcport) } : {}),
      });
    } catch (e) {
      throw e instanceof InputError && ENCAP_FLAG[e.code] && !e.expected.startsWith('--') ? flagError(ENCAP_FLAG[e.code], e) : e;
    }
    const out = await OutputFile.create('--out', o.out!);
    const cap = await openCapture(io, '--in', o.in!);
    const codec = await Codec.create();
    // The outer capture is written as the inner one is read, a batch at a time.
    const records: Uint8Array[] = [];
    let header = false;
    let total = 0;
    let done = 0;
    for await (const batch of frames(cap, o.in!)) {
      const good = batch.filter((p, k) => {
        const bad = innerFrameProblem(p.data, r);
        if (bad) io.stderr.write(`#${total + k} skipped ${CODEC_STATUS_NAMES[bad.status]}: ${describeCodecStatus(bad.status, bad.value)}\n`);
        return !bad;
      });
      total += batch.length;
      const outer = codec.encapMany(good.map((p) => p.data), r);
      if (!header) records.push(pcapFileHeader({ nanos: cap.header()?.nanos }));
      header = true;
      records.push(pcapRecords(outer.map((data, i) => ({ data, tsSec: good[i].tsSec, tsNsec: good[i].tsNsec })), { nanos: cap.header()?.nanos }));
      done += outer.length;
      if (records.length >= 16) await out.append(records.splice(0));
    }
    if (done < total) state.status = 1;
    if (!header) records.push(pcapFileHeader({ nanos: cap.header()?.nanos }));
    await out.append(records.splice(0));
    await out.close();
    reportTruncated(cap, io, state);
    await write(io.stdout, `${mode}: encapsulated ${done} of ${total} frames into ${o.out} (+${r.overhead} bytes each)\n`);
  });
}

/** Registers `vxlan` and `ipip` (decode, encap) on `program`. */
export function registerCodec(program: Command, io: Io, state: { status: number }): void {
  const vxlan = markRequiredInHelp(program.command('vxlan').description('VXLAN (RFC 7348) frames: decode and encapsulate pcaps'));
  registerDecode(vxlan, 'vxlan', io, state);
  registerEncap(vxlan, 'vxlan', io, state);
  const ipip = markRequiredInHelp(program.command('ipip').description('IPIP (RFC 2003) frames: decode and encapsulate pcaps'));
  registerDecode(ipip, 'ipip', io, state);
  registerEncap(ipip, 'ipip', io, state);
}
