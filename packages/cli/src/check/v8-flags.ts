/**
 * V8 settings for the CLI's short runs (measured with `pnpm bench:check`, on the Node.js
 * lines users run: 20, 22, 24, and 26):
 *
 * - `--liftoff-only`: the SQL parser is WebAssembly that a run uses for well under a
 *   second. V8's baseline compiler alone (Liftoff) gets through it sooner than when V8
 *   also recompiles its hot functions optimised in the background, which competes with
 *   the run for the CPU and holds the process open at its end: on Node 24, one parse
 *   sends the parser's largest function to the optimising compiler and the process
 *   waits ~350 ms for it at exit (a pre-commit hook's whole budget).
 * - Later optimisation of JavaScript (`--interrupt-budget` on V8 11,
 *   `--invocation-count-for-*` from V8 12): a check runs a lot of code a few thousand
 *   times each; with V8's defaults most of it is sent to the optimising compilers, whose
 *   background work (≈ 0.6 s of CPU on the corpus) takes the core that check's worker
 *   threads would use, and mostly finishes after the run needed it.
 *
 * Each V8 major takes its own flags: a flag a V8 does not know prints an error line on
 * every run (Node 22 printed one for `--interrupt-budget`), so only the majors measured
 * here are tuned, and an unknown one runs untuned. V8 11 and 12 take the flags at run
 * time. V8 13 and 14 (Node 24, 26) accept them at run time but their WebAssembly and
 * tiering settings keep the values of the command line. There, a larger tiering budget
 * (which they do take at run time) keeps a small parse (a commit's migration) from
 * reaching the optimising compiler, and a `check` that parses at least
 * `RESTART_FROM_MIGRATIONS` migrations starts node again with the flags on its command
 * line (~55 ms for a second start of node, against ~300 ms waited at exit); see
 * `beforeParsing`. A `check` that is not `--staged` replays a whole history, so the CLI's
 * entry starts the tuned node at once, before loading what it would load again.
 *
 * `PRISMA_ZD_V8_TUNING=off` runs untuned; `=show` prints on stderr what the run used.
 * Flags are process-wide, so worker threads share them.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { setFlagsFromString } from 'node:v8';

const WASM = '--liftoff-only';
/** Set in the environment of a node started again, so that it never starts another. */
const RESTARTED = 'PRISMA_ZD_V8_RESTARTED';

export interface V8Tuning {
  /** Flags to set in this process. */
  readonly runtime: readonly string[];
  /** Flags this V8 only honours on its command line: start node again with them (empty: no need). */
  readonly restart: readonly string[];
}

const NONE: V8Tuning = { runtime: [], restart: [] };

/** The tuning for a V8 version (`process.versions.v8`) and node's command-line flags. */
export function v8Tuning(v8Version: string, execArgv: readonly string[]): V8Tuning {
  const major = Number.parseInt(v8Version, 10);
  const js = ['--invocation-count-for-turbofan=100000', '--invocation-count-for-maglev=10000'];
  switch (major) {
    case 11: // Node 20
      return { runtime: [WASM, '--interrupt-budget=1000000'], restart: [] };
    case 12: // Node 22
      return { runtime: [WASM, ...js], restart: [] };
    case 13: // Node 24
    case 14: // Node 26
      return execArgv.includes(WASM) ? NONE : { runtime: ['--wasm-tiering-budget=2147483647'], restart: [WASM, ...js] };
    default:
      return NONE;
  }
}

/**
 * From this many migrations to parse, node is started again where the flags need its
 * command line. Measured on Node 24 with the larger tiering budget: parsing the first 20
 * migrations of the corpus's largest history (14 KB of SQL) left nothing to wait for at
 * exit, the first 40 (20 KB) the full ~350 ms.
 */
export const RESTART_FROM_MIGRATIONS = 20;

export interface TuneOptions {
  /** May node be started again before a large parse (the command is short, its output not yet begun)? */
  readonly restart?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

let restartArmed: { readonly flags: readonly string[]; readonly env: NodeJS.ProcessEnv } | undefined;

/** Tune V8 for a short run. Call first thing, before the parser is loaded. */
export function tuneForShortRuns(options: TuneOptions = {}): void {
  const env = options.env ?? process.env;
  const mode = env['PRISMA_ZD_V8_TUNING'];
  // Bun and Deno report a V8 version of the Node.js they mimic: not theirs to tune.
  if (mode === 'off' || process.release.name !== 'node' || 'bun' in process.versions || 'deno' in process.versions) return;
  const tuning = v8Tuning(process.versions.v8, process.execArgv);
  for (const flag of tuning.runtime) setFlagsFromString(flag);
  const restart = tuning.restart.length > 0 && options.restart === true && env[RESTARTED] === undefined;
  if (restart) restartArmed = { flags: tuning.restart, env };
  if (mode === 'show') {
    const applied = tuning.runtime.length ? `set at run time: ${tuning.runtime.join(' ')}` : 'none set at run time';
    const later = restart ? `; from ${RESTART_FROM_MIGRATIONS} migrations parsed, node starts again with ${tuning.restart.join(' ')}` : '';
    process.stderr.write(`prisma-zd: V8 ${process.versions.v8} (node ${process.version}, pid ${process.pid}); flags ${applied}; on the command line: ${process.execArgv.join(' ') || 'none'}${later}\n`);
  }
}

/** May `beforeParsing` still start node again? (Then loading the parser can wait until it has decided.) */
export function restartMayCome(): boolean {
  return restartArmed !== undefined;
}

/**
 * Call before parsing `migrations` migrations, before any output. Where the entry allowed
 * it and this V8 needs its command line for the flags, a large parse runs the command
 * again in a node started with them, and this promise never settles: the process ends
 * as that one ends. Otherwise (a library call, a small parse, a tuned node) it resolves
 * at once.
 */
export async function beforeParsing(migrations: number): Promise<void> {
  if (!restartArmed || migrations < RESTART_FROM_MIGRATIONS) return;
  const { flags, env } = restartArmed;
  restartArmed = undefined;
  await restartTuned(flags, env);
}

/**
 * Run this command again in a node started with `flags`, with the same stdio, and end
 * as it ends (its exit code, or the signal that stopped it). Signals sent to this
 * process are passed on. If node cannot be started again, the command runs here,
 * untuned (nothing is lost but time).
 */
function restartTuned(flags: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolveUntuned) => {
    const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
    let started = false;
    const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...env, [RESTARTED]: '1' },
    });
    const pass = (signal: NodeJS.Signals) => {
      // A terminal's Ctrl-C reaches the whole process group: the child has it already.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const stopPassing = () => signals.forEach((s) => process.off(s, pass));
    child.once('spawn', () => {
      started = true;
      signals.forEach((s) => process.on(s, pass));
    });
    child.once('error', () => {
      if (started) return;
      stopPassing();
      resolveUntuned();
    });
    child.once('exit', (code, signal) => {
      stopPassing();
      if (signal) {
        process.kill(process.pid, signal);
        // Still here (a signal this process ignores): the shell's code for it.
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
      process.exit(code ?? 1);
    });
  });
}
