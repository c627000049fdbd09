#!/usr/bin/env node
import { startEarlyWorker } from '../dist/check/early.js';
import { beforeParsing, tuneForShortRuns } from '../dist/check/v8-flags.js';

// `check` is short and runs in hooks and CI: before a large parse it may start node again
// with V8 flags that this node only takes on its command line (see v8-flags.ts). A check
// that is not --staged replays a whole history: where that needs a new node, start it now,
// before this one loads and reads what the new one would load and read again.
const check = process.argv[2] === 'check';
tuneForShortRuns({ restart: check });
if (check && !process.argv.includes('--staged')) await beforeParsing(Number.POSITIVE_INFINITY);
// Several histories named: one worker thread starts loading now, beside the rest (early.ts).
if (check) startEarlyWorker(process.argv.slice(2));
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
