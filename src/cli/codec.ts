// `cnikit codec` sub-commands. Filled in by the codec work.
import type { Command } from 'commander';
import type { Io } from './io.js';

/** Registers the codec sub-commands on `program`. */
export function registerCodec(_program: Command, _io: Io, _state: { status: number }): void {}
