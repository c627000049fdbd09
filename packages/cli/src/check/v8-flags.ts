/**
 * V8 settings for a short run of the SQL parser. The parser is WebAssembly that a run
 * uses for well under a second: V8's baseline compiler alone (Liftoff) gets through it
 * two to three times sooner than when V8 also recompiles its hot functions optimised
 * in the background, which competes with the run for the CPU and holds the process
 * open at its end until done (measured: `pnpm bench:check`). Call before the parser is
 * first loaded; the CLI's entry and the pre-commit hook's do.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneForShortRuns(): void {
  setFlagsFromString('--liftoff-only');
}
