/**
 * Applies `migration.sql` files the way Prisma's native schema engine does (up to 7.3):
 * the whole file as one simple query — one implicit transaction — under Prisma's
 * migrate advisory lock, with the `_prisma_migrations` row Prisma writes. Used where a
 * working `prisma` CLI cannot be assumed: `verify`'s throw-away database and the
 * testing kit's `sql` mode.
 *
 * When a file fails, the error names the migration and the statement: from PostgreSQL's
 * error cursor when it has one, else by replaying the file's statements one by one in a
 * transaction that is always rolled back (a failed whole-file script left nothing behind,
 * so the replay sees the database the script saw).
 */
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { asNode, initParser, parseSql, quoteIdent, type Statement } from '@prisma-zd/core';
import { ExitCode, UserError } from '../errors.js';
import { setSettings } from '../db/connect.js';
import { redact } from '../util/redact.js';

/** One migration as Prisma sees it. */
export interface MigrationScript {
  name: string;
  sql: string;
  /** Where the file is, for messages (`path:line:col`). */
  path?: string;
  /** Prisma's checksum (sha256 of the file's bytes); computed from `sql` when absent. */
  checksum?: string;
}

/** Prisma's migrate advisory lock (held by `prisma migrate deploy` for the whole run). */
export const PRISMA_MIGRATE_LOCK = 72707369;

/** `_prisma_migrations` as Prisma's schema engine creates it. */
export const PRISMA_MIGRATIONS_DDL = (table: string) => `CREATE TABLE IF NOT EXISTS ${table} (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** The statement of a migration that failed, as the file has it. */
export interface FailedStatement {
  /** 1-based position among the file's statements. */
  number: number;
  /** Statements in the file. */
  of: number;
  line: number;
  column: number;
  text: string;
}

export interface MigrationFailureInit {
  migration: string;
  path?: string;
  statement?: FailedStatement;
  /** Why the statement could not be named, when it could not. */
  unlocated?: string;
  sqlstate?: string;
  /** PostgreSQL's (or Prisma's) message. */
  error: string;
  detail?: string;
  hint?: string;
}

/**
 * A migration that failed, naming it and its statement:
 * `Migration 2026…_x failed at statement 2 of 3 (prisma/migrations/2026…_x/migration.sql:5:1)`.
 */
export class MigrationError extends UserError {
  readonly migration: string;
  readonly statement: FailedStatement | undefined;
  readonly sqlstate: string | undefined;
  readonly error: string;
  constructor(readonly failure: MigrationFailureInit) {
    super({ code: 'ZD_MIGRATION_FAILED', message: describeFailure(failure), hint: failure.hint, exit: ExitCode.Failure });
    this.name = 'MigrationError';
    this.migration = failure.migration;
    this.statement = failure.statement;
    this.sqlstate = failure.sqlstate;
    this.error = failure.error;
  }
}

function describeFailure(f: MigrationFailureInit): string {
  const where = f.statement ? `${f.path ?? `${f.migration}/migration.sql`}:${f.statement.line}:${f.statement.column}` : f.path;
  const head = f.statement
    ? `Migration ${f.migration} failed at statement ${f.statement.number} of ${f.statement.of} (${where}):`
    : `Migration ${f.migration} failed${where ? ` (${where})` : ''}; statement not determined: ${f.unlocated ?? 'unknown'}.`;
  const lines = [head];
  if (f.statement) lines.push(...f.statement.text.split('\n').slice(0, 12).map((l) => `  ${l}`));
  lines.push(`  ${f.error}${f.sqlstate ? ` (SQLSTATE ${f.sqlstate})` : ''}`);
  if (f.detail) lines.push(`  detail: ${f.detail}`);
  return redact(lines.join('\n'));
}

export interface PgError {
  code?: string;
  message?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

/** A statement PostgreSQL refuses inside a transaction block. */
function outsideTransactionOnly(s: Statement): boolean {
  switch (s.kind) {
    case 'IndexStmt':
    case 'DropStmt':
      return Boolean((s.node as { concurrent?: boolean }).concurrent);
    case 'ReindexStmt':
      return ((s.node as { params?: Array<Parameters<typeof asNode>[0]> }).params ?? []).some((p) => asNode(p, 'DefElem')?.defname === 'concurrently');
    case 'VacuumStmt':
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return true;
    default:
      return false;
  }
}

function failed(s: Statement, of: number): FailedStatement {
  return { number: s.index + 1, of, line: s.loc.start.line, column: s.loc.start.col, text: s.text };
}

/**
 * Names the statement of `sql` that raised `error` when the file ran as one simple
 * query on `client`'s database. `replay`: whether the file's statements may be replayed
 * (in a transaction that is rolled back) to find it.
 */
export async function locateFailure(
  client: pg.ClientBase,
  sql: string,
  error: unknown,
  replay: boolean,
): Promise<{ statement?: FailedStatement; unlocated?: string; replayed?: PgError }> {
  await initParser();
  const parsed = parseSql(sql);
  const all = parsed.statements;
  if (parsed.error) {
    const at = parsed.textIndex.positionOf(parsed.error.index);
    return {
      statement: { number: all.length + 1, of: all.length + 1, line: at.line, column: at.col, text: sql.slice(parsed.error.index).split('\n')[0]!.trim() },
    };
  }
  if (all.length === 0) return { unlocated: 'the file holds no statement' };
  if (all.length === 1) return { statement: failed(all[0]!, 1) };
  const e = (error ?? {}) as PgError;
  const position = Number(e.position);
  if (Number.isInteger(position) && position > 0) {
    const index = parsed.textIndex.indexOfCodePoint(position - 1);
    const hit = all.find((s) => index >= s.range.start && index < s.end) ?? all.find((s) => index < s.end);
    if (hit) return { statement: failed(hit, all.length) };
  }
  if (e.code === '25001') {
    const culprit = all.find(outsideTransactionOnly);
    if (culprit) return { statement: failed(culprit, all.length) };
  }
  if (!replay) return { unlocated: 'the error has no position and the file may have been partly applied' };
  if (all.some(outsideTransactionOnly)) return { unlocated: 'the file holds a statement that cannot run in a transaction, so it is not replayed' };
  // The file's own BEGIN/COMMIT are left out: the replay is one transaction, always rolled back.
  await client.query('BEGIN');
  try {
    for (const s of all) {
      if (s.kind === 'TransactionStmt') continue;
      try {
        await client.query(s.text);
      } catch (replayed) {
        return { statement: failed(s, all.length), replayed: (replayed ?? {}) as PgError };
      }
    }
    return { unlocated: 'replaying its statements one by one did not fail again' };
  } finally {
    await client.query('ROLLBACK').catch(() => {});
  }
}

export interface ApplyOptions {
  /** Write `_prisma_migrations` rows as Prisma does (default true). */
  record?: boolean;
  /** Schema of `_prisma_migrations` and the session's search_path (the URL's `?schema=`; default `public`). */
  schema?: string;
  /** The hint of the `MigrationError` thrown when a migration fails. */
  failureHint?: string;
}

/**
 * Applies `migrations` in order on `client` like `prisma migrate deploy` with the native
 * engine: Prisma's advisory lock, `_prisma_migrations` rows (a failed migration keeps
 * `finished_at` NULL and its error in `logs`, so the next deploy stops with P3009), each
 * file as one simple query. Throws a `MigrationError` at the first failure.
 */
export async function applyMigrations(client: pg.ClientBase, migrations: readonly MigrationScript[], opts: ApplyOptions = {}): Promise<void> {
  const record = opts.record ?? true;
  const schema = opts.schema ?? 'public';
  const table = `${quoteIdent(schema)}.${quoteIdent('_prisma_migrations')}`;
  if (schema !== 'public') {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await setSettings(client, { search_path: quoteIdent(schema) });
  }
  await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
  try {
    if (record) await client.query(PRISMA_MIGRATIONS_DDL(table));
    for (const m of migrations) {
      const id = randomUUID();
      if (record) {
        const checksum = m.checksum ?? createHash('sha256').update(m.sql, 'utf8').digest('hex');
        await client.query(
          `INSERT INTO ${table} (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, clock_timestamp(), 0)`,
          [id, checksum, m.name],
        );
      }
      try {
        await client.query(m.sql);
      } catch (e) {
        const err = (e ?? {}) as PgError;
        // A file with its own BEGIN … COMMIT (Prisma's enum swap) that fails inside it leaves
        // the session in an aborted transaction: end it, or every later query fails with
        // "current transaction is aborted" instead of recording and locating the failure.
        await client.query('ROLLBACK').catch(() => {});
        if (record) {
          await client
            .query(`UPDATE ${table} SET logs = $2 WHERE id = $1`, [id, `${err.message ?? String(e)}${err.code ? `\n   0: SQLSTATE ${err.code}` : ''}`])
            .catch(() => {});
        }
        const { replayed: _, ...where } = await locateFailure(client, m.sql, e, true);
        throw new MigrationError({
          migration: m.name,
          ...(m.path === undefined ? {} : { path: m.path }),
          ...where,
          ...(err.code === undefined ? {} : { sqlstate: err.code }),
          error: `ERROR: ${err.message ?? String(e)}`,
          ...(err.detail === undefined ? {} : { detail: err.detail }),
          ...(opts.failureHint === undefined ? {} : { hint: opts.failureHint }),
        });
      }
      if (record) {
        await client.query(`UPDATE ${table} SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`, [id]);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => {});
  }
}
