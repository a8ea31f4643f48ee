// Route tables: the WASM-backed RouteTable and its TS reference.
export { RouteTable } from './route-table.js';
export type { RouteTableOptions } from './route-table.js';
export { ReferenceTable } from './reference.js';
export type { Route, Family } from './reference.js';
export { LPM_NEXT_HOP_MAX, LPM_NO_ROUTE } from '../../assembly/shared/lpm.js';
