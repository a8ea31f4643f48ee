/**
 * The `Backend` object of net-conf.json: its `Type` and each backend's
 * options with flanneld's defaults (`pkg/backend/<type>/*.go`):
 *
 * | type | options (default) | device, MTU |
 * |---|---|---|
 * | `vxlan` | `VNI` 1, `Port` 0 (kernel: 8472), `GBP`, `Learning`, `DirectRouting` false, `MTU` ext | `flannel.<VNI>`, MTU - 50 |
 * | `host-gw` | none | ext, MTU |
 * | `udp` | `Port` 8285 | `flannel0` TUN, MTU - 28 |
 * | `ipip` | `DirectRouting` false | `flannel.ipip`, MTU - 20 |
 * | `wireguard` | `ListenPort` 51820, `ListenPortV6` 51821, `MTU` ext, `PSK`, `PersistentKeepaliveInterval` 0, `Mode` separate | `flannel-wg`, MTU - 80 |
 *
 * A missing or empty `Backend` is `udp` (`parseBackendType`). The type is
 * lowercased (`backend.GetBackend`); an unregistered one is flanneld's
 * `unknown backend type: X`; `ipsec`, `alloc`, `extension` and the cloud
 * backends exist in flanneld but are not modelled, and are refused by name.
 */
import { InputError } from '../core/errors.js';

/** A backend cnikit models. */
export type BackendType = 'vxlan' | 'host-gw' | 'udp' | 'ipip' | 'wireguard';

/** The parsed `Backend`: type, options with defaults, and the object as given. */
export interface BackendConfig {
  type: BackendType;
  /** vxlan VNI. Default 1. */
  vni: number;
  /** vxlan UDP port (0 = the kernel's 8472), udp port (8285), wireguard ListenPort (51820). */
  port: number;
  /** vxlan, ipip: route directly to peers on the same segment. Default false. */
  directRouting: boolean;
  /** vxlan `Learning`, `GBP`. Default false. */
  learning: boolean;
  gbp: boolean;
  /** vxlan, wireguard: the MTU the overhead is taken from. Default 0 = the external interface's. */
  mtu: number;
  /** wireguard `Mode`, `PSK`, `PersistentKeepaliveInterval`. */
  mode: string;
  /** The `Backend` object as given (printed back into the etcd config). */
  raw: Record<string, unknown>;
}

/** Bytes each backend reserves per packet (what FLANNEL_MTU subtracts). */
export const BACKEND_OVERHEAD: Readonly<Record<BackendType, number>> = { vxlan: 50, 'host-gw': 0, udp: 28, ipip: 20, wireguard: 80 };

const OPTIONS: Readonly<Record<BackendType, readonly string[]>> = {
  vxlan: ['VNI', 'Port', 'GBP', 'Learning', 'DirectRouting', 'MTU', 'MacPrefix'],
  'host-gw': [],
  udp: ['Port'],
  ipip: ['DirectRouting'],
  wireguard: ['ListenPort', 'ListenPortV6', 'MTU', 'PSK', 'PersistentKeepaliveInterval', 'Mode'],
};
const UNMODELLED = ['ipsec', 'alloc', 'extension', 'tencent-vpc', 'gce', 'aws-vpc', 'ali-vpc'];

/** Parses `Backend` (undefined when absent). Throws `InputError` `BadNetConf`. */
export function parseBackend(be: unknown, source: string): BackendConfig {
  if (be === undefined || be === null || (typeof be === 'object' && !Array.isArray(be) && Object.keys(be).length === 0)) {
    return defaults('udp', {});
  }
  if (typeof be !== 'object' || Array.isArray(be)) throw new InputError('BadNetConf', `Backend: ${JSON.stringify(be)}`, `an object such as {"Type": "vxlan"} in ${source}`);
  const obj = be as Record<string, unknown>;
  const typeKey = Object.keys(obj).find((k) => k.toLowerCase() === 'type');
  const t = typeKey === undefined ? '' : obj[typeKey];
  if (typeof t !== 'string') throw new InputError('BadNetConf', `Backend.Type: ${JSON.stringify(t)}`, `a backend name in ${source}`);
  const type = t.toLowerCase();
  if (UNMODELLED.includes(type)) throw new InputError('BadNetConf', `Backend.Type: ${t}`, `a backend cnikit models (vxlan, host-gw, udp, ipip, wireguard); flanneld has ${type}, cnikit does not (${source})`);
  if (!(type in OPTIONS)) throw new InputError('BadNetConf', `Backend.Type: ${t}`, `unknown backend type: ${type} (${source})`);
  const bt = type as BackendType;
  const c = defaults(bt, obj);
  const known = OPTIONS[bt];
  for (const [k, v] of Object.entries(obj)) {
    if (k === typeKey) continue;
    const name = known.find((x) => x.toLowerCase() === k.toLowerCase());
    if (!name) throw new InputError('BadNetConf', `Backend.${k}`, `an option of the ${bt} backend (${known.join(', ') || 'none'}) in ${source}`);
    set(c, bt, name, v, source);
  }
  return c;
}

function defaults(type: BackendType, raw: Record<string, unknown>): BackendConfig {
  const port = type === 'udp' ? 8285 : type === 'wireguard' ? 51820 : 0;
  return { type, vni: 1, port, directRouting: false, learning: false, gbp: false, mtu: 0, mode: 'separate', raw };
}

function set(c: BackendConfig, type: BackendType, name: string, v: unknown, source: string): void {
  const bad = (expected: string): never => {
    throw new InputError('BadNetConf', `Backend.${name}: ${JSON.stringify(v)}`, `${expected} (error decoding ${type} backend config) in ${source}`);
  };
  const int = (max: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : bad(`an integer 0..${max}`));
  const flag = (): boolean => (typeof v === 'boolean' ? v : bad('true or false'));
  switch (name) {
    case 'VNI': c.vni = int(16777215); break;
    case 'Port': case 'ListenPort': c.port = int(65535); break;
    case 'ListenPortV6': case 'PersistentKeepaliveInterval': int(65535); break;
    case 'DirectRouting': c.directRouting = flag(); break;
    case 'Learning': c.learning = flag(); break;
    case 'GBP': c.gbp = flag(); break;
    case 'MTU': c.mtu = int(65535); break;
    case 'Mode':
      if (v !== 'separate' && v !== 'auto' && v !== 'ipv4' && v !== 'ipv6') bad('separate, auto, ipv4 or ipv6');
      c.mode = v as string;
      break;
    case 'PSK': case 'MacPrefix':
      if (typeof v !== 'string') bad('a string');
      break;
  }
}
