/**
 * flanneld on one node (main.go), in its order: read the network config
 * (retried every second while the store cannot be reached), pick the
 * external interface (`eth0`: the default route's), create the backend's
 * device, acquire the lease (`RegisterNetwork`), configure the device,
 * install the iptables rules (`--ip-masq`: FLANNEL-POSTRTG;
 * `--iptables-forward-rules`: FLANNEL-FWD), write subnet.env, watch the
 * other leases and program the kernel for each (`bn.Run`), then keep the
 * lease (`CompleteLease`). A failure to register is `Error registering
 * network: ...` and flanneld exits; so does a revoked lease. It is then
 * restarted as a DaemonSet pod is (CrashLoopBackOff: 10 s, doubling, at
 * most 5 min), and comes back through the same steps: its lease by
 * PublicIP, else subnet.env's subnet if free, else a new one.
 *
 * The kernel is programmed only through the door, the store only through
 * its public API. subnet.env and the node's kernel survive a restart; the
 * daemon's memory does not.
 *
 * Simplified: the 5 s iptables resync and the host-gw 10 s route check are
 * not run (nothing else edits those rules and routes here); IPv6 and the
 * kube subnet manager are not modelled.
 */
import { CnikitError } from '../core/errors.js';
import type { MissResponderSpec, Netlink, SimNetwork } from '../kernel/index.js';
import type { SimClock, SyncKVStore, Watcher } from '../store/index.js';
import { formatIPv4 } from '../net/ip.js';
import type { Backend, NodeEnv } from './backend.js';
import { routeBackend } from './backend-routes.js';
import { tunBackend } from './backend-tun.js';
import { vxlanBackend } from './backend-vxlan.js';
import { legacyVxlanBackend, type LegacyVersion } from './backend-vxlan-legacy.js';
import { bootstrapText, clearChainText, forwardSet, masqSet, teardownText, type ListRules, type RuleSet } from './iptables.js';
import { subnetText, type Lease } from './lease.js';
import { SubnetManager, type LeaseKeeper } from './subnet-manager.js';
import { previousNetwork, previousSubnet, subnetEnvText } from './subnet-env.js';

/** Options of one node's flanneld. */
export interface FlanneldOptions {
  node: string;
  net: SimNetwork;
  nl: Netlink;
  store: SyncKVStore;
  clock: SimClock;
  /** `--ip-masq`. Default true (kube-flannel's manifest). */
  ipMasq?: boolean;
  /** `--iptables-forward-rules`. Default true. */
  forwardRules?: boolean;
  /** The vxlan backend of flanneld v0.4 / v0.5-v0.6, answering netlink misses (the cluster file's `legacyMisses`). */
  legacy?: LegacyVersion;
  /** VtepMAC for a new vxlan device. */
  vtepMac: string;
  randInt: (n: number) => number;
  /** Called after each successful start (kubelet then runs the pending CNI ADDs). */
  onReady?: () => void;
}

const BACKOFF_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

/** One node's flanneld: its process state, subnet.env, log and lease. */
export class Flanneld {
  state: 'stopped' | 'registered' | 'running' | 'exited' = 'stopped';
  /** /run/flannel/subnet.env, or undefined before the first start. */
  subnetEnv: string | undefined;
  readonly log: string[] = [];
  /** Errors logged since the last start began (what `cluster check` reports). */
  errors: string[] = [];
  lease: Lease | undefined;
  mtu = 0;
  private backend: Backend | undefined;
  private watch: Watcher | undefined;
  private keeper: LeaseKeeper | undefined;
  private timer: number | undefined;
  private restarts = 0;
  /** The node is powered (a node-down stops flanneld for good until node-up). */
  private enabled = true;

  constructor(readonly o: FlanneldOptions) {}

  /** Starts (or restarts) the daemon now: registers, then serves. Returns whether it is running. */
  start(): boolean {
    return this.register() && this.serve();
  }

  /**
   * main.go up to writing subnet.env: config, device, lease, address,
   * iptables. A DaemonSet rollout runs this on every node before any node
   * lists the leases (see design.ts). Returns whether it got that far.
   */
  register(): boolean {
    this.enabled = true;
    this.cancelTimer();
    if (this.state === 'running' || this.state === 'registered') return true;
    this.errors = [];
    try {
      this.registerNetwork();
      this.state = 'registered';
      return true;
    } catch (e) {
      const atConfig = this.backend === undefined;
      this.teardown();
      const err = e as CnikitError;
      if (err.code === 'Unavailable' && atConfig) {
        this.logLine(`Couldn't fetch network config: ${err.message}`);
        this.timer = this.o.clock.setTimer(1000, () => this.start());
        return false;
      }
      this.exit(`Error registering network: ${err.code === 'Unavailable' ? err.message : `failed to acquire lease: ${stripCode(err)}`}`);
      return false;
    }
  }

  /** `bn.Run` and `CompleteLease`: list and watch the leases, keep the own one; then kubelet's pending CNI ADDs. */
  serve(): boolean {
    if (this.state === 'running') return true;
    if (this.state !== 'registered') return false;
    try {
      this.watchAndKeep();
    } catch (e) {
      this.teardown();
      this.exit(`Error watching leases: ${(e as Error).message}`);
      return false;
    }
    this.state = 'running';
    this.restarts = 0;
    this.o.onReady?.();
    return true;
  }

  /** The miss handler this daemon runs now and its lease table (legacy vxlan only; none while the process is not running). */
  missResponder(): MissResponderSpec | undefined {
    return this.backend?.missResponder?.();
  }

  /** The node goes down: the daemon dies with it and is not restarted. */
  stop(): void {
    this.enabled = false;
    this.cancelTimer();
    this.teardown();
    this.state = 'stopped';
  }

  private sm: SubnetManager | undefined;

  private registerNetwork(): void {
    const { node, net, nl, store, clock } = this.o;
    const sm = new SubnetManager(store, clock, { randInt: this.o.randInt });
    this.sm = sm;
    this.backend = undefined;
    const conf = sm.getNetworkConfig();
    if (conf.enableIPv6) throw new CnikitError('Unsupported', 'IPv6 is not modelled (the kernel model is IPv4 only)');
    const eth = net.ns(node).iface('eth0');
    const extAddr = formatIPv4(eth.addrs[0].addr);
    const env: NodeEnv = {
      node, net, nl, conf, cfg: conf.backend, extIface: 'eth0', extAddr, extMtu: eth.mtu, vtepMac: this.o.vtepMac,
      log: (l) => this.logLine(l),
    };
    const t = conf.backend.type;
    const be = t === 'vxlan' ? (this.o.legacy ? legacyVxlanBackend(env, this.o.legacy) : vxlanBackend(env)) : t === 'udp' || t === 'wireguard' ? tunBackend(env, t) : routeBackend(env, t);
    const attrs = be.register();
    this.backend = be;
    const lease = sm.acquireLease(conf, attrs, previousSubnet(this.subnetEnv));
    this.lease = lease;
    this.mtu = be.mtu;
    be.configure(lease);
    this.installRules(`${formatIPv4(conf.networkAddr)}/${conf.networkLen}`, subnetText(lease.subnet));
    this.subnetEnv = subnetEnvText({ network: conf.network, subnet: lease.subnet, mtu: be.mtu, ipMasq: this.o.ipMasq ?? true });
  }

  private watchAndKeep(): void {
    const sm = this.sm!;
    const be = this.backend!;
    const lease = this.lease!;
    let first = true;
    this.watch = sm.watchLeases(lease.subnet, (events) => {
      if (first && be.addedAll && events.every((e) => e.type === 'added')) {
        first = false;
        be.addedAll(events.map((e) => e.lease));
        return;
      }
      first = false;
      for (const e of events) {
        if (e.type === 'added') be.added(e.lease);
        else be.removed(e.lease);
      }
    });
    this.keeper = sm.completeLease(lease, () => {
      this.keeper = undefined;
      this.teardown();
      this.exit('Lease has been revoked. Shutting down daemon.');
    });
  }

  /**
   * main.go's `SetupAndEnsureMasqRules` then `SetupAndEnsureForwardRules`
   * (see iptables.ts): the masq set built from the previous subnet.env torn
   * down when the network or subnet changed (a first start compares against
   * 0.0.0.0/0 and finds nothing to delete), then per set its chain cleared
   * and its rules deleted-if-present and appended, each step one command
   * read against the node's rules (`iptables -S`) as they are then.
   */
  private installRules(network: string, subnet: string): void {
    const { net, nl, node } = this.o;
    // The node's rules as they are now, each listing read once per step.
    const now = (): ListRules => {
      const seen = new Map<string, string[]>();
      return (table, chain) => {
        const k = `${table} ${chain ?? ''}`;
        let v = seen.get(k);
        if (!v) seen.set(k, (v = net.iptablesSpec(node, table, chain)));
        return v;
      };
    };
    const run = (text: string) => {
      // flanneld runs iptables-restore even with nothing to delete; an empty input changes nothing.
      if (text) nl.iptablesRestore(node, text, { noflush: true });
    };
    const setUp = (set: RuleSet) => {
      run(clearChainText(now(), set));
      run(bootstrapText(now(), set));
    };
    if (this.o.ipMasq ?? true) {
      const prevNetwork = previousNetwork(this.subnetEnv) ?? '0.0.0.0/0';
      const prev = previousSubnet(this.subnetEnv);
      const prevSubnet = prev ? subnetText(prev) : '0.0.0.0/0';
      if (prevNetwork !== network || prevSubnet !== subnet) {
        this.logLine(`Current network or subnet (${network}, ${subnet}) is not equal to previous one (${prevNetwork}, ${prevSubnet}), trying to recycle old iptables rules`);
        run(teardownText(now(), masqSet(prevNetwork, prevSubnet)));
      }
      setUp(masqSet(network, subnet));
    }
    if (this.o.forwardRules ?? true) setUp(forwardSet(network));
  }

  private exit(line: string): void {
    this.logLine(line);
    this.state = 'exited';
    if (!this.enabled) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MS * 2 ** this.restarts++);
    this.timer = this.o.clock.setTimer(delay, () => {
      this.timer = undefined;
      this.start();
    });
  }

  /** The daemon's memory goes; the kernel state it made stays (as when a process dies). */
  private teardown(): void {
    this.backend?.stop?.();
    this.watch?.cancel();
    this.keeper?.stop();
    this.watch = undefined;
    this.keeper = undefined;
    this.backend = undefined;
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private logLine(l: string): void {
    const line = `${formatTime(this.o.clock.now())} ${l}`;
    this.log.push(line);
    if (/error|failed/i.test(l)) this.errors.push(line);
  }
}

const stripCode = (e: Error): string => e.message.replace(/^[A-Za-z]+: /, '');
const formatTime = (ms: number): string => `[${(ms / 1000).toFixed(3)}s]`;
