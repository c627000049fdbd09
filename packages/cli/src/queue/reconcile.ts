/**
 * Before anything is built or applied, the queue is brought in line with the applied
 * history (DESIGN §3): a `DROP INDEX CONCURRENTLY IF EXISTS` cannot carry queue
 * maintenance, so a later migration may have dropped or renamed what an entry would
 * create. The decision is core's `reconcile`; this module feeds it the folder and
 * `_prisma_migrations`, and writes the outcome to the queue in one transaction.
 */
import type pg from 'pg';
import { dropNotNullCheckStatement, quoteIdent, reconcile } from '@prisma-zd/core';
import { withTransaction } from '../db/connect.js';
import { appliedMigrations, readMigrationsFolder, type MigrationFile } from '../project/migrations.js';
import { ExitCode, UserError } from '../errors.js';
import { entryLabel, entryTable, markCancelled, markFailed, readEntries, updateTarget, type QueueEntry } from './entries.js';
import { REFUSED } from './failure.js';
import { readMigrationRows } from '../deploy/history.js';

export interface ReconcileReport {
  /** Why reconciliation did not run (the folder is unavailable, no Prisma history, …). */
  skipped?: string;
  cancelled: Array<{ id: number; label: string; reason: string }>;
  updated: Array<{ id: number; from: string; to: string }>;
  /** Entries that are not `rewrite`'s output: marked failed, never executed. */
  refused: Array<{ id: number; label: string; reason: string }>;
  /**
   * Entries whose migration is failed in `_prisma_migrations` (Prisma's P3009 state; under
   * per-statement execution its prisma-zd blocks commit their entries before a later
   * statement fails): neither run nor changed until the migration is resolved.
   */
  held?: Array<{ id: number; label: string; migration: string }>;
  warnings: string[];
}

export interface ReconcileOptions {
  /** The migrations folder; undefined when unknown. */
  migrationsDir: string | undefined;
  /** Schema of `_prisma_migrations` and the default schema of unqualified names. */
  schema: string;
  /** How Prisma runs the migrations (default `unknown`). */
  execution?: 'whole-file' | 'per-statement' | 'unknown';
}

function loadFolder(dir: string | undefined): { files?: MigrationFile[]; problem?: string } {
  if (!dir) return { problem: 'no migrations folder is known (pass --migrations)' };
  try {
    return { files: readMigrationsFolder(dir) };
  } catch (e) {
    return { problem: (e instanceof Error ? e.message : String(e)).replace(/\.$/, '') };
  }
}

/** Cancels or updates open entries (pending, failed) that the applied history no longer wants. */
export async function reconcileQueue(client: pg.ClientBase, opts: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { cancelled: [], updated: [], refused: [], warnings: [] };
  const all = await readEntries(client, { status: ['pending', 'failed'] });
  if (all.length === 0) return report;
  // First, from `_prisma_migrations` alone (no folder needed): entries of a migration that
  // is not applied are never run (DESIGN I5 cannot hold under per-statement execution).
  const attempts = await attemptsOf(client, opts.schema);
  const byAttempt = attempts ? byMigrationState(all, attempts) : { open: all, held: [], void: [], duplicates: [] };
  report.held = byAttempt.held.map((e) => ({ id: e.id, label: `${e.kind} "${e.objectName}"`, migration: e.migration! }));
  const early: Array<{ entry: QueueEntry; reason: string }> = [
    ...byAttempt.void.map((entry) => ({
      entry,
      reason: `its migration ${entry.migration} was rolled back (prisma migrate resolve --rolled-back): what that attempt queued is void; applying the migration again queues it anew`,
    })),
    ...byAttempt.duplicates.map(({ entry, of }) => ({
      entry,
      reason: `a duplicate of #${of}: migration ${entry.migration} queued it again when it was applied after a rolled-back attempt`,
    })),
  ];
  const cancelEarly = async () => {
    for (const { entry, reason } of early) {
      await markCancelled(client, entry.id, `reconcile: ${reason}`);
      report.cancelled.push({ id: entry.id, label: `${entry.kind} "${entry.objectName}"`, reason });
    }
  };
  const open = byAttempt.open;
  const folder = loadFolder(opts.migrationsDir);
  if (!folder.files || open.length === 0) {
    if (!folder.files) report.skipped = `${folder.problem}; queued work was not checked against later migrations`;
    if (early.length) await withTransaction(client, cancelEarly);
    return report;
  }
  const applied = await appliedMigrations(client, opts.schema);
  if (!applied) {
    report.skipped = `there is no ${opts.schema}._prisma_migrations table; queued work was not checked against later migrations`;
    if (early.length) await withTransaction(client, cancelEarly);
    return report;
  }
  const byName = new Map(folder.files.map((f) => [f.name, f]));
  const stale = open.filter((e) => e.migration !== null && !byName.has(e.migration) && applied.some((a) => a.name === e.migration));
  if (stale.length) throw staleFolderError(opts.migrationsDir!, stale);
  const appliedNames = new Set<string>();
  for (const a of applied) {
    appliedNames.add(a.name);
    const file = byName.get(a.name);
    if (!file) {
      report.warnings.push(`migration ${a.name} is applied but not in ${opts.migrationsDir}: is the folder up to date?`);
    } else if (file.checksum !== a.checksum) {
      report.warnings.push(`migration ${a.name} was edited after it was applied; reconciling with the file as it is now`);
    }
  }
  const history = folder.files.filter((f) => appliedNames.has(f.name)).map((f) => ({ name: f.name, sql: f.sql }));
  const entries = open.filter((e): e is QueueEntry & { migration: string } => e.migration !== null);
  let decisions;
  try {
    decisions = reconcile(
      history,
      entries.map((e) => ({
        id: e.id,
        kind: e.kind,
        migration: e.migration,
        objectName: e.objectName ?? '',
        tableName: e.tableName ?? '',
        statement: e.statement,
      })),
      opts.schema,
      opts.execution,
    );
  } catch (e) {
    report.skipped = `the applied migrations could not be replayed (${e instanceof Error ? e.message : String(e)}); queued work was not checked against later migrations`;
    if (early.length) await withTransaction(client, cancelEarly);
    return report;
  }
  const byId = new Map(entries.map((e) => [e.id, e]));
  await withTransaction(client, async () => {
    await cancelEarly();
    for (const d of decisions) {
      const entry = byId.get(Number(d.id))!;
      if (d.action === 'keep') {
        if (d.warning) report.warnings.push(`#${entry.id}: ${d.warning}`);
      } else if (d.action === 'refuse' && attempts?.get(entry.migration)?.rolledBack) {
        // The migration ran more than once (per-statement: an attempt that failed after its
        // blocks had queued, then rolled back): what the folder's migration does not queue
        // is left from that attempt, not foreign work.
        const reason = `left by a rolled-back attempt of ${entry.migration} (${d.reason.replace(/: it was not written by prisma-zd rewrite$/, '')})`;
        await markCancelled(client, entry.id, `reconcile: ${reason}`);
        report.cancelled.push({ id: entry.id, label: `${entry.kind} "${entry.objectName}"`, reason });
      } else if (d.action === 'refuse') {
        await markFailed(client, entry.id, { sqlstate: null, error: `${REFUSED} ${d.reason}; prisma-zd does not execute it` });
        report.refused.push({ id: entry.id, label: `${entry.kind} "${entry.objectName}"`, reason: d.reason });
      } else if (d.action === 'cancel') {
        await markCancelled(client, entry.id, `reconcile: ${d.reason}`);
        report.cancelled.push({ id: entry.id, label: `${entry.kind} "${entry.objectName}"`, reason: d.reason });
      } else if (d.action === 'update') {
        const note = `reconcile: a later migration changed it (was ${entry.kind} "${entry.objectName}" on "${entry.tableName}")`;
        await updateTarget(client, entry.id, { ...d, note });
        report.updated.push({ id: entry.id, from: `"${entry.objectName}" on "${entry.tableName}"`, to: `"${d.objectName}" on "${d.tableName}"` });
      }
    }
  });
  await dropCancelledChecks(client, decisions.filter((d) => d.action === 'cancel').map((d) => byId.get(Number(d.id))!), report);
  return report;
}

/**
 * A postponed NOT NULL that a later migration made moot (nullable again, or its column
 * dropped) without queue maintenance (a migration `rewrite` did not process) leaves its
 * temporary check on the table, still refusing NULL: dropped here, after the queue is
 * reconciled, under a short lock timeout; where that fails, the statement is given.
 */
async function dropCancelledChecks(client: pg.ClientBase, cancelled: readonly QueueEntry[], report: ReconcileReport): Promise<void> {
  for (const e of cancelled) {
    if (e.kind !== 'not-null' || !e.objectName || !e.tableName) continue;
    const table = entryTable(e);
    const drop = dropNotNullCheckStatement(e.tableSchema ?? undefined, e.tableName, e.objectName);
    try {
      await withTransaction(client, async () => {
        await client.query(`SET LOCAL lock_timeout = '2s'`);
        if (e.searchPath !== null) await client.query(`SELECT pg_catalog.set_config('search_path', $1, true)`, [e.searchPath]);
        const exists = await client.query(`SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = pg_catalog.to_regclass($1) AND conname = $2`, [table, e.objectName]);
        if (exists.rowCount) await client.query(drop);
      });
    } catch (err) {
      report.warnings.push(
        `#${e.id}: the check ${quoteIdent(e.objectName)} it added on ${table} could not be dropped (${err instanceof Error ? err.message : String(err)}); ` +
          `it still refuses NULL there: run ${drop};`,
      );
    }
  }
}

/** Per migration name, what `_prisma_migrations` records of its attempts. */
interface Attempts {
  applied: boolean;
  failed: boolean;
  rolledBack: boolean;
}

async function attemptsOf(client: pg.ClientBase, schema: string): Promise<Map<string, Attempts> | undefined> {
  const rows = await readMigrationRows(client, schema);
  if (!rows) return undefined;
  const out = new Map<string, Attempts>();
  for (const r of rows) {
    const a = out.get(r.name) ?? { applied: false, failed: false, rolledBack: false };
    if (r.rolledBackAt !== null) a.rolledBack = true;
    else if (r.finishedAt !== null) a.applied = true;
    else a.failed = true;
    out.set(r.name, a);
  }
  return out;
}

/**
 * Sorts open entries by the state of the migration that queued them: a failed migration's
 * entries are held (resolving it decides: `--applied` keeps them, `--rolled-back` voids
 * them); a migration that is only rolled back voids its entries; a migration applied after
 * a rolled-back attempt may have queued the same entry twice: the later copies are
 * duplicates. Entries of migrations `_prisma_migrations` does not know stay open (the
 * folder judges them).
 */
function byMigrationState(entries: readonly QueueEntry[], attempts: ReadonlyMap<string, Attempts>) {
  const open: QueueEntry[] = [];
  const held: QueueEntry[] = [];
  const voided: QueueEntry[] = [];
  const duplicates: Array<{ entry: QueueEntry; of: number }> = [];
  const seen = new Map<string, number>();
  for (const e of entries) {
    const a = e.migration === null ? undefined : attempts.get(e.migration);
    if (a && !a.applied && a.failed) {
      held.push(e);
      continue;
    }
    if (a && !a.applied && a.rolledBack) {
      voided.push(e);
      continue;
    }
    if (a?.applied && a.rolledBack) {
      const key = JSON.stringify([e.kind, e.migration, e.tableSchema, e.tableName, e.objectName, e.statement]);
      const first = seen.get(key);
      if (first !== undefined) {
        duplicates.push({ entry: e, of: first });
        continue;
      }
      seen.set(key, e.id);
    }
    open.push(e);
  }
  return { open, held, void: voided, duplicates };
}

/**
 * The folder lacks migrations that this database applied and that queued open entries:
 * it is not the folder the database was deployed from (a stale copy, another branch).
 * Judged against it, real work would be refused, so nothing is judged, run or marked.
 */
function staleFolderError(dir: string, stale: readonly QueueEntry[]): UserError {
  const names = [...new Set(stale.map((e) => e.migration!))];
  const entries = stale.map((e) => `#${e.id} ${entryLabel(e)}`);
  return new UserError({
    code: 'ZD_MIGRATIONS_STALE',
    message:
      `The migrations folder ${dir} does not hold ${names.length === 1 ? 'migration' : 'migrations'} ${names.join(', ')}, ` +
      `which this database applied and which queued ${entries.length === 1 ? 'entry' : 'entries'} ${entries.join(', ')}: ` +
      'it is not the folder this database was deployed from (a stale copy?). Nothing was run and no entry was changed.',
    hint:
      `Run the command again with the migrations folder that \`prisma migrate deploy\` applied (the one holding ${names[0]}): ` +
      "--migrations <dir>, or from the project whose Prisma config names it.",
    exit: ExitCode.Usage,
  });
}

/** The report as lines for the progress log. */
export function reconcileLines(r: ReconcileReport): string[] {
  return [
    ...(r.skipped ? [`note: reconciliation skipped: ${r.skipped}`] : []),
    ...r.warnings.map((w) => `warning: ${w}`),
    ...r.cancelled.map((c) => `reconcile: cancelled #${c.id} ${c.label}: ${c.reason}`),
    ...r.updated.map((u) => `reconcile: updated #${u.id}: ${u.from} is now ${u.to}`),
    ...r.refused.map((u) => `reconcile: refused #${u.id} ${u.label}: ${u.reason}`),
    ...(r.held ?? []).map(
      (h) => `reconcile: #${h.id} ${h.label} waits: its migration ${h.migration} failed and is not resolved (\`prisma-zd deploy\` says how); not run until it is applied`,
    ),
  ];
}
