/** `cnikit ping`: iputils ping on the simulated clock, and the Flannel pairs it runs on. */
export { ping, pingText, rttText, type PingLine, type PingOptions, type PingResult, type PingSeq } from './ping.js';
export { buildPingScenario, pingFlavour, pingPod, FLANNEL_MTU, PING_NETWORK, PING_NODES, PING_SCENARIOS, type PingFlavour, type PingNode, type PingScenarioOptions } from './scenarios.js';
