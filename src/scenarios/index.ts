/** The seven scenarios checked against the real kernel (recorded runs in test/fixtures/kernel-scenarios). */
import type { Scenario } from '../kernel/scenario.js';
import { sameL2 } from './same-l2.js';
import { twoSubnets } from './two-subnets.js';
import { vxlanOverlay } from './vxlan-overlay.js';
import { blackhole } from './blackhole.js';
import { dropRule } from './drop-rule.js';
import { ttlExpiry } from './ttl-expiry.js';
import { mtuOverflow } from './mtu-overflow.js';

export { sameL2, twoSubnets, vxlanOverlay, blackhole, dropRule, ttlExpiry, mtuOverflow };
export { calicoSameL2, calicoTwoSubnets } from './calico.js';
export { flannelTwoNodes } from './flannel.js';

/** Every scenario: Calico routed (same-l2, two-subnets), Flannel VXLAN (vxlan-overlay), then the failure cases. */
export const SCENARIOS: readonly Scenario[] = [sameL2, twoSubnets, vxlanOverlay, blackhole, dropRule, ttlExpiry, mtuOverflow];

/** The scenario called `name`, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
export { MTU_SCENARIOS, mtuScenario, buildMtuScenario, applyMtuChanges, mtuChangeLines, type MtuScenario, type MtuChange, type MtuOptions, type DfMode, type MtuScenarioName } from './mtu.js';
