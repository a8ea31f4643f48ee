// The one WASM module of cnikit: hot paths only, numbers and pointers in,
// numbers out. Each domain keeps its exports in its own folder.
export { alloc, free, zero } from "./mem";
export * from "./lpm/index";
export * from "./codec/index";
export * from "./ipt/index";
