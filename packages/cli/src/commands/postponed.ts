import { quoteIdent, type EntryKind } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { connect, describeServer } from '../db/connect.js';
import { deleteEntries, entryJson, entryTable, KINDS, markCancelled, readEntries, STATUSES, type EntryStatus, type QueueEntry } from '../queue/entries.js';
import { acquireQueueLock, releaseQueueLock } from '../queue/lock.js';
import { mapQueueErrors } from '../queue/privileges.js';
import { progressView } from '../queue/progress.js';
import { countsLine, entryLines, runSummary } from '../queue/render.js';
import { runPostponed, type RunOptions, type RunResult } from '../queue/runner.js';
import { notSetUpError, requireCurrentSchema } from '../queue/schema.js';
import { interruptSignal, queueTarget, type TargetArgs } from '../queue/target.js';
import type { Output } from '../util/output.js';
import { defineCommand, projectOptions } from './command.js';

const NOT_SET_UP = 'prisma-zd is not set up on this database (nothing is queued): run `prisma-zd setup`';

export interface ListResult {
  setUp: boolean;
  entries: QueueEntry[];
}

/** The queue's entries (none when prisma-zd is not set up on the database). */
export async function listPostponed(url: string, filter: { status?: EntryStatus[]; kind?: EntryKind[] } = {}): Promise<ListResult> {
  const client = await connect(url, { applicationName: 'postponed-list' });
  try {
    if (!(await requireCurrentSchema(client))) return { setUp: false, entries: [] };
    return { setUp: true, entries: await readEntries(client, filter) };
  } finally {
    await client.end().catch(() => {});
  }
}

export interface CleanupResult {
  setUp: boolean;
  removed: QueueEntry[];
}

/** Removes finished entries (done, cancelled), or every entry with `all`. Holds the queue lock. */
export async function cleanupPostponed(url: string, all: boolean): Promise<CleanupResult> {
  const client = await connect(url, { applicationName: 'postponed-cleanup' });
  try {
    if (!(await requireCurrentSchema(client))) return { setUp: false, removed: [] };
    await acquireQueueLock(client, '`postponed cleanup`');
    try {
      return { setUp: true, removed: await deleteEntries(client, all ? undefined : ['done', 'cancelled']) };
    } finally {
      await releaseQueueLock(client).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

export interface CancelResult {
  setUp: boolean;
  cancelled: QueueEntry[];
}

/**
 * Cancels open entries (pending or failed) by id, under the queue lock: the way out for
 * work that can no longer be done as queued (the object was changed by hand, an entry
 * not written by rewrite). Refuses ids that do not exist or are not open; cancels none then.
 */
export async function cancelPostponed(url: string, ids: readonly number[], reason: string): Promise<CancelResult> {
  const client = await connect(url, { applicationName: 'postponed-cancel' });
  try {
    if (!(await requireCurrentSchema(client))) return { setUp: false, cancelled: [] };
    await acquireQueueLock(client, '`postponed cancel`');
    try {
      const byId = new Map((await readEntries(client)).map((e) => [e.id, e]));
      const problems = ids.flatMap((id) => {
        const e = byId.get(id);
        if (!e) return [`#${id} is not in the queue`];
        return e.status === 'pending' || e.status === 'failed' ? [] : [`#${id} is ${e.status}, not pending or failed`];
      });
      if (problems.length) {
        throw new UserError({
          code: 'ZD_NOT_CANCELLABLE',
          message: `Nothing was cancelled: ${problems.join('; ')}.`,
          hint: 'See the queue with `prisma-zd postponed list`; only pending and failed entries can be cancelled.',
          exit: ExitCode.Usage,
        });
      }
      for (const id of ids) await markCancelled(client, id, `cancelled by hand: ${reason}`);
      return { setUp: true, cancelled: (await readEntries(client)).filter((e) => ids.includes(e.id)) };
    } finally {
      await releaseQueueLock(client).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

function exitOf(r: RunResult): ExitCode {
  if (r.interrupted) return ExitCode.Interrupted;
  if (r.outcomes.some((o) => o.status === 'failed')) return ExitCode.PostponedFailed;
  if (r.outcomes.some((o) => o.status === 'connection-lost')) return ExitCode.Connection;
  return ExitCode.Ok;
}

/** `--status pending,failed` and `--status pending --status failed` alike. */
const csv = (values: unknown) =>
  values === undefined ? undefined : ([] as unknown[]).concat(values).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);

export const postponedCommand = defineCommand({
  command: 'postponed [action]',
  describe: 'The postponed work: `run` builds queued indexes CONCURRENTLY, validates constraints and sets NOT NULL without a scan; `list` (default); `cleanup`; `cancel --id <n>`',
  builder: (y) =>
    projectOptions(y)
      .positional('action', {
        choices: ['run', 'list', 'cleanup', 'cancel'] as const,
        default: 'list' as const,
        describe: 'run: do the pending work · list: show the queue · cleanup: remove done and cancelled entries · cancel: give up open entries',
      })
      .option('fail-fast', { alias: 'x', type: 'boolean', default: false, describe: 'run: stop at the first failure' })
      .option('maintenance-work-mem', { type: 'string', describe: 'run: maintenance_work_mem for builds, e.g. 1GB' })
      .option('max-parallel-workers', {
        type: 'number',
        describe: 'run: max_parallel_maintenance_workers for builds',
      })
      .option('status', { type: 'string', array: true, coerce: csv, describe: `list: only entries in these states (${STATUSES.join(', ')})` })
      .option('kind', { type: 'string', array: true, coerce: csv, describe: `list: only entries of these kinds (${KINDS.join(', ')})` })
      .option('all', { type: 'boolean', default: false, describe: 'cleanup: remove every entry, pending ones included' })
      .option('id', { type: 'number', array: true, describe: 'cancel: the entries to cancel (ids from `postponed list`)' })
      .option('reason', { type: 'string', describe: 'cancel: why (kept in the entry)' }),
  async run(argv, out) {
    checkOptions(argv);
    const action = argv.action ?? 'list';
    if (action === 'list') return runList(argv, out);
    if (action === 'cleanup') return runCleanup(argv, out);
    if (action === 'cancel') return runCancel(argv, out);
    return runRun(argv, out);
  },
});

function usage(message: string): UserError {
  return new UserError({ code: 'ZD_USAGE', message, hint: 'prisma-zd postponed --help', exit: ExitCode.Usage });
}

/** Values yargs cannot check by itself (comma-separated lists, whole numbers). */
function checkOptions(a: Argv): void {
  for (const s of a.status ?? []) {
    if (!(STATUSES as readonly string[]).includes(s)) throw usage(`Unknown --status ${s}: use ${STATUSES.join(', ')}.`);
  }
  for (const k of a.kind ?? []) {
    if (!(KINDS as readonly string[]).includes(k)) throw usage(`Unknown --kind ${k}: use ${KINDS.join(', ')}.`);
  }
  for (const id of a.id ?? []) {
    // yargs reads a word given to a number option as NaN: the word itself is gone.
    if (!(Number.isInteger(id) && id > 0)) throw usage(`--id takes entry ids (whole numbers from \`prisma-zd postponed list\`)${Number.isNaN(id) ? '' : `, not ${id}`}.`);
  }
  // Only `run` reads the migrations folder (it checks entries against it); list, cleanup and
  // cancel read the database alone: a flag accepted and ignored would say it did something.
  if ((a.action ?? 'list') !== 'run' && a.migrations !== undefined) {
    throw usage(`--migrations is read by \`postponed run\` only (it checks the queued entries against the folder); \`postponed ${a.action ?? 'list'}\` reads the database alone: drop the option.`);
  }
  if (a.action === 'cancel' && !a.id?.length) throw usage('postponed cancel needs the entries to cancel: --id <n> (see `prisma-zd postponed list`).');
  const n = a.maxParallelWorkers;
  if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw usage('--max-parallel-workers takes a whole number ≥ 0.');
}

type Argv = TargetArgs & {
  action?: string;
  id?: number[];
  reason?: string;
  json?: boolean;
  status?: string[];
  kind?: string[];
  all?: boolean;
  failFast?: boolean;
  maintenanceWorkMem?: string;
  maxParallelWorkers?: number;
};

async function runList(argv: Argv, out: Output): Promise<ExitCode> {
  const target = await queueTarget(argv, false);
  const r = await mapQueueErrors(target.url, 'prisma-zd postponed list', () =>
    listPostponed(target.url, {
      ...(argv.status ? { status: argv.status as EntryStatus[] } : {}),
      ...(argv.kind ? { kind: argv.kind as EntryKind[] } : {}),
    }),
  );
  if (argv.json) {
    out.out(JSON.stringify({ command: 'postponed list', setUp: r.setUp, entries: r.entries.map(entryJson) }));
  } else if (!r.setUp) {
    out.out(NOT_SET_UP);
  } else {
    out.out(`Queue of ${describeServer(target.url)}: ${countsLine(r.entries)}`);
    for (const e of r.entries) for (const line of entryLines(out, e)) out.out(line);
  }
  return ExitCode.Ok;
}

async function runCleanup(argv: Argv, out: Output): Promise<ExitCode> {
  const target = await queueTarget(argv, false);
  const r = await mapQueueErrors(target.url, 'prisma-zd postponed cleanup', () => cleanupPostponed(target.url, Boolean(argv.all)));
  if (argv.json) {
    out.out(JSON.stringify({ command: 'postponed cleanup', setUp: r.setUp, removed: r.removed.map(entryJson) }));
  } else if (!r.setUp) {
    out.out(NOT_SET_UP);
  } else {
    out.out(`Removed ${r.removed.length} entr${r.removed.length === 1 ? 'y' : 'ies'}${argv.all ? ' (--all)' : ' (done and cancelled)'}.`);
    for (const e of r.removed) for (const line of entryLines(out, e)) out.out(`  ${line}`);
  }
  return ExitCode.Ok;
}

async function runCancel(argv: Argv, out: Output): Promise<ExitCode> {
  const target = await queueTarget(argv, false);
  const ids = [...new Set(argv.id!)];
  const r = await mapQueueErrors(target.url, 'prisma-zd postponed cancel', () => cancelPostponed(target.url, ids, argv.reason ?? 'no reason given'));
  if (!r.setUp) throw notSetUpError();
  if (argv.json) {
    out.out(JSON.stringify({ command: 'postponed cancel', cancelled: r.cancelled.map(entryJson) }));
  } else {
    out.out(`Cancelled ${r.cancelled.length} entr${r.cancelled.length === 1 ? 'y' : 'ies'}:`);
    for (const e of r.cancelled) for (const line of entryLines(out, e)) out.out(`  ${line}`);
  }
  // What was queued will not happen: the database's schema now differs from the history's there.
  const built = r.cancelled.filter((e) => e.kind !== 'contract');
  if (built.length) out.err(`note: ${built.map((e) => `#${e.id}`).join(', ')} will not be done (built, validated or set NOT NULL): the database differs from the migration history there until you do it by hand or in a new migration (\`prisma-zd verify\` shows the difference).`);
  for (const e of r.cancelled.filter((x) => x.kind === 'not-null' && x.objectName)) {
    const table = entryTable(e);
    out.err(
      `note: #${e.id}: ${table} keeps the check ${quoteIdent(e.objectName!)} (NOT VALID: new writes must still set ${quoteIdent(e.columns[0] ?? '?')}); ` +
        `to let them leave it empty again: ALTER TABLE ${table} DROP CONSTRAINT ${quoteIdent(e.objectName!)};`,
    );
  }
  return ExitCode.Ok;
}

async function runRun(argv: Argv, out: Output): Promise<ExitCode> {
  const target = await queueTarget(argv, true);
  const view = progressView(out);
  const interrupt = interruptSignal(out);
  const log = (t: string) => {
    view.clear();
    out.err(t);
  };
  const options: RunOptions = {
    url: target.url,
    migrationsDir: target.migrationsDir,
    schema: target.schema,
    execution: target.execution,
    failFast: Boolean(argv.failFast),
    ...(argv.maintenanceWorkMem === undefined ? {} : { maintenanceWorkMem: argv.maintenanceWorkMem }),
    ...(argv.maxParallelWorkers === undefined ? {} : { maxParallelWorkers: argv.maxParallelWorkers }),
    signal: interrupt.signal,
    reporter: { log, progress: view.update, clearProgress: view.clear },
  };
  let result: RunResult;
  try {
    result = await mapQueueErrors(target.url, 'prisma-zd postponed run', () => runPostponed(options));
  } finally {
    interrupt.dispose();
  }
  if (!result.setUp) throw notSetUpError();
  const exit = exitOf(result);
  if (argv.json) {
    out.out(
      JSON.stringify({
        command: 'postponed run',
        exitCode: exit,
        setUp: true,
        stale: result.stale,
        reconcile: result.reconcile,
        entries: result.outcomes,
        interrupted: result.interrupted,
        remaining: result.remaining,
        contractPending: result.contractPending,
      }),
    );
    for (const line of runSummary(out, result)) out.err(line);
  } else {
    for (const line of runSummary(out, result)) out.out(line);
  }
  return exit;
}
