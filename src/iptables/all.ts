// The iptables API under its own (natural) names, for cnikit's tests, properties,
// CLI and benchmark. The package API (index.ts) re-exports it with the generic
// names prefixed so that they cannot clash with other domains in src/index.ts.
export * from './model.js';
export { parseRuleset, type LoadOptions } from './parse.js';
export { parseIpsets, saveIpsets, setHas, type IpSet, type IpSets, type IpSetType } from './ipset.js';
export { saveRuleset, ruleText, type SaveOptions } from './save.js';
export { iptablesSpec, rulesetSpec, chainExists } from './spec.js';
export { parsePacket, parseCompletePacket, packetFromJson, parsePacketLine, type PacketParseOptions, formatPacket, checkHookPath, onPathHook, HOOK_PATHS, DEFAULT_PACKET, type Packet, type IptContext, type HostInterface } from './packet.js';
export { ReferenceEngine, natApplies, describe as describeRule, type RuleRef, type Verdict, type WalkResult, type PathWalk, type CounterMap } from './reference.js';
export { IptEngine, BATCH, type EngineOptions, type EngineResult, type EvalMode } from './engine.js';
export { compile, type Program, type CompileOptions } from './compile.js';
export { conntrackRuns, ruleNeedsConntrack } from './conntrack.js';
