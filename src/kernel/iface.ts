/** Network devices of the model (`ip link`); they live in netns.ts with their namespace. */
export { Iface, type IfKind, type IfAddr, type VxlanParams, type TunAgent } from './netns.js';
