// iptables loading, matching and tracing: the package API. Generic
// names (Packet, Rule, Chain, compile, ...) carry an Ipt/ipt prefix here so that
// `export *` of every domain in src/index.ts cannot clash; src/iptables/all.ts
// has the same API under the plain names.
export {
  TABLES as IPT_TABLES,
  HOOKS as NETFILTER_HOOKS,
  BUILTIN_CHAINS as IPT_BUILTIN_CHAINS,
  HOOK_TABLES as NETFILTER_HOOK_TABLES,
  CTSTATE as CONNTRACK_STATES,
  ADDRTYPE as IPT_ADDRTYPES,
  PROTOCOLS as IPT_PROTOCOLS,
  TCP_FLAGS as IPT_TCP_FLAGS,
  protoName as iptProtoName,
  type TableName as IptTableName,
  type Hook as NetfilterHook,
  type CtStateName as ConntrackStateName,
  type AddrTypeName as IptAddrTypeName,
  type PortRange as IptPortRange,
  type Match as IptMatch,
  type Target as IptTarget,
  type Counters as IptCounters,
  type Rule as IptRule,
  type Chain as IptChain,
  type Table as IptTable,
  type Ruleset as IptRuleset,
} from './model.js';
export { parseRuleset, type LoadOptions as IptLoadOptions } from './parse.js';
export { parseIpsets, saveIpsets, setHas as ipsetHas, type IpSet, type IpSets, type IpSetType } from './ipset.js';
export { saveRuleset, ruleText as iptRuleText, type SaveOptions as IptSaveOptions } from './save.js';
export { iptablesSpec } from './spec.js';
export {
  parsePacket as parseIptPacket,
  packetFromJson as iptPacketFromJson,
  parsePacketLine as parseIptPacketLine,
  parseCompletePacket as parseCompleteIptPacket,
  type PacketParseOptions as IptPacketParseOptions,
  formatPacket as formatIptPacket,
  checkHookPath as checkNetfilterHookPath,
  DEFAULT_PACKET as DEFAULT_IPT_PACKET,
  type Packet as IptPacket,
  type IptContext,
  type HostInterface as IptHostInterface,
} from './packet.js';
export {
  ReferenceEngine as ReferenceIptEngine,
  natApplies,
  describe as describeIptRule,
  type RuleRef as IptRuleRef,
  type Verdict as IptVerdict,
  type WalkResult as IptWalkResult,
  type PathWalk as IptPathWalk,
  type CounterMap as IptCounterMap,
} from './reference.js';
export { IptEngine, BATCH as IPT_BATCH, type EngineOptions as IptEngineOptions, type EngineResult as IptEngineResult, type EvalMode as IptEvalMode } from './engine.js';
export { compile as compileRuleset, type Program as IptProgram, type CompileOptions as IptCompileOptions } from './compile.js';
