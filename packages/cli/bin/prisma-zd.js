#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// The SQL parser is WebAssembly that one run uses for well under a second. V8's
// baseline compiler alone (Liftoff) gets through it two to three times sooner than
// when V8 also recompiles it optimised in the background, which competes with the run
// for the CPU (measured: `pnpm bench:check`). Set before the parser is first compiled.
setFlagsFromString('--liftoff-only');

const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
