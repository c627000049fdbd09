#!/usr/bin/env node
import { tuneForShortRuns } from '../dist/check/v8-flags.js';

tuneForShortRuns();
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
