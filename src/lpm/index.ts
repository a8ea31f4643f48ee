// Route tables (issue #2): RouteTable and its reference. Filled in by the LPM work.
export {};
