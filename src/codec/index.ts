/**
 * Encapsulation codec: VXLAN (RFC 7348), IPIP (RFC 2003) and
 * Flannel's udp backend in WASM, a TypeScript reference codec, MTU
 * arithmetic. pcap in and out is its own export (src/pcap/).
 */
export { Codec } from './wasm.js';
export type { EncapBatchOptions } from './wasm.js';
export { FrameBatch } from './batch.js';
export type { CodecExports } from './wasm.js';
export { resolveEncap, resolveDecap, innerFrameProblem, ENCAP_MODE_NUMBERS, ENCAP_MODE_OVERHEAD } from './params.js';
export type { EncapMode, EncapParams, ResolvedEncap, DecapOptions, ResolvedDecap } from './params.js';
export { frameFromRecord } from './frame.js';
export type { DecodedFrame, DecodeResult, InnerFlow } from './frame.js';
export { decodeArp, arpOpName } from './arp.js';
export type { InnerArp } from './arp.js';
export { DecodeError, CODEC_STATUS_NAMES, describeCodecStatus } from './status.js';
export { referenceEncap, referenceDecap, internetChecksum } from './reference.js';
export { flowHashEth, flowHashIPv4, srcPortFromHash, jhash3, jhash12 } from './flowhash.js';
export { ENCAP_OVERHEADS, encapOverhead, podMtu, podMtuFor } from './mtu.js';
export type { EncapOverhead } from './mtu.js';
