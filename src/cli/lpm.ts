// `cnikit lpm` sub-commands. Filled in by the lpm work.
import type { Command } from 'commander';
import type { Io } from './io.js';

/** Registers the lpm sub-commands on `program`. */
export function registerLpm(_program: Command, _io: Io, _state: { status: number }): void {}
