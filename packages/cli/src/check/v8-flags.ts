/**
 * V8 settings for the short runs of the CLI (measured with `pnpm bench:check`):
 *
 * - `--liftoff-only`: the SQL parser is WebAssembly that a run uses for well under a
 *   second. V8's baseline compiler alone (Liftoff) gets through it two to three times
 *   sooner than when V8 also recompiles its hot functions optimised in the background,
 *   which competes with the run for the CPU and holds the process open at its end.
 * - `--interrupt-budget`: the same for JavaScript. A check runs a lot of code a few
 *   thousand times each; with V8's default budget most of it is sent to the optimising
 *   compiler, whose background work (≈ 0.6 s of CPU on the corpus) takes the core that
 *   check's worker threads would use, and mostly finishes after the run needed it. A
 *   larger budget optimises only what runs long enough to repay it.
 *
 * Call before the parser is first loaded; the CLI's entry and the pre-commit hook's do.
 * Both flags are process-wide, so worker threads share them.
 */
import { setFlagsFromString } from 'node:v8';

export function tuneForShortRuns(): void {
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--interrupt-budget=1000000');
}
