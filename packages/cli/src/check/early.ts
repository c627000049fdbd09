/**
 * A worker thread of `check` started by the CLI's entry, before the CLI itself loads.
 * A worker needs ~40 ms on an idle core to load prisma-zd and the parser, and twice
 * that while the calling thread loads beside it; started where `parallel.ts` would start
 * it (after the command line, the config and the folders are read), it took its first
 * history ~100 ms after the calling thread had begun. Started first thing, it is ready
 * about when the calling thread is (`pnpm bench:check`: the corpus's 11 histories on two
 * cores, ~20 ms sooner in all).
 *
 * Only where `check` will most likely want a worker: a path named that is a folder of
 * migrations folders (a folder of projects, a monorepo), on a machine with more than one
 * core, threads not limited to one. `CheckWorkers` takes it; when the histories turn out
 * too few, it is stopped unused (its cost: the other core's ~40 ms). This module loads
 * nothing but node's own modules: it runs before anything else is loaded.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface WorkerEntry {
  readonly worker: Worker;
  gone: boolean;
}

/** Started by `startEarlyWorker`, not yet taken. */
const early: WorkerEntry[] = [];

/** check's options that take a value (their value is not a path). */
export const VALUED_OPTIONS: ReadonlySet<string> = new Set(['--format', '--fail-on', '--database-url', '--url', '--since', '--migrations', '--schema', '--config']);

/**
 * Does this command line (without node and the script) most likely check several
 * histories on several threads? `check`, neither `--staged` nor `--since`, and a named
 * folder that is neither a migrations folder nor a migration's directory.
 */
export function earlyWorkerWanted(argv: readonly string[], cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): boolean {
  if (argv[0] !== 'check' || cores < 2) return false;
  const threads = env['PRISMA_ZD_CHECK_THREADS']?.trim();
  if (threads !== undefined && /^\d+$/.test(threads) && Number(threads) < 2) return false;
  const paths: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--staged' || a === '--since' || a.startsWith('--since=') || a === '--help' || a === '-h') return false;
    if (VALUED_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) paths.push(a);
  }
  return paths.some((p) => holdsFolders(resolve(cwd, p)));
}

/** A folder whose migrations are further down than its sub-directories (not one history's folder, nor a migration). */
function holdsFolders(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory() || existsSync(join(dir, 'migration.sql'))) return false;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && existsSync(join(dir, e.name, 'migration.sql'))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** A worker for `check`, watched: one that fails to start or exits is marked gone (its share falls to the calling thread). */
export function startWorker(script: URL): WorkerEntry {
  const entry = { worker: new Worker(script, { stdout: false, stderr: false }), gone: false };
  entry.worker.on('error', () => (entry.gone = true));
  entry.worker.on('exit', () => (entry.gone = true));
  // Never what keeps the process alive: an early error leaves without it.
  entry.worker.unref();
  return entry;
}

/** The entry's call: start a worker now when `earlyWorkerWanted`. Never throws (the worker is only an advance). */
export function startEarlyWorker(argv: readonly string[]): void {
  try {
    const script = new URL('./worker.js', import.meta.url);
    // Run from sources, there is no compiled worker beside this file (nor does parallel.ts start one).
    if (earlyWorkerWanted(argv) && existsSync(script)) early.push(startWorker(script));
  } catch {
    // No worker yet: parallel.ts starts the ones it needs.
  }
}

/** An early worker still running, for `CheckWorkers` to use. */
export function takeEarlyWorker(): WorkerEntry | undefined {
  let entry: WorkerEntry | undefined;
  while ((entry = early.shift()) && entry.gone);
  return entry;
}

/** Stop the early workers not taken (the histories were too few to want them). */
export function stopEarlyWorkers(): void {
  for (const entry of early.splice(0)) void entry.worker.terminate();
}
