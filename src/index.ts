/**
 * cnikit: the public API for embedding.
 *
 * ```ts
 * import { createCore, RouteTable } from 'cnikit';
 * const core = await createCore();
 * ```
 * Each domain re-exports its API from its own index file below.
 */
export { createCore, createCoreSync, Core } from './core/core.js';
export type { CoreOptions, BaseExports } from './core/core.js';
export { CnikitError, InputError, WasmTrapError } from './core/errors.js';
export type { InputPosition } from './core/errors.js';
export type { Trace, Hop, Step, Disposition } from './core/trace.js';
export * from './lpm/index.js';
export * from './codec/index.js';
export * from './pcap/index.js';
export * from './iptables/index.js';
export * from './store/index.js';
export * from './kernel/index.js';
export * from './netns/index.js';
export * from './topology/index.js';
export * from './scenarios/index.js';
