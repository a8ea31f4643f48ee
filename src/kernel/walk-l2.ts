/**
 * The link layer of the walk: transmit on a device, veth wires, the fabric
 * switch, bridge learning / forwarding / flooding, and handing frames to IP.
 */
import type { Disposition } from '../core/trace.js';
import type { Iface } from './iface.js';
import { frameMacs } from './packet.js';
import { WalkBase } from './walk-base.js';

/** Link-layer part of the walker. */
export abstract class L2Walk extends WalkBase {
  /** Puts a frame on `dev` (dev_queue_xmit) and follows it across the link. */
  transmit(dev: Iface, frame: Uint8Array): Disposition {
    dev.see(frame);
    const { dst, src } = frameMacs(frame);
    this.tb.step('transmit', `${src} > ${dst} dev ${dev.name} length ${frame.length}`, 'TRANSMITTED', { dev: dev.name, length: frame.length });
    if (dev.kind === 'veth') {
      const peer = dev.peer!;
      this.tb.step('wire', `veth ${dev.name} -> ${peer.name}@${peer.ns.name}`, 'CARRIED');
      return this.linkIn(peer, frame);
    }
    if (dev.kind === 'bridge') return this.bridgeOut(dev, undefined, frame);
    if (dev.kind === 'loopback') return this.linkIn(dev, frame);
    const seg = this.env.segments.get(dev.segment ?? '');
    if (!seg) {
      this.tb.step('wire', `${dev.name} is not plugged into a segment`, 'DROP');
      return 'NEIGH_FAILED';
    }
    const { to, flooded } = seg.carry(dev, src, dst);
    // A flooded frame reaches every other station (tcpdump on their NICs sees it).
    if (flooded) seg.flood(dev, to, frame);
    if (!to) {
      this.tb.step('wire', `segment ${seg.name}: no station ${dst}`, 'DROP');
      return 'NEIGH_FAILED';
    }
    this.tb.step('wire', `segment ${seg.name} ${flooded ? 'flooded' : 'switched'} to ${to.name}@${to.ns.name}`, 'CARRIED', { segment: seg.name, flooded });
    return this.linkIn(to, frame);
  }

  /** A frame arrives on `i` (netif_receive_skb): bridge port or IP input. */
  protected linkIn(i: Iface, frame: Uint8Array): Disposition {
    if (++this.entered > this.env.hopLimit) {
      this.tb.step('loop', `more than ${this.env.hopLimit} devices crossed`, 'LOOP');
      return 'LOOP';
    }
    this.tb.enter(i.ns.name);
    i.see(frame);
    if (i.master) return this.bridgeIn(i.master, i, frame);
    const { dst } = frameMacs(frame);
    if (dst !== i.mac && dst !== 'ff:ff:ff:ff:ff:ff') {
      this.tb.step('receive', `${i.name}: frame to ${dst} is not for ${i.mac} (PACKET_OTHERHOST)`, 'DROP');
      return 'NEIGH_FAILED';
    }
    return this.ipRcv(i, frame);
  }

  /** A frame entering bridge `br` from `port` (br_handle_frame): learn, look up, forward or go up. */
  protected bridgeIn(br: Iface, port: Iface, frame: Uint8Array): Disposition {
    const { dst, src } = frameMacs(frame);
    br.bridgeFdb!.learn(src, port.name);
    const r = br.bridgeFdb!.lookup(dst);
    if (r.kind === 'local') {
      this.tb.step('fdb', `${dst} dev ${r.entry.dev} master ${br.name} permanent: local`, 'LOCAL');
      br.see(frame);
      return this.ipRcv(br, frame);
    }
    return this.bridgeOut(br, port, frame, r.kind === 'forward' ? r.entry.dev : undefined);
  }

  /** Forwards a frame out of bridge `br` (to a known port, or flooded to every port but `from`). */
  protected bridgeOut(br: Iface, from: Iface | undefined, frame: Uint8Array, known?: string): Disposition {
    const { dst } = frameMacs(frame);
    if (known === undefined && from === undefined) {
      const r = br.bridgeFdb!.lookup(dst);
      if (r.kind === 'forward') known = r.entry.dev;
    }
    let out: Iface | undefined;
    if (known !== undefined) {
      out = br.ports!.find((p) => p.name === known);
      this.tb.step('fdb', `${dst} dev ${known} master ${br.name}`, 'FORWARD', { bridge: br.name, port: known });
    } else {
      const ports = br.ports!.filter((p) => p !== from);
      this.tb.step('fdb', `${dst} unknown in ${br.name}: flooded to ${ports.map((p) => p.name).join(', ') || 'no port'}`, 'FLOOD', { bridge: br.name });
      for (const p of ports) if (p.peer?.mac !== dst) p.see(frame);
      out = ports.find((p) => p.peer?.mac === dst);
      if (!out) return 'NEIGH_FAILED';
    }
    if (!out || out === from) {
      this.tb.step('fdb', `${dst} is behind the ingress port: not forwarded`, 'DROP');
      return 'NEIGH_FAILED';
    }
    return this.transmit(out, frame);
  }

}
