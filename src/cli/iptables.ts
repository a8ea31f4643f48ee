// `cnikit iptables` sub-commands. Filled in by the iptables work.
import type { Command } from 'commander';
import type { Io } from './io.js';

/** Registers the iptables sub-commands on `program`. */
export function registerIptables(_program: Command, _io: Io, _state: { status: number }): void {}
