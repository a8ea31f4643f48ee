/**
 * A subnet lease as flanneld keeps it in etcd (pkg/lease/lease.go,
 * pkg/subnet/subnet.go):
 *
 * - key `<prefix>/subnets/<a.b.c.d>-<len>` (`MakeSubnetKey`; the parse regex
 *   is `(\d+\.\d+.\d+.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$`);
 * - value the JSON of `LeaseAttrs`, fields in Go's struct order:
 *   `{"PublicIP":"192.168.64.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"c6:d2:32:6f:8f:44"}}`;
 *   `BackendType` and `BackendData` are `omitempty` (the udp backend sets
 *   neither; host-gw and ipip no data).
 *
 * Dual-stack keys (`&<v6>-<len>`) are parsed and ignored, as the kernel
 * model is IPv4 only.
 */
import { InputError } from '../core/errors.js';
import { formatIPv4, maskV4, parseIPv4 } from '../net/ip.js';
import type { KeyValue } from '../store/index.js';

/** Flanneld's default `--etcd-prefix`. */
export const DEFAULT_PREFIX = '/coreos.com/network';
/** `subnetTTL`: 24 h. */
export const SUBNET_TTL_S = 24 * 3600;

/** An IPv4 subnet as numbers. */
export interface Subnet {
  addr: number;
  len: number;
}

/** `BackendData` of a vxlan lease (`vxlanLeaseAttrs`: `VNI`, then `VtepMAC`). */
export interface VxlanData {
  VNI: number;
  VtepMAC: string;
}

/** `LeaseAttrs`: what the value holds. */
export interface LeaseAttrs {
  PublicIP: string;
  BackendType?: string;
  BackendData?: Record<string, unknown>;
}

/** A lease read from the store. `expiresAt` is simulated ms, or undefined for a reservation (a key with no etcd lease). */
export interface Lease {
  subnet: Subnet;
  attrs: LeaseAttrs;
  expiresAt: number | undefined;
  /** The etcd lease id the key is attached to (0 = reservation). */
  etcdLease: number;
}

/** `10.244.1.0/24` */
export const subnetText = (s: Subnet): string => `${formatIPv4(s.addr)}/${s.len}`;

/** `MakeSubnetKey`: `10.244.1.0-24`. */
export const subnetKey = (s: Subnet): string => `${formatIPv4(s.addr)}-${s.len}`;

const KEY_RE = /(\d+\.\d+.\d+.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$/;

/** `ParseSubnetKey`: the subnet of a key's last component, or undefined when it is not one. */
export function parseSubnetKey(key: string): Subnet | undefined {
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  let addr: number;
  try {
    addr = parseIPv4(m[1]);
  } catch {
    return undefined;
  }
  const len = Number(m[2]);
  if (len > 32) return undefined;
  return { addr: (addr & maskV4(len)) >>> 0, len };
}

/** The value flanneld writes (`json.Marshal(attrs)`): Go's field order, `omitempty` honoured. */
export function attrsJson(a: LeaseAttrs): string {
  let s = `{"PublicIP":${JSON.stringify(a.PublicIP)},"PublicIPv6":null`;
  if (a.BackendType) s += `,"BackendType":${JSON.stringify(a.BackendType)}`;
  if (a.BackendData && Object.keys(a.BackendData).length > 0) s += `,"BackendData":${JSON.stringify(a.BackendData)}`;
  return `${s}}`;
}

/** Reads a lease value; `InputError` `BadLease` when it is not flanneld's JSON (flanneld logs "Ignoring bad subnet node" and skips it). */
export function parseAttrs(value: string, key: string): LeaseAttrs {
  let o: unknown;
  try {
    o = JSON.parse(value);
  } catch {
    throw new InputError('BadLease', value.slice(0, 60), `LeaseAttrs JSON at ${key}`);
  }
  if (o === null || typeof o !== 'object') throw new InputError('BadLease', value.slice(0, 60), `LeaseAttrs JSON at ${key}`);
  const r = o as Record<string, unknown>;
  if (typeof r.PublicIP !== 'string') throw new InputError('BadLease', value.slice(0, 60), `a PublicIP string at ${key}`);
  parseIPv4(r.PublicIP);
  const a: LeaseAttrs = { PublicIP: r.PublicIP };
  if (typeof r.BackendType === 'string' && r.BackendType) a.BackendType = r.BackendType;
  if (r.BackendData && typeof r.BackendData === 'object') a.BackendData = r.BackendData as Record<string, unknown>;
  return a;
}

// One decoding per stored version: every node lists and watches the same
// versions, so their subnet and attributes (immutable) are shared by all.
// The last Lease made of a version is handed out again for the same expiry:
// one join reaches every node at the same simulated time, and a Lease is
// never changed once made.
const decoded = new WeakMap<KeyValue, { subnet: Subnet; attrs: LeaseAttrs; last?: Lease } | null>();

/** A store entry as a lease (`kvToIPLease`), or undefined for a key that is not a subnet or holds bad JSON. */
export function leaseOf(kv: KeyValue, expiresAt: number | undefined): Lease | undefined {
  let d = decoded.get(kv);
  if (d === undefined) {
    const subnet = parseSubnetKey(kv.key);
    d = null;
    if (subnet) {
      try {
        d = { subnet, attrs: parseAttrs(kv.value, kv.key) };
      } catch {
        d = null;
      }
    }
    decoded.set(kv, d);
  }
  if (!d) return undefined;
  if (d.last && d.last.expiresAt === expiresAt) return d.last;
  return (d.last = { subnet: d.subnet, attrs: d.attrs, expiresAt, etcdLease: kv.lease });
}

/** Whether two subnets share an address (`IP4Net.Overlaps`). */
export function overlap(a: Subnet, b: Subnet): boolean {
  const m = maskV4(Math.min(a.len, b.len));
  return ((a.addr & m) >>> 0) === ((b.addr & m) >>> 0);
}

/** The vxlan `BackendData` of a lease, when it carries one. */
export function vxlanData(l: Lease): VxlanData | undefined {
  const d = l.attrs.BackendData;
  if (!d || typeof d.VtepMAC !== 'string') return undefined;
  return { VNI: typeof d.VNI === 'number' ? d.VNI : 1, VtepMAC: d.VtepMAC };
}
