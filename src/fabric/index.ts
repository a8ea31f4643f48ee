// The fabric between nodes (issue #5): L2 segments (learning switches).
export { Segment, portName } from './segment.js';
