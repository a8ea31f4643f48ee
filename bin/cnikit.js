#!/usr/bin/env node
import { run } from '../dist/src/cli/main.js';

const status = await run(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
process.exitCode = status;
