/**
 * `contract`: the deferred destructive statements (`DROP DEFAULT`, the `DROP SEQUENCE`
 * that goes with it, `DROP INDEX`, `DROP COLUMN`, the `DROP TYPE` of its enum), applied once no
 * old app version is left. Each entry
 * runs in its own transaction together with marking it done, under a short
 * `lock_timeout`, retried with backoff when the lock is not available: it never queues a
 * table's traffic behind it for longer than the timeout. A `DROP INDEX` runs
 * CONCURRENTLY instead (outside a transaction; it blocks no one while it waits).
 */
import { asNode, droppedName, initParser, isStatement, parseSql, QUEUE_TABLE, quoteIdent } from '@prisma-zd/core';
import { setSettings, withTransaction } from '../db/connect.js';
import { entryLabel, markFailed, readEntries, type QueueEntry } from './entries.js';
import { dbFailure, nextStep, REFUSED } from './failure.js';
import { acquireQueueLock, releaseQueueLock } from './lock.js';
import { reconcileLines, reconcileQueue, type ReconcileReport } from './reconcile.js';
import { checkEntry, findIndex, silentReporter, type RunReporter } from './runner.js';
import { requireCurrentSchema } from './schema.js';
import { prismaMigrationsSchema, urlSchema } from '../db/search-path.js';
import { QueueSessions } from './session.js';

export const CONTRACT_COMMAND = 'prisma-zd contract';

export interface ContractOptions {
  url: string;
  migrationsDir: string | undefined;
  schema?: string;
  /** How Prisma runs the migrations, for reconciliation (default `unknown`). */
  execution?: 'whole-file' | 'per-statement' | 'unknown';
  /** lock_timeout of each statement, in milliseconds (default 2000). */
  lockTimeoutMs?: number;
  /** Attempts per entry when the lock is not available (default 5). */
  attempts?: number;
  /** Only list what would be applied. */
  list?: boolean;
  signal?: AbortSignal;
  reporter?: Pick<RunReporter, 'log'>;
}

export interface ContractOutcome {
  id: number;
  label: string;
  status: 'applied' | 'failed' | 'lock-timeout' | 'interrupted';
  attempts: number;
  durationMs: number;
  /** How it was applied, when not simply run (e.g. "already dropped"). */
  note?: string;
  sqlstate?: string | null;
  error?: string;
  next?: string;
}

export interface ContractResult {
  setUp: boolean;
  reconcile: ReconcileReport;
  /** With `list`: the entries that would be applied. */
  pending: QueueEntry[];
  outcomes: ContractOutcome[];
  interrupted: boolean;
  /** Contract entries still open after the run (failed, or not reached after a failure). */
  remaining: number;
  /** Index/validate entries still open: `postponed run` has work left. */
  postponedPending: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/** Backoff before attempt `n` (1-based, n ≥ 2): 0.5 s, 1 s, 2 s, … up to 8 s, ±25 % jitter. */
function backoffMs(n: number): number {
  const base = Math.min(8000, 500 * 2 ** (n - 2));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export async function runContract(opts: ContractOptions): Promise<ContractResult> {
  await initParser();
  const reporter = opts.reporter ?? silentReporter;
  const lockTimeoutMs = opts.lockTimeoutMs ?? 2000;
  const maxAttempts = Math.max(1, opts.attempts ?? 5);
  const result: ContractResult = {
    setUp: false,
    reconcile: { cancelled: [], updated: [], refused: [], warnings: [] },
    pending: [],
    outcomes: [],
    interrupted: false,
    remaining: 0,
    postponedPending: 0,
  };
  const sessions = await QueueSessions.open(opts.url, 'contract');
  const onAbort = () => {
    if (sessions.inFlight) void sessions.cancelWorker();
  };
  opts.signal?.addEventListener('abort', onAbort);
  const { control } = sessions;
  try {
    if (!(await requireCurrentSchema(control))) return result;
    result.setUp = true;
    const countPostponed = async () => {
      const { rows } = await control.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${QUEUE_TABLE} WHERE kind IN ('index', 'validate', 'not-null') AND status IN ('pending', 'running', 'failed')`,
      );
      result.postponedPending = Number(rows[0]?.n ?? 0);
    };
    if (opts.list) {
      result.pending = await readEntries(control, { kind: ['contract'], status: ['pending', 'failed'] });
      await countPostponed();
      return result;
    }
    await acquireQueueLock(control, '`contract`');
    try {
      result.reconcile = await reconcileQueue(control, {
        migrationsDir: opts.migrationsDir,
        schema: urlSchema(opts.url) ?? (await prismaMigrationsSchema(control, opts.url)),
        ...(opts.execution ? { execution: opts.execution } : {}),
      });
      for (const line of reconcileLines(result.reconcile)) reporter.log(line);
      const entries = await readEntries(control, { kind: ['contract'], status: ['pending', 'failed'] });
      // A refusal is judged again on every run against the folder given; without one, an earlier refusal stands.
      const refusedNow = new Set(result.reconcile.refused.map((r) => r.id));
      const judged = result.reconcile.skipped === undefined;
      const held = new Set((result.reconcile.held ?? []).map((h) => h.id));
      for (const entry of entries) {
        // Its migration failed and is not resolved: not applied before it is (and, like a failure, later ones wait).
        if (held.has(entry.id)) break;
        if (opts.signal?.aborted) {
          result.interrupted = true;
          break;
        }
        const refused = refusedNow.has(entry.id) || (!judged && Boolean(entry.error?.startsWith(REFUSED)));
        const outcome = await applyEntry(sessions, entry, { lockTimeoutMs, maxAttempts, refused, signal: opts.signal, log: reporter.log });
        result.outcomes.push(outcome);
        if (outcome.status === 'interrupted') {
          result.interrupted = true;
          break;
        }
        // Later entries may depend on this one (a DROP SEQUENCE on its DROP DEFAULT): stop here.
        if (outcome.status !== 'applied') break;
      }
      result.remaining = entries.length - result.outcomes.filter((x) => x.status === 'applied').length;
      await countPostponed();
    } finally {
      await releaseQueueLock(control).catch(() => {});
    }
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await sessions.close();
  }
}

interface ApplyOptions {
  lockTimeoutMs: number;
  /** Refused by reconciliation (this run, or an earlier one when this run could not judge). */
  refused: boolean;
  maxAttempts: number;
  signal: AbortSignal | undefined;
  log: (text: string) => void;
}

async function applyEntry(sessions: QueueSessions, entry: QueueEntry, o: ApplyOptions): Promise<ContractOutcome> {
  const { control } = sessions;
  const label = `#${entry.id} ${entryLabel(entry)}`;
  const started = Date.now();
  const refused = o.refused && entry.error?.startsWith(REFUSED) ? entry.error : undefined;
  const check: { ok: true } | { ok: false; reason: string } = refused
    ? { ok: false, reason: refused.slice(REFUSED.length).trim() }
    : checkEntry(entry);
  if (!check.ok) {
    const error = refused ?? `${REFUSED} the statement ${check.reason}; prisma-zd does not execute it`;
    await markFailed(control, entry.id, { sqlstate: null, error });
    return {
      id: entry.id,
      label,
      status: 'failed',
      attempts: 0,
      durationMs: 0,
      sqlstate: null,
      error,
      next: nextStep({ ...entry, error }, CONTRACT_COMMAND),
    };
  }
  if (isDropIndex(entry.statement)) return dropIndexConcurrently(sessions, entry, label, started, o);
  const dropped = droppedObject(entry.statement);
  const column = droppedColumn(entry.statement);
  for (let attempt = 1; ; attempt++) {
    const worker = await sessions.worker();
    try {
      let note: string | null = null;
      await withTransaction(worker, async () => {
        await setSettings(worker, { lock_timeout: `${o.lockTimeoutMs}ms` }, true);
        if (entry.searchPath !== null) await setSettings(worker, { search_path: entry.searchPath }, true);
        if ((dropped !== undefined && !(await objectExists(worker, dropped))) || (column !== undefined && !(await columnExists(worker, column)))) {
          note = 'already dropped';
        } else {
          sessions.inFlight = true;
          try {
            await worker.query(entry.statement);
          } finally {
            sessions.inFlight = false;
          }
        }
        await worker.query(
          `UPDATE ${QUEUE_TABLE} SET status = 'done', attempts = attempts + $2, finished_at = clock_timestamp(),
                  sqlstate = NULL, error = NULL, note = COALESCE($3, note) WHERE id = $1`,
          [entry.id, attempt, note],
        );
      });
      // Not logged as it happens: the summary says it once, with the note.
      return { id: entry.id, label, status: 'applied', attempts: attempt, durationMs: Date.now() - started, ...(note === null ? {} : { note }) };
    } catch (e) {
      const f = dbFailure(e);
      if (o.signal?.aborted) {
        return { id: entry.id, label, status: 'interrupted', attempts: attempt, durationMs: Date.now() - started };
      }
      if (f.sqlstate === '55P03' && attempt < o.maxAttempts) {
        const wait = backoffMs(attempt + 1);
        o.log(`${label}: lock not available within ${o.lockTimeoutMs} ms (attempt ${attempt} of ${o.maxAttempts}); retrying in ${wait} ms`);
        await sleep(wait, o.signal);
        continue;
      }
      await control.query(`UPDATE ${QUEUE_TABLE} SET attempts = attempts + $2 WHERE id = $1`, [entry.id, attempt]);
      await markFailed(control, entry.id, { sqlstate: f.sqlstate, error: f.message });
      const failed = { ...entry, sqlstate: f.sqlstate, error: f.message };
      return {
        id: entry.id,
        label,
        status: f.sqlstate === '55P03' ? 'lock-timeout' : 'failed',
        attempts: attempt,
        durationMs: Date.now() - started,
        sqlstate: f.sqlstate,
        error: f.message,
        next: nextStep(failed, CONTRACT_COMMAND),
      };
    }
  }
}

/** Is the entry's statement a `DROP INDEX` (a deferred one: `contract` runs it CONCURRENTLY)? The parser is loaded. */
export function isDropIndex(statement: string): boolean {
  const s = parseSql(statement).statements[0];
  return s !== undefined && isStatement(s, 'DropStmt') && s.node.removeType === 'OBJECT_INDEX';
}

/**
 * A deferred `DROP INDEX`, run as `DROP INDEX CONCURRENTLY`: outside a transaction, it
 * waits for the queries using the table without blocking any (no lock_timeout: waiting
 * holds no one up), then the entry is marked done. Killed in between, the next run finds
 * the index gone (or left invalid by the interrupted drop, which it drops again) and marks
 * it done: nothing is lost. The index is looked up on the entry's table, in that table's
 * schema; an index of that name on another table is not this entry's and is not dropped.
 */
async function dropIndexConcurrently(sessions: QueueSessions, entry: QueueEntry, label: string, started: number, o: ApplyOptions): Promise<ContractOutcome> {
  const { control } = sessions;
  try {
    const worker = await sessions.worker();
    if (entry.searchPath !== null) await setSettings(worker, { search_path: entry.searchPath });
    else await worker.query('RESET search_path');
    const found = await findIndex(worker, entry);
    let note: string | null = null;
    if (!found) {
      note = 'already dropped';
    } else if (found.tableName !== entry.tableName || (entry.tableSchema !== null && found.tableSchema !== entry.tableSchema)) {
      const error = `index ${quoteIdent(found.schema)}.${quoteIdent(entry.objectName ?? '')} is on table ${quoteIdent(found.tableSchema)}.${quoteIdent(found.tableName)}, not on ${quoteIdent(entry.tableName ?? '')} as queued: it is not the index this entry drops, and prisma-zd leaves it alone`;
      await markFailed(control, entry.id, { sqlstate: null, error });
      return { id: entry.id, label, status: 'failed', attempts: 1, durationMs: Date.now() - started, sqlstate: null, error, next: nextStep({ ...entry, error }, CONTRACT_COMMAND) };
    } else {
      o.log(`${label}: dropping CONCURRENTLY…`);
      sessions.inFlight = true;
      try {
        await worker.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(found.schema)}.${quoteIdent(entry.objectName ?? '')}`);
      } finally {
        sessions.inFlight = false;
      }
    }
    await control.query(
      `UPDATE ${QUEUE_TABLE} SET status = 'done', attempts = attempts + 1, finished_at = clock_timestamp(),
              sqlstate = NULL, error = NULL, note = COALESCE($2, note) WHERE id = $1`,
      [entry.id, note],
    );
    return { id: entry.id, label, status: 'applied', attempts: 1, durationMs: Date.now() - started, ...(note === null ? {} : { note }) };
  } catch (e) {
    const f = dbFailure(e);
    if (o.signal?.aborted) return { id: entry.id, label, status: 'interrupted', attempts: 1, durationMs: Date.now() - started };
    await control.query(`UPDATE ${QUEUE_TABLE} SET attempts = attempts + 1 WHERE id = $1`, [entry.id]);
    await markFailed(control, entry.id, { sqlstate: f.sqlstate, error: f.message });
    const failed = { ...entry, sqlstate: f.sqlstate, error: f.message };
    return { id: entry.id, label, status: 'failed', attempts: 1, durationMs: Date.now() - started, sqlstate: f.sqlstate, error: f.message, next: nextStep(failed, CONTRACT_COMMAND) };
  }
}

/** For a `DROP SEQUENCE` or `DROP TYPE` entry, the object as written (qualified when the statement qualifies it), and which it is. */
function droppedObject(statement: string): { name: string; type: boolean } | undefined {
  const s = parseSql(statement).statements[0];
  if (!s || !isStatement(s, 'DropStmt')) return undefined;
  const names = droppedName(s.node.objects?.[0]);
  return names.length ? { name: names.map(quoteIdent).join('.'), type: s.node.removeType === 'OBJECT_TYPE' } : undefined;
}

/** For a `DROP COLUMN` entry, its table as written and the column. */
function droppedColumn(statement: string): { table: string; column: string } | undefined {
  const s = parseSql(statement).statements[0];
  if (!s || !isStatement(s, 'AlterTableStmt')) return undefined;
  const cmd = asNode(s.node.cmds?.[0], 'AlterTableCmd');
  const rel = s.node.relation;
  if (cmd?.subtype !== 'AT_DropColumn' || !cmd.name || !rel?.relname) return undefined;
  return { table: (rel.schemaname === undefined ? [rel.relname] : [rel.schemaname, rel.relname]).map(quoteIdent).join('.'), column: cmd.name };
}

/** Whether the table (resolved with the transaction's search_path) has the column; a missing table runs the statement, which says so. */
async function columnExists(client: QueueSessions['control'], { table, column }: { table: string; column: string }): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    `SELECT pg_catalog.to_regclass($1) IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
       WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped) AS ok`,
    [table, column],
  );
  return rows[0]?.ok ?? false;
}

/** Whether the relation or type (resolved with the transaction's search_path) still exists. */
async function objectExists(client: QueueSessions['control'], { name, type }: { name: string; type: boolean }): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_catalog.${type ? 'to_regtype' : 'to_regclass'}($1) IS NOT NULL AS ok`, [name]);
  return rows[0]?.ok ?? false;
}
