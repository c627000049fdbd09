/**
 * Independent histories checked side by side. A migrations folder is one history,
 * replayed in order, so one history is one unit of work; several (a monorepo, a folder
 * of projects) spread over worker threads. Workers are started as soon as the folders
 * are listed (one of them already by the CLI's entry: early.ts), so they load while the
 * calling thread reads its configuration; the calling thread works too, taking
 * histories from the same queue (a shared counter, largest first) — each thread reads
 * the files of the histories it takes.
 *
 * The report is the serial one: each history's report lands at its own index. A
 * worker that cannot start or dies leaves its histories to the calling thread, so a
 * history is never lost; an error in a worker is thrown as it would be serially.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkHistory, initParser, type CheckOptions, type CheckReport } from '@prisma-zd/core';
import { UserError, type ExitCode } from '../errors.js';
import { startWorker, takeEarlyWorker, type WorkerEntry } from './early.js';
import { folderProblems, withFolderProblems } from './folder-problems.js';
import { markInputs, readHistorySpec, type HistorySpec, type InputMarks } from './inputs.js';

/** Histories to check and how (what a worker is sent). */
export interface CheckJobs {
  readonly specs: readonly HistorySpec[];
  readonly marks: InputMarks;
  readonly options: CheckOptions;
}

/** The main thread's message to a worker. */
export interface WorkerTask {
  readonly jobs: CheckJobs;
  /** Spec indexes, largest first: the queue. */
  readonly order: readonly number[];
  /** `Int32Array` over a `SharedArrayBuffer`: the next position of `order` to take. */
  readonly next: Int32Array;
}

/** A worker's messages. */
export type WorkerMessage =
  | { readonly kind: 'report'; readonly job: number; readonly report: CheckReport | null }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly error: FailedError };

export interface FailedError {
  readonly message: string;
  readonly stack?: string;
  readonly user?: { readonly code: string; readonly hint?: string; readonly exit: ExitCode };
}

/** Fewer migrations than this in all: starting a worker (~100 ms) costs more than it saves. */
const MIN_PARALLEL_MIGRATIONS = 300;
const MAX_WORKERS = 3;

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** How many workers to start: `PRISMA_ZD_CHECK_THREADS` (threads in all; 1: none), else by size and cores. */
export function workerCount(specs: readonly HistorySpec[], env: NodeJS.ProcessEnv = process.env): number {
  if (specs.length < 2) return 0;
  const asked = env['PRISMA_ZD_CHECK_THREADS'];
  if (asked !== undefined && /^\d+$/.test(asked.trim())) return Math.min(Math.max(Number(asked) - 1, 0), specs.length - 1);
  if (specs.reduce((n, s) => n + s.size, 0) < MIN_PARALLEL_MIGRATIONS) return 0;
  return Math.max(0, Math.min(availableParallelism() - 1, specs.length - 1, MAX_WORKERS));
}

/** Workers started ahead of their task. */
export class CheckWorkers {
  private readonly workers: WorkerEntry[] = [];

  /**
   * Start `count` workers (none when run from sources: the worker is compiled JavaScript
   * beside this file). `script`: another worker script speaking the same messages.
   */
  constructor(count: number, script: URL = WORKER_URL) {
    if (count === 0 || !existsSync(fileURLToPath(script))) return;
    for (let i = 0; i < count; i++) {
      try {
        // The entry's early worker first (early.ts), when it runs this script.
        this.workers.push((script.href === WORKER_URL.href ? takeEarlyWorker() : undefined) ?? startWorker(script));
      } catch {
        break;
      }
    }
  }

  /** Histories checked by the workers in the last `check` (the rest were checked on the calling thread). */
  inWorkers = 0;

  /** Threads that checked histories: the calling one and the workers started. */
  get threads(): number {
    return 1 + this.workers.length;
  }

  /** Check each spec's history; the reports in the specs' order (null: nothing reported in it). */
  async check(jobs: CheckJobs): Promise<Array<CheckReport | null>> {
    const order = jobs.specs.map((_, i) => i).sort((a, b) => jobs.specs[b]!.size - jobs.specs[a]!.size);
    const next = new Int32Array(new SharedArrayBuffer(4));
    const reports: Array<CheckReport | null | undefined> = new Array(jobs.specs.length);
    let failure: FailedError | undefined;
    const finished = this.workers.map((w) => runTask(w, { jobs, order, next }, reports, (e) => (failure ??= e)));
    const here = new Set<number>();
    for (;;) {
      const position = Atomics.add(next, 0, 1);
      if (position >= order.length) break;
      const job = order[position]!;
      reports[job] = await checkSpec(jobs, job);
      here.add(job);
    }
    await Promise.all(finished);
    this.inWorkers = reports.filter((r, i) => r !== undefined && !here.has(i)).length;
    if (failure) throw rebuild(failure);
    // A worker that died took jobs it never reported: they are done here.
    const out: Array<CheckReport | null> = [];
    for (let i = 0; i < reports.length; i++) out.push(reports[i] !== undefined ? reports[i]! : await checkSpec(jobs, i));
    return out;
  }

  /** Stop the workers (they are idle or done). */
  close(): void {
    for (const w of this.workers) void w.worker.terminate();
  }
}

/** One history, read, marked and checked; null when none of its migrations is reported. */
export async function checkSpec(jobs: CheckJobs, job: number): Promise<CheckReport | null> {
  const folder = markInputs(readHistorySpec(jobs.specs[job]!, jobs.marks.cwd), jobs.marks);
  const problems = folderProblems(folder.refusals, jobs.marks.cwd);
  if (!folder.inputs.some((i) => i.report !== false)) return withFolderProblems(null, problems);
  await initParser();
  return withFolderProblems(checkHistory(folder.inputs, jobs.options), problems);
}

export function failedError(e: unknown): FailedError {
  if (!(e instanceof Error)) return { message: String(e) };
  return {
    message: e.message,
    ...(e.stack === undefined ? {} : { stack: e.stack }),
    ...(e instanceof UserError ? { user: { code: e.code, exit: e.exit, ...(e.hint === undefined ? {} : { hint: e.hint }) } } : {}),
  };
}

function rebuild(f: FailedError): Error {
  if (f.user) return new UserError({ code: f.user.code, message: f.message, exit: f.user.exit, ...(f.user.hint === undefined ? {} : { hint: f.user.hint }) });
  const error = new Error(f.message);
  if (f.stack !== undefined) error.stack = f.stack;
  return error;
}

/** Resolves when the worker is done or gone; never rejects (what it did not report is redone). */
function runTask(entry: WorkerEntry, task: WorkerTask, reports: Array<CheckReport | null | undefined>, fail: (e: FailedError) => void): Promise<void> {
  const { worker } = entry;
  if (entry.gone) return Promise.resolve();
  return new Promise((resolve) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.kind === 'report') reports[m.job] = m.report;
      else if (m.kind === 'failed') fail(m.error);
      else settle();
    };
    const settle = () => {
      worker.off('message', onMessage).off('exit', settle).off('error', settle);
      worker.unref();
      resolve();
    };
    worker.on('message', onMessage).on('exit', settle).on('error', settle);
    worker.ref();
    worker.postMessage(task);
  });
}
