// Ethernet/IPv4/UDP/VXLAN/IPIP codec: numbers and pointers in,
// status codes out. Layouts and codes: assembly/shared/codec.ts.
export { codecEncapPrepare, codecEncap, codecEncapCopy } from "./encap";
export { codecEncapBatch, codecEncapBatchHashed, codecCopyBatch } from "./encap-batch";
export { codecDecap, codecDecapBatch } from "./decap";
export { codecFlowHash, codecSrcPort, codecChecksum } from "./helpers";
