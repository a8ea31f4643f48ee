/**
 * Flannel as a cluster design: the cluster file's `flannel:` section
 * checked (net-conf.json as flanneld checks it, pinned subnets and pod
 * addresses against it), the config written to the store, a node's
 * `subnet:` pin written as a Flannel reservation (a lease key without a
 * TTL holding the node's PublicIP, Documentation/reservations.md), one
 * flanneld per node (`startup: rollout`, the default: every daemon takes
 * its lease, then every daemon lists and watches, as when the DaemonSet is
 * applied to running nodes; `sequential`: node after node), and each pod's
 * CNI ADD run once its node's flanneld serves (kubelet waits for
 * subnet.env).
 */
import { InputError } from '../core/errors.js';
import type { Cluster, Design, DesignContext, DesignRun } from '../cluster/index.js';
import type { MissResponderSpec } from '../kernel/index.js';
import { parseIPv4 } from '../net/ip.js';
import { randomMac } from '../topology/index.js';
import { FlannelCni } from './cni.js';
import { Flanneld } from './flanneld.js';
import { attrsJson, DEFAULT_PREFIX, overlap, parseSubnetKey, subnetText, type Subnet } from './lease.js';
import { parseNetConf, type NetConf } from './net-conf.js';
import { seededRandInt } from './rand.js';
import { readSubnetEnv } from './subnet-env.js';
import { SubnetManager } from './subnet-manager.js';

const DEFAULT_NET_CONF = { Network: '10.244.0.0/16', Backend: { Type: 'vxlan' } };

/** The checked net-conf of a cluster (its `flannel.netConf`, or kube-flannel's default). */
export function clusterNetConf(c: Cluster): NetConf {
  const path = c.flannel ? [...c.flannel.path, 'netConf'] : ['flannel'];
  try {
    return parseNetConf(c.flannel?.netConf ?? DEFAULT_NET_CONF, `${c.source.file} flannel.netConf`);
  } catch (e) {
    const err = e as InputError;
    throw c.source.error(err.code, path, err.input, err.expected);
  }
}

function validate(c: Cluster): void {
  const conf = clusterNetConf(c);
  const at = (p: readonly (string | number)[], input: string, expected: string) => c.source.error('OutsideNetwork', p, input, expected);
  if (conf.enableIPv6) throw c.source.error('Unsupported', [...(c.flannel?.path ?? []), 'netConf'], 'EnableIPv6', 'IPv4 only: the kernel model has no IPv6');
  if (c.flannel?.legacyMisses && conf.backend.type !== 'vxlan') throw c.source.error('Unsupported', [...c.flannel.path, 'legacyMisses'], 'true', `legacyMisses with Backend Type vxlan (flanneld's netlink misses were the vxlan backend's), not ${conf.backend.type}`);
  if (c.flannel?.legacyMisses && conf.backend.directRouting) throw c.source.error('Unsupported', [...c.flannel.path, 'legacyMisses'], 'true', 'legacyMisses without DirectRouting (DirectRouting came with v0.9, which dropped the misses)');
  const pinned: { s: Subnet; node: string; path: readonly (string | number)[] }[] = [];
  for (const n of c.nodes) {
    if (n.subnet === undefined) continue;
    const [a, l] = n.subnet.split('/');
    const s = { addr: parseIPv4(a), len: Number(l) };
    const p = [...n.path, 'subnet'];
    if (!SubnetManager.fits(conf, s)) {
      throw at(p, n.subnet, `a /${conf.subnetLen} of ${conf.network} between SubnetMin and SubnetMax (flanneld ignores a lease that is not)`);
    }
    const clash = pinned.find((x) => overlap(x.s, s));
    if (clash) throw c.source.error('Overlap', p, n.subnet, `a subnet no other node has (${clash.node} has ${subnetText(clash.s)})`);
    pinned.push({ s, node: n.name, path: p });
    for (const pod of n.pods) {
      if (pod.ip === undefined) continue;
      const ip = parseIPv4(pod.ip);
      if (ip < s.addr + 2 || ip > s.addr + 2 ** (32 - s.len) - 2) throw at([...pod.path, 'ip'], pod.ip, `an address of ${n.name}'s subnet ${n.subnet} from .2 (host-local's range; .1 is cni0)`);
    }
  }
  for (const pod of c.pods) {
    if (pod.ip === undefined) continue;
    const ip = parseIPv4(pod.ip);
    if (!overlap({ addr: ip, len: 32 }, { addr: conf.networkAddr, len: conf.networkLen })) throw at([...pod.path, 'ip'], pod.ip, `an address inside the Flannel network ${conf.network}`);
  }
}

function build(c: Cluster, ctx: DesignContext): DesignRun {
  const prefix = DEFAULT_PREFIX;
  ctx.backing.put(`${prefix}/config`, JSON.stringify(c.flannel?.netConf ?? DEFAULT_NET_CONF));
  for (const n of c.nodes) {
    if (n.subnet === undefined) continue;
    const [a, l] = n.subnet.split('/');
    ctx.backing.put(`${prefix}/subnets/${a}-${l}`, attrsJson({ PublicIP: n.ip }));
  }
  const daemons = new Map<string, Flanneld>();
  const cnis = new Map<string, FlannelCni>();
  const cniErrors: string[] = [];
  const podsOf = new Map(c.nodes.map((n) => [n.name, n.pods]));
  c.nodes.forEach((n, i) => {
    const cni = new FlannelCni(n.name, ctx.net, ctx.nl);
    cnis.set(n.name, cni);
    const d = new Flanneld({
      node: n.name, net: ctx.net, nl: ctx.nl, store: ctx.store, clock: ctx.clock, ipMasq: c.flannel?.ipMasq ?? true,
      legacy: c.flannel?.legacyMisses ? c.flannel.legacyVersion : undefined,
      vtepMac: randomMac(`flannel.1 ${n.name}#${ctx.seed}`), randInt: seededRandInt(ctx.seed * 7919 + i),
      onReady: () => {
        // kubelet runs the CNI ADDs; the flannel plugin reads subnet.env.
        const env = readSubnetEnv(d.subnetEnv)!;
        for (const pod of podsOf.get(n.name) ?? []) {
          try {
            cni.add(pod, env);
          } catch (e) {
            cniErrors.push(`${n.name}: pod ${pod.name}: ${(e as Error).message.replace(/^[A-Za-z]+: /, '')}`);
          }
        }
      },
    });
    daemons.set(n.name, d);
  });
  if (c.flannel?.startup === 'sequential') for (const d of daemons.values()) d.start();
  else {
    // The DaemonSet rolled out on running nodes: each flanneld has its lease
    // before the others list the leases, so most peers arrive in the first
    // snapshot rather than as one event each.
    for (const d of daemons.values()) d.register();
    for (const d of daemons.values()) d.serve();
  }
  return {
    converge() {
      ctx.clock.advance(0);
    },
    podAddress: (pod) => {
      for (const cni of cnis.values()) {
        const a = cni.addresses.get(pod);
        if (a) return a;
      }
      return undefined;
    },
    nodeLive: (node) => daemons.get(node)?.state === 'running',
    nodeDown: (node) => daemons.get(node)!.stop(),
    nodeUp: (node) => void daemons.get(node)!.start(),
    event: () => false,
    show(node, what) {
      const d = daemons.get(node);
      if (what === 'subnet-env') return d?.subnetEnv ?? 'cat: /run/flannel/subnet.env: No such file or directory\n';
      if (what === 'etcd') return etcdctlGet(ctx, prefix);
      if (what === 'flanneld-log') return d ? d.log.map((l) => `${l}\n`).join('') : '';
      return undefined;
    },
    violations: () => leaseViolations(c, ctx, daemons, cnis, prefix).concat(cniErrors),
    missResponders() {
      const out = new Map<string, MissResponderSpec>();
      for (const [node, d] of daemons) {
        const r = d.missResponder();
        if (r) out.set(node, r);
      }
      return out;
    },
  };
}

/** `etcdctl get --prefix /coreos.com/network`: key line, value line. */
function etcdctlGet(ctx: DesignContext, prefix: string): string {
  return ctx.backing.range(prefix, { prefix: true }).kvs.map((kv) => `${kv.key}\n${kv.value}\n`).join('');
}

function leaseViolations(c: Cluster, ctx: DesignContext, daemons: ReadonlyMap<string, Flanneld>, cnis: ReadonlyMap<string, FlannelCni>, prefix: string): string[] {
  const out: string[] = [];
  const kvs = ctx.backing.range(`${prefix}/subnets/`, { prefix: true }).kvs;
  const subs = kvs.map((kv) => ({ key: kv.key, s: parseSubnetKey(kv.key), ip: safeIp(kv.value) }));
  for (let i = 0; i < subs.length; i++) {
    for (let j = i + 1; j < subs.length; j++) {
      if (subs[i].s && subs[j].s && overlap(subs[i].s!, subs[j].s!)) out.push(`leases ${subs[i].key} and ${subs[j].key} overlap`);
    }
  }
  for (const [node, d] of daemons) {
    for (const l of d.errors) out.push(`${node}: flanneld: ${l}`);
    if (d.state === 'exited') out.push(`${node}: flanneld exited: ${d.log[d.log.length - 1] ?? ''}`);
    if (d.state !== 'running' || !d.lease) continue;
    const held = subs.find((x) => x.s && x.s.addr === d.lease!.subnet.addr && x.s.len === d.lease!.subnet.len);
    const ip = c.nodes.find((n) => n.name === node)!.ip;
    for (const [pod, a] of cnis.get(node)!.addresses) {
      if (!overlap({ addr: parseIPv4(a), len: 32 }, d.lease.subnet)) out.push(`${node}: pod ${pod} keeps ${a} from an earlier lease; the node now holds ${subnetText(d.lease.subnet)}`);
    }
    if (!held) out.push(`${node}: its lease ${subnetText(d.lease.subnet)} is not in the store`);
    else if (held.ip !== ip) out.push(`${node}: its lease ${subnetText(d.lease.subnet)} is held by ${held.ip}`);
  }
  return out;
}

function safeIp(v: string): string | undefined {
  try {
    return (JSON.parse(v) as { PublicIP?: string }).PublicIP;
  } catch {
    return undefined;
  }
}

/** Flannel, for `--design flannel`. */
export const flannelDesign: Design = {
  name: 'flannel',
  views: ['subnet-env', 'etcd', 'flanneld-log'],
  validate,
  build,
};
