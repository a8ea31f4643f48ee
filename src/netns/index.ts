/**
 * The real-namespace harness, apart from the kernel model: a `Scenario`
 * rendered as a script that builds it in Linux network namespaces
 * (`exportNetns`), a real run's captures classified into dispositions and
 * paths (`observe`), and the comparison of those with the model's traces
 * and captures (`compareWithModel`).
 *
 * `runScenario` (`run.ts`) starts `ip netns`, `tcpdump` and the probes on the
 * machine, so it needs Node and root; it is not re-exported here, which keeps
 * this barrel usable in a browser.
 */
export { exportNetns, type ExportOptions } from './export.js';
export { observe, type Observation, type ProbeFacts, type TimedFrame } from './observe.js';
export { compareWithModel, compareFrames, maskRandomised, outcomeFromTrace, type ProbeOutcome, type Mismatch, type CompareOptions } from './compare.js';
export { scenarioFromNetwork, type FromNetworkOptions } from './from-network.js';
export { MISS_RESPONDER_PY, responderArgs } from './miss-responder.js';
