#!/usr/bin/env node
import { tuneForShortRuns } from '../dist/check/v8-flags.js';

// `check` is short and runs in hooks and CI: before a large parse it may start node again
// with V8 flags that this node only takes on its command line (see v8-flags.ts).
tuneForShortRuns({ restart: process.argv[2] === 'check' });
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
