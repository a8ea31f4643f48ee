/**
 * Where a scenario lives in real network namespaces: one namespace per
 * node or router (`<prefix><node>`), per pod (`<prefix><node>-<pod>`) and
 * per fabric segment (`<prefix>seg-<segment>`, holding the learning switch
 * `br0`), and every wire (interface) that can be captured.
 */
import { InputError } from '../core/errors.js';
import type { Scenario } from '../kernel/scenario.js';

/** One namespace of a laid-out scenario. */
export interface NsPlace {
  /** Logical name: node, pod or segment name (as in `Probe.path`). */
  name: string;
  /** Real namespace name. */
  netns: string;
  kind: 'node' | 'pod' | 'segment';
}

/** One capturable interface. `key` is `<logical ns>/<ifname>`. */
export interface Wire {
  key: string;
  ns: string;
  netns: string;
  ifname: string;
}

/** A scenario's namespaces and wires. */
export interface Layout {
  namespaces: NsPlace[];
  wires: Wire[];
  /** Switch port name of each `phys` interface, keyed `<node>/<iface>`. */
  ports: Map<string, string>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const IFNAMSIZ = 15;

/** Throws unless `s` is a safe interface name (1..15 chars, no shell or path characters). */
export function checkIfname(s: string, what: string): void {
  if (!NAME.test(s) || s.length > IFNAMSIZ) throw new InputError('BadIfname', what, `an interface name of 1..${IFNAMSIZ} characters [A-Za-z0-9_.-], got ${JSON.stringify(s)}`);
}

/** Throws unless `s` is a safe namespace / object name. */
export function checkName(s: string, what: string): void {
  if (!NAME.test(s) || s.length > 64) throw new InputError('BadName', what, `a name of characters [A-Za-z0-9_.-] (at most 64), got ${JSON.stringify(s)}`);
}

/** Lays out `scenario` under `prefix` (default `cnk-`). Validates every name. */
export function layout(scenario: Scenario, prefix = 'cnk-'): Layout {
  checkName(prefix.replace(/-$/, '') || 'x', 'prefix');
  const namespaces: NsPlace[] = [];
  const wires: Wire[] = [];
  const ports = new Map<string, string>();
  const seen = new Set<string>();
  const place = (name: string, netns: string, kind: NsPlace['kind']): NsPlace => {
    if (seen.has(name)) throw new InputError('DuplicateName', `scenario ${scenario.name}`, `unique node, pod and segment names, got ${name} twice`);
    seen.add(name);
    const p = { name, netns, kind };
    namespaces.push(p);
    return p;
  };
  const wire = (p: NsPlace, ifname: string) => wires.push({ key: `${p.name}/${ifname}`, ns: p.name, netns: p.netns, ifname });
  const segs = new Map<string, NsPlace>();
  for (const s of scenario.segments) {
    checkName(s.name, 'segment name');
    segs.set(s.name, place(s.name, `${prefix}seg-${s.name}`, 'segment'));
  }
  let n = 0;
  for (const node of scenario.nodes) {
    checkName(node.name, 'node name');
    const np = place(node.name, `${prefix}${node.name}`, 'node');
    for (const i of node.interfaces) {
      checkIfname(i.name, `${node.name} interface`);
      wire(np, i.name);
      if (i.kind !== 'phys') continue;
      const seg = segs.get(i.segment);
      if (!seg) throw new InputError('UnknownSegment', `${node.name} ${i.name}`, `one of the scenario's segments (${[...segs.keys()].join(', ')}), got ${i.segment}`);
      const long = `${node.name}.${i.name}`;
      const port = long.length <= IFNAMSIZ ? long : `p${n}`;
      n++;
      ports.set(`${node.name}/${i.name}`, port);
      wire(seg, port);
    }
    for (const pod of node.pods) {
      checkName(pod.name, 'pod name');
      checkIfname(pod.hostVeth, `${pod.name} hostVeth`);
      wire(np, pod.hostVeth);
      wire(place(pod.name, `${prefix}${node.name}-${pod.name}`, 'pod'), 'eth0');
    }
  }
  return { namespaces, wires, ports };
}
