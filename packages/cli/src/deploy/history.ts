/**
 * The migrations folder against `_prisma_migrations`, as `prisma migrate deploy` will see
 * them — plus what Prisma does not check on deploy: a migration file edited after it was
 * applied (its checksum no longer matches the stored one, DESIGN §4).
 */
import type pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { readPrismaTable, type MigrationFile } from '../project/migrations.js';

/** One row of `_prisma_migrations`. */
export interface MigrationRow {
  id: string;
  name: string;
  /** NULL only when the table was edited by hand (Prisma's column is NOT NULL). */
  checksum: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
  logs: string | null;
  appliedSteps: number;
}

export function migrationsTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent('_prisma_migrations')}`;
}

/** Every row of `_prisma_migrations` in start order; `undefined` when the table does not exist (Prisma never ran here). */
export async function readMigrationRows(client: pg.ClientBase, schema: string): Promise<MigrationRow[] | undefined> {
  const table = migrationsTable(schema);
  const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
  if (!exists.rows[0]?.ok) return undefined;
  const { rows } = await readPrismaTable(table, () => client.query<{
    id: string;
    migration_name: string;
    checksum: string | null;
    started_at: Date;
    finished_at: Date | null;
    rolled_back_at: Date | null;
    logs: string | null;
    applied_steps_count: number;
  }>(
    `SELECT id, migration_name, checksum, started_at, finished_at, rolled_back_at, logs, applied_steps_count
       FROM ${table} ORDER BY started_at, migration_name`,
  ));
  return rows.map((r) => ({
    id: r.id,
    name: r.migration_name,
    checksum: r.checksum,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    rolledBackAt: r.rolled_back_at,
    logs: r.logs,
    appliedSteps: r.applied_steps_count,
  }));
}

export const isApplied = (r: MigrationRow) => r.finishedAt !== null && r.rolledBackAt === null;
/** Prisma's P3009 state: started, neither finished nor rolled back. */
export const isFailed = (r: MigrationRow) => r.finishedAt === null && r.rolledBackAt === null;

export interface EditedMigration {
  name: string;
  path: string;
  stored: string;
  actual: string;
}

export interface HistoryState {
  files: MigrationFile[];
  rows: MigrationRow[];
  /** `_prisma_migrations` does not exist yet. */
  fresh: boolean;
  applied: string[];
  pending: MigrationFile[];
  failed: MigrationRow[];
  /** Applied migrations whose file changed since. */
  edited: EditedMigration[];
  /** Applied migrations without a file here (Prisma carries on without a word). */
  missing: string[];
  /**
   * Pending migrations with the checksum of an applied one the folder no longer has: the
   * applied migration moved to another directory. Prisma knows a migration by its name,
   * so it would run it again.
   */
  renamed: Array<{ name: string; path: string; from: string; checksum: string }>;
}

export function historyState(files: MigrationFile[], rows: MigrationRow[] | undefined): HistoryState {
  const all = rows ?? [];
  const appliedRows = new Map(all.filter(isApplied).map((r) => [r.name, r]));
  const byName = new Map(files.map((f) => [f.name, f]));
  const edited: EditedMigration[] = [];
  for (const [name, row] of appliedRows) {
    const f = byName.get(name);
    // A NULL checksum (the column was restored by hand) records nothing to compare.
    if (f && row.checksum !== null && f.checksum !== row.checksum) edited.push({ name, path: f.path, stored: row.checksum, actual: f.checksum });
  }
  const missing = [...appliedRows.keys()].filter((n) => !byName.has(n));
  const pending = files.filter((f) => !appliedRows.has(f.name));
  const missingByChecksum = new Map<string, string>();
  for (const n of missing) {
    const checksum = appliedRows.get(n)!.checksum;
    if (checksum !== null && !missingByChecksum.has(checksum)) missingByChecksum.set(checksum, n);
  }
  const renamed = pending.flatMap((f) => {
    const from = missingByChecksum.get(f.checksum);
    return from === undefined ? [] : [{ name: f.name, path: f.path, from, checksum: f.checksum }];
  });
  return {
    files,
    rows: all,
    fresh: rows === undefined,
    applied: [...appliedRows.keys()],
    pending,
    failed: all.filter(isFailed),
    edited,
    missing,
    renamed,
  };
}
