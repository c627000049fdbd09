/**
 * `postponed run`: builds the queued indexes CONCURRENTLY and validates the queued
 * constraints, one at a time, in id order. One runner per database (the queue lock);
 * what a killed runner left behind (an entry marked running, an INVALID index) is
 * completed by the next run (I5). Reconciliation with the applied history comes first.
 */
import type pg from 'pg';
import {
  checkQueueStatement,
  concurrentIndexStatement,
  dropNotNullCheckStatement,
  formatQualifiedName,
  initParser,
  parseSql,
  QUEUE_TABLE,
  quoteIdent,
  validateStatement,
} from '@prisma-zd/core';
import { setSettings } from '../db/connect.js';
import { acquireQueueLock, releaseQueueLock } from './lock.js';
import { entryLabel, markDone, markFailed, markPending, markRunning, readEntries, type QueueEntry } from './entries.js';
import { dbFailure, isConnectionLoss, nextStep, REFUSED, type DbFailure } from './failure.js';
import { readBuildProgress, type BuildProgress } from './progress.js';
import { reconcileLines, reconcileQueue, type ReconcileReport } from './reconcile.js';
import { requireCurrentSchema } from './schema.js';
import { prismaMigrationsSchema, urlSchema } from '../db/search-path.js';
import { QueueSessions, recoverStaleEntries, type StaleEntry, type WorkerSettings } from './session.js';

export const RUN_COMMAND = 'prisma-zd postponed run';

/** Where a run reports as it goes; the CLI renders it, a library caller may ignore it. */
export interface RunReporter {
  log(text: string): void;
  progress(label: string, p: BuildProgress | undefined, elapsedMs: number): void;
  clearProgress(): void;
}

export const silentReporter: RunReporter = { log() {}, progress() {}, clearProgress() {} };

export interface RunOptions extends WorkerSettings {
  url: string;
  /** The migrations folder for reconciliation; undefined: reconciliation is skipped (and said so). */
  migrationsDir: string | undefined;
  /** Schema of `_prisma_migrations` and default schema of unqualified names (default `public`). */
  schema?: string;
  /** How Prisma runs the migrations, for reconciliation (default `unknown`). */
  execution?: 'whole-file' | 'per-statement' | 'unknown';
  /** Stop at the first failure (the rest stays pending). */
  failFast?: boolean;
  /**
   * Wait this long for the queue lock instead of failing at once (deploy: another runner
   * that slipped in between the migrations and the postponed work does the same work).
   */
  lockWaitMs?: number;
  /** Aborting cancels the running statement, drops its leftover, and ends the run. */
  signal?: AbortSignal;
  reporter?: RunReporter;
}

/** `connection-lost`: the statement's session ended under it (terminated, server restart); the entry is pending again. */
/** `set-not-null-scanned`: NOT NULL set, but PostgreSQL scanned the table for it under its lock (it said so). */
export type OutcomeStatus = 'built' | 'validated' | 'set-not-null' | 'set-not-null-scanned' | 'already' | 'failed' | 'interrupted' | 'connection-lost';

export interface EntryOutcome {
  id: number;
  kind: QueueEntry['kind'];
  label: string;
  status: OutcomeStatus;
  durationMs: number;
  attempts: number;
  sqlstate?: string | null;
  error?: string;
  /** For failures: what to do, ending with the command to run. */
  next?: string;
}

export interface RunResult {
  /** False when the bookkeeping schema is not installed: nothing can be queued. */
  setUp: boolean;
  stale: StaleEntry[];
  reconcile: ReconcileReport;
  outcomes: EntryOutcome[];
  interrupted: boolean;
  /** Index/validate entries still open that this run did not fail on (not reached after -x, or interrupted). */
  remaining: number;
  /** Contract entries waiting for `prisma-zd contract`. */
  contractPending: number;
}

interface Ctx {
  sessions: QueueSessions;
  opts: RunOptions;
  reporter: RunReporter;
}

/** Runs the postponed work of the database at `opts.url`. */
export async function runPostponed(opts: RunOptions): Promise<RunResult> {
  await initParser();
  const reporter = opts.reporter ?? silentReporter;
  const result: RunResult = {
    setUp: false,
    stale: [],
    reconcile: { cancelled: [], updated: [], refused: [], warnings: [] },
    outcomes: [],
    interrupted: false,
    remaining: 0,
    contractPending: 0,
  };
  const sessions = await QueueSessions.open(opts.url, 'postponed', opts);
  const ctx: Ctx = { sessions, opts, reporter };
  const onAbort = () => {
    if (sessions.inFlight) void sessions.cancelWorker();
  };
  opts.signal?.addEventListener('abort', onAbort);
  try {
    const { control } = sessions;
    if (!(await requireCurrentSchema(control))) return result;
    result.setUp = true;
    await acquireQueueLock(control, '`postponed run`', opts.lockWaitMs ?? 0);
    try {
      await sessions.worker(); // Settings are checked before anything changes.
      result.stale = await recoverStaleEntries(control);
      for (const s of result.stale) {
        reporter.log(`#${s.id} was left running by a run that ended (backend pid ${s.pid ?? '?'}): it is pending again`);
      }
      result.reconcile = await reconcileQueue(control, {
        migrationsDir: opts.migrationsDir,
        schema: urlSchema(opts.url) ?? (await prismaMigrationsSchema(control, opts.url)),
        ...(opts.execution ? { execution: opts.execution } : {}),
      });
      for (const line of reconcileLines(result.reconcile)) reporter.log(line);
      const refused = new Set(result.reconcile.refused.map((r) => r.id));
      // Entries of a failed, unresolved migration: never built before it is applied.
      const held = new Set((result.reconcile.held ?? []).map((h) => h.id));
      // A refusal is judged again on every run against the folder given: a run with the
      // right folder builds what a run with a wrong one refused. Without a folder to judge
      // by, an earlier refusal stands.
      const judged = result.reconcile.skipped === undefined;
      const entries = await readEntries(control, { status: ['pending', 'failed'], kind: ['index', 'validate', 'not-null'] });
      for (const entry of entries) {
        if (held.has(entry.id)) continue;
        if (refused.has(entry.id) || (!judged && entry.error?.startsWith(REFUSED))) {
          // Not rewrite's output: never executed (see reconcile).
          result.outcomes.push(refusedOutcome(entry));
          continue;
        }
        if (opts.signal?.aborted) {
          result.interrupted = true;
          break;
        }
        const outcome = await runEntry(ctx, entry);
        result.outcomes.push(outcome);
        if (outcome.status === 'interrupted') {
          result.interrupted = true;
          break;
        }
        // The server or an administrator ended the build's session: stop, the entry waits for the next run.
        if (outcome.status === 'connection-lost') break;
        if (outcome.status === 'failed' && opts.failFast) break;
      }
      const counts = await control.query<{ kind: string; n: string }>(
        `SELECT kind, count(*) AS n FROM ${QUEUE_TABLE} WHERE status IN ('pending', 'failed')
           AND NOT (id = ANY ($1::bigint[])) GROUP BY kind`,
        [result.outcomes.filter((o) => o.status !== 'interrupted' && o.status !== 'connection-lost').map((o) => o.id)],
      );
      for (const r of counts.rows) {
        if (r.kind === 'contract') result.contractPending = Number(r.n);
        else result.remaining += Number(r.n);
      }
    } finally {
      await releaseQueueLock(control).catch(() => {});
    }
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await sessions.close();
  }
}

function refusedOutcome(entry: QueueEntry): EntryOutcome {
  const failed = { ...entry, status: 'failed' as const };
  return {
    id: entry.id,
    kind: entry.kind,
    label: `#${entry.id} ${entryLabel(entry)}`,
    attempts: entry.attempts,
    status: 'failed',
    durationMs: 0,
    sqlstate: null,
    error: entry.error ?? REFUSED,
    next: nextStep(failed, RUN_COMMAND),
  };
}

/** The parser check, plus: an index entry's statement must be on the entry's table. */
export function checkEntry(entry: QueueEntry): { ok: true } | { ok: false; reason: string } {
  const check = checkQueueStatement(entry.kind, entry.objectName ?? '', entry.statement);
  if (!check.ok || entry.kind !== 'index') return check;
  const stmt = parseSql(entry.statement).statements[0];
  const rel = (stmt?.node as { relation?: { relname?: string } } | undefined)?.relation?.relname;
  if (rel !== entry.tableName) return { ok: false, reason: `creates its index on "${rel}", not on "${entry.tableName}"` };
  return check;
}

async function runEntry(ctx: Ctx, entry: QueueEntry): Promise<EntryOutcome> {
  const { sessions, reporter } = ctx;
  const { control } = sessions;
  const label = `#${entry.id} ${entryLabel(entry)}`;
  const base = { id: entry.id, kind: entry.kind, label, attempts: entry.attempts + 1 };
  const check = checkEntry(entry);
  if (!check.ok) {
    const error = `${REFUSED} the statement ${check.reason}; prisma-zd does not execute it`;
    await markFailed(control, entry.id, { sqlstate: null, error });
    const failed = { ...entry, status: 'failed' as const, sqlstate: null, error };
    return { ...base, attempts: entry.attempts, status: 'failed', durationMs: 0, sqlstate: null, error, next: nextStep(failed, RUN_COMMAND) };
  }
  const worker = await sessions.worker();
  if (entry.searchPath !== null) await setSettings(worker, { search_path: entry.searchPath });
  else await worker.query('RESET search_path');
  await markRunning(control, entry.id, sessions.workerPid);
  reporter.log(`${label}: ${entry.kind === 'index' ? 'building CONCURRENTLY' : 'validating'}…`);
  const started = Date.now();
  try {
    let status: OutcomeStatus;
    if (entry.kind === 'index') {
      status = await buildIndex(ctx, worker, entry, label);
    } else if (entry.kind === 'not-null') {
      status = await setNotNull(ctx, worker, entry, label);
    } else {
      await guarded(ctx, label, worker.query(entry.statement));
      status = 'validated';
    }
    const already = entry.kind === 'index' ? 'already built: a valid index of that name exists on the table' : 'already NOT NULL: the column was made NOT NULL otherwise';
    await markDone(control, entry.id, status === 'already' ? already : null);
    return { ...base, status, durationMs: Date.now() - started };
  } catch (e) {
    const failure = dbFailure(e);
    const interrupted = Boolean(ctx.opts.signal?.aborted) && (failure.sqlstate === '57014' || failure.sqlstate === null);
    const w = await sessions.worker().catch(() => undefined);
    if (entry.kind === 'index' && w) {
      await dropInvalidIndex(w, entry).catch((err: unknown) => {
        reporter.log(`${label}: could not drop the invalid leftover (${dbFailure(err).message}); the next run drops it`);
      });
    }
    if (interrupted) {
      await markPending(control, entry.id, 'interrupted (SIGINT/SIGTERM); the next run builds it');
      return { ...base, status: 'interrupted', durationMs: Date.now() - started };
    }
    if (isConnectionLoss(e)) {
      // Not a failure of the statement: nothing is wrong with the entry, only its session ended.
      const error = `its session was ended before it finished: ${failure.message}`;
      await markPending(control, entry.id, `${error}; the next run builds it`);
      return {
        ...base,
        status: 'connection-lost',
        durationMs: Date.now() - started,
        sqlstate: failure.sqlstate,
        error,
        next: `nothing is wrong with the entry: when the server accepts connections, run \`${RUN_COMMAND}\` again`,
      };
    }
    await markFailed(control, entry.id, { sqlstate: failure.sqlstate, error: failure.message });
    const failed = { ...entry, status: 'failed' as const, sqlstate: failure.sqlstate, error: failure.message };
    return {
      ...base,
      status: 'failed',
      durationMs: Date.now() - started,
      sqlstate: failure.sqlstate,
      error: failure.message,
      next: nextStep(failed, RUN_COMMAND),
    };
  }
}

export interface ExistingIndex {
  schema: string;
  valid: boolean;
  tableName: string;
  tableSchema: string;
}

/** The index named by the entry, in its table's schema (resolved with the entry's search_path). */
export async function findIndex(client: pg.ClientBase, entry: QueueEntry): Promise<ExistingIndex | undefined> {
  const { rows } = await client.query<{ schema: string; valid: boolean; table_name: string; table_schema: string }>(
    `SELECT n.nspname AS schema, i.indisvalid AS valid, t.relname AS table_name, tn.nspname AS table_schema
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
       JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE c.relname = $1
        AND n.nspname = COALESCE($2, (SELECT rn.nspname FROM pg_catalog.pg_class r
                                        JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
                                       WHERE r.oid = pg_catalog.to_regclass($3)))`,
    [entry.objectName, entry.tableSchema, quoteIdent(entry.tableName ?? '')],
  );
  const r = rows[0];
  return r && { schema: r.schema, valid: r.valid, tableName: r.table_name, tableSchema: r.table_schema };
}

function onEntryTable(idx: ExistingIndex, entry: QueueEntry): boolean {
  return idx.tableName === entry.tableName && (entry.tableSchema === null || idx.tableSchema === entry.tableSchema);
}

/** Drops the entry's index if it exists on the entry's table and is INVALID (a failed or interrupted build). */
async function dropInvalidIndex(client: pg.ClientBase, entry: QueueEntry): Promise<boolean> {
  const idx = await findIndex(client, entry);
  if (!idx || idx.valid || !onEntryTable(idx, entry)) return false;
  await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(idx.schema)}.${quoteIdent(entry.objectName!)}`);
  return true;
}

async function buildIndex(ctx: Ctx, worker: pg.Client, entry: QueueEntry, label: string): Promise<OutcomeStatus> {
  const existing = await findIndex(worker, entry);
  if (existing && !onEntryTable(existing, entry)) {
    throw {
      code: '42P07',
      message: `an index named "${entry.objectName}" already exists on table "${existing.tableSchema}"."${existing.tableName}"`,
    } satisfies { code: string; message: string };
  }
  if (existing?.valid) {
    ctx.reporter.log(`${label}: already built`);
    return 'already';
  }
  if (existing) {
    ctx.reporter.log(`${label}: dropping the INVALID index left by an earlier attempt`);
    await dropInvalidIndex(worker, entry);
  }
  await guarded(ctx, label, worker.query(concurrentIndexStatement(entry.statement)), entry.kind === 'index');
  return 'built';
}

/** How long SET NOT NULL waits for its lock per attempt, and how many attempts (backing off between them). */
export const NOT_NULL_LOCK_TIMEOUT_MS = 2_000;
export const NOT_NULL_ATTEMPTS = 5;

/**
 * A postponed SET NOT NULL: its temporary check (added NOT VALID by the migration) is
 * validated (SHARE UPDATE EXCLUSIVE: reads and writes continue), then NOT NULL is set and
 * the check dropped in one short transaction: PostgreSQL 12+ takes the valid check as
 * proof and does not scan, so the ACCESS EXCLUSIVE lock lasts milliseconds. That lock is
 * taken under a lock timeout and retried with backoff, never queued behind a long query
 * (which would queue every query of the table behind it). Each step is idempotent: a run
 * killed between them is completed by the next.
 */
async function setNotNull(ctx: Ctx, worker: pg.Client, entry: QueueEntry, label: string): Promise<OutcomeStatus> {
  const schema = await entrySchema(worker, entry);
  const table = formatQualifiedName(schema === undefined ? { name: entry.tableName ?? '' } : { schema, name: entry.tableName ?? '' });
  const check = quoteIdent(entry.objectName!);
  const exists = await worker.query<{ valid: boolean }>(
    `SELECT convalidated AS valid FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2 AND contype = 'c'`,
    [table, entry.objectName],
  );
  if (exists.rows[0] && !exists.rows[0].valid) {
    await guarded(ctx, label, worker.query(validateStatement(schema, entry.tableName ?? '', entry.objectName!)));
  } else if (!exists.rows[0]) {
    // The migration's check is gone (dropped by hand): SET NOT NULL would scan under its lock; stop and say so.
    const column = await worker.query<{ notnull: boolean }>(
      `SELECT attnotnull AS notnull FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2 AND NOT attisdropped`,
      [table, entry.columns[0]],
    );
    if (column.rows[0]?.notnull) return 'already';
    throw {
      code: '42704',
      message: `the check ${check} the migration added on ${table} is gone, so SET NOT NULL would scan the table under an ACCESS EXCLUSIVE lock`,
    } satisfies { code: string; message: string };
  }
  ctx.reporter.log(`${label}: validated; setting NOT NULL…`);
  // PostgreSQL says at DEBUG1 whether the check proved it or the table was scanned: heard, it is reported.
  let scan: 'proven' | 'scanned' | undefined;
  const listen = (n: { message?: string }) => {
    if (/are sufficient to prove that it does not contain nulls/.test(n.message ?? '')) scan ??= 'proven';
    else if (/^verifying table /.test(n.message ?? '')) scan = 'scanned';
  };
  for (let attempt = 1; ; attempt++) {
    // Interrupted while backing off: the entry is pending again (its check stays validated).
    if (ctx.opts.signal?.aborted) throw new Error('interrupted');
    try {
      await worker.query('BEGIN');
      await worker.query(`SET LOCAL lock_timeout = '${NOT_NULL_LOCK_TIMEOUT_MS}ms'`);
      await worker.query(`SET LOCAL client_min_messages = debug1`);
      worker.on('notice', listen);
      try {
        await worker.query(entry.statement);
      } finally {
        worker.off('notice', listen);
      }
      await worker.query(`SET LOCAL client_min_messages = notice`);
      await worker.query(dropNotNullCheckStatement(schema, entry.tableName ?? '', entry.objectName!));
      await worker.query('COMMIT');
      if (scan === 'scanned') ctx.reporter.log(`${label}: PostgreSQL scanned the table to set NOT NULL (before PostgreSQL 12 a valid check does not spare the scan)`);
      if (scan === 'proven') ctx.reporter.log(`${label}: NOT NULL set without a scan (PostgreSQL: the valid check proves it)`);
      return scan === 'scanned' ? 'set-not-null-scanned' : 'set-not-null';
    } catch (e) {
      await worker.query('ROLLBACK').catch(() => {});
      if (dbFailure(e).sqlstate !== '55P03' || attempt >= NOT_NULL_ATTEMPTS || ctx.opts.signal?.aborted) throw e;
      const waitMs = Math.min(8_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      ctx.reporter.log(`${label}: SET NOT NULL could not take its lock within ${NOT_NULL_LOCK_TIMEOUT_MS} ms (attempt ${attempt} of ${NOT_NULL_ATTEMPTS}); again in ${Math.round(waitMs)} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, waitMs);
        ctx.opts.signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    }
  }
}

/** The schema of the entry's table: recorded, or resolved with the entry's search_path (set on the worker). */
async function entrySchema(worker: pg.Client, entry: QueueEntry): Promise<string | undefined> {
  if (entry.tableSchema) return entry.tableSchema;
  const { rows } = await worker.query<{ schema: string | null }>(
    `SELECT n.nspname AS schema FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = pg_catalog.to_regclass($1)`,
    [quoteIdent(entry.tableName ?? '')],
  );
  return rows[0]?.schema ?? undefined;
}

/** Awaits a queued statement while reporting progress; an abort cancels it (again each tick if needed). */
async function guarded<T>(ctx: Ctx, label: string, work: Promise<T>, watchBuild = false): Promise<T> {
  const { sessions, reporter } = ctx;
  const started = Date.now();
  let finished = false;
  let wake: () => void = () => {};
  sessions.inFlight = true;
  if (ctx.opts.signal?.aborted) void sessions.cancelWorker();
  const poll = (async () => {
    while (!finished) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 500);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (finished) break;
      if (ctx.opts.signal?.aborted) await sessions.cancelWorker();
      const p = watchBuild ? await readBuildProgress(sessions.control, sessions.workerPid).catch(() => undefined) : undefined;
      if (!finished) reporter.progress(label, p, Date.now() - started);
    }
  })();
  try {
    return await work;
  } finally {
    finished = true;
    sessions.inFlight = false;
    wake();
    await poll;
    reporter.clearProgress();
  }
}

export type { DbFailure };
