/**
 * What a test's `prisma migrate deploy` did to the database under test, as an error that
 * names it: a migration that failed (its statement and PostgreSQL's message, also where a
 * driver adapter logs only its own words), a run killed after `timeoutMs` (its sessions
 * ended, its blockers named), and a run that succeeded somewhere else (another database,
 * or another schema than the URL's `?schema=`).
 */
import type pg from 'pg';
import { quoteIdent } from '@prisma-zd/core';
import { withClient } from '../db/connect.js';
import { describeServer } from '../db/url.js';
import { ExitCode, UserError } from '../errors.js';
import { appliedMigrations, type MigrationFile } from '../project/migrations.js';
import type { ExecutionModel } from '../project/prisma-project.js';
import { locateFailure, MigrationError, type PgError } from '../verify/apply.js';
import type { PrismaDeployRun } from './prisma-deploy.js';

/** The database under test, as the kit reaches it. */
export interface DeployTarget {
  url: string;
  /** Where `_prisma_migrations` is (the URL's `?schema=`, else `public`). */
  prismaSchema: string;
  /** The variables the Prisma child got the URL in. */
  urlEnv: readonly string[];
}

/** The next step after a migration failed in a test. */
export const FAILED_HINT =
  "`prisma migrate deploy` would stop at this migration the same way in a deploy (Prisma's failed state, P3009; see `state().failed`). " +
  'Fix the migration (e.g. backfill or clean up the rows it rejects in a statement before it), then run the test again on a fresh database.';

const session = { applicationName: 'testing' };

/**
 * PostgreSQL's error for a failed migration of one statement, replayed in a transaction
 * that is rolled back (the statement failed, so it left nothing behind). Undefined when it
 * does not fail again, or cannot run in a transaction block (CREATE INDEX CONCURRENTLY).
 */
async function replayFailedFile(c: pg.ClientBase, sql: string): Promise<PgError | undefined> {
  await c.query('BEGIN');
  try {
    await c.query(sql);
    return undefined;
  } catch (e) {
    const error = (e ?? {}) as PgError;
    return error.code === '25001' ? undefined : error;
  } finally {
    await c.query('ROLLBACK').catch(() => {});
  }
}

/**
 * `prisma migrate deploy` was killed after `timeoutMs`: its sessions still wait (for a
 * lock, typically) and would apply the migration behind the test's back once they get
 * it. They are ended, and the error names what they waited for.
 */
export async function timedOutError(target: DeployTarget, applicationName: string, upTo: string, timeoutMs: number): Promise<UserError> {
  const waits = await withClient(
    target.url,
    async (c) => {
      const { rows } = await c.query<{ pid: number; blockers: string | null }>(
        `SELECT a.pid,
                (SELECT string_agg(format('pid %s (%s, %s: %s)', b.pid, coalesce(nullif(b.application_name, ''), 'no application_name'), b.state, left(b.query, 80)), '; ')
                   FROM pg_stat_activity b WHERE b.pid = ANY (pg_blocking_pids(a.pid))) AS blockers
           FROM pg_stat_activity a WHERE a.application_name = $1 AND a.datname = current_database()`,
        [applicationName],
      );
      for (const r of rows) await c.query('SELECT pg_terminate_backend($1)', [r.pid]);
      return rows.map((r) => r.blockers).filter((b): b is string => Boolean(b));
    },
    session,
  );
  return new UserError({
    code: 'ZD_TIMEOUT',
    message:
      `\`prisma migrate deploy\` (up to ${upTo}) did not finish within timeoutMs (${timeoutMs} ms)` +
      (waits.length ? `: it was waiting for a lock held by ${waits.join('; ')}` : '') +
      '. Its sessions were ended, so nothing more of it is applied; the migration it was running is left as Prisma recorded it (see `state()`).',
    hint: 'End what holds the lock in the test (or raise timeoutMs) before migrating; to test a migration against a lock, give the blocker its own session and release it.',
    exit: ExitCode.Failure,
  });
}

/** `prisma migrate deploy` exited non-zero: the migration it left failed, named with its statement, or what Prisma printed. */
export async function failedDeployError(
  target: DeployTarget,
  files: readonly MigrationFile[],
  execution: ExecutionModel,
  run: PrismaDeployRun,
): Promise<UserError> {
  const table = `${quoteIdent(target.prismaSchema)}.${quoteIdent('_prisma_migrations')}`;
  const failed = await withClient(
    target.url,
    async (c) => {
      if (!(await c.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0]?.ok) return undefined;
      const { rows } = await c.query<{ migration_name: string; logs: string | null }>(
        `SELECT migration_name, logs FROM ${table} WHERE finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at DESC LIMIT 1`,
      );
      const row = rows[0];
      const file = row && files.find((f) => f.name === row.migration_name);
      if (!row || !file) return undefined;
      // Whole-file execution left nothing of the failed file behind: its statements can be replayed to name the one that fails.
      const where = await locateFailure(c, file.sql, {}, execution === 'whole-file');
      // A file of one statement is located without a replay, but Prisma's log may hold only the driver adapter's words for the error.
      if (!where.replayed && where.statement?.of === 1) {
        const replayed = await replayFailedFile(c, file.sql);
        if (replayed) where.replayed = replayed;
      }
      return { file, logs: row.logs, where };
    },
    session,
  );
  const tail = run.output.trim().split('\n').slice(-15).join('\n');
  if (!failed) {
    return new UserError({
      code: 'ZD_PRISMA_DEPLOY',
      message: `\`prisma migrate deploy\` exited with ${run.code ?? run.signal} before applying a migration:\n${tail}`,
      hint:
        `Check that the project's Prisma config loads and reaches the database (the URL is passed in ${target.urlEnv.join(', ')}), ` +
        "or use mode: 'sql' (the files executed as Prisma's native engine executes them, without the Prisma CLI).",
      exit: ExitCode.Failure,
    });
  }
  // Prisma's log (the adapter path maps some errors to its own words): the first lines, not the engine's trace.
  const logs = (failed.logs ?? '').split('\n').filter((l) => l.trim() && !/^\s+(\d+:|at |with )/.test(l)).slice(0, 2).join(' ').trim();
  const { replayed, ...where } = failed.where;
  return new MigrationError({
    migration: failed.file.name,
    path: failed.file.path,
    ...where,
    ...(replayed?.code ? { sqlstate: replayed.code } : {}),
    error: replayed?.message ? `ERROR: ${replayed.message}` : logs || `prisma migrate deploy exited with ${run.code ?? run.signal}`,
    // Without a log, Prisma's own error line rather than its warnings.
    detail: `prisma migrate deploy: ${logs || run.output.split('\n').find((l) => /^Error: /.test(l))?.trim() || tail}`,
    hint: FAILED_HINT,
  });
}

/**
 * `prisma migrate deploy` succeeded: `todo` must be applied in the database under test. A
 * config that reads the URL from a variable the kit did not set has applied them to
 * whatever database that variable names (a developer's own, say): the test must not pass.
 */
export async function assertAppliedHere(target: DeployTarget, todo: readonly MigrationFile[], output: string): Promise<void> {
  const { applied, otherSchemas } = await withClient(
    target.url,
    async (c) => {
      const applied = new Set((await appliedMigrations(c, target.prismaSchema))?.map((a) => a.name));
      const { rows } = await c.query<{ schema: string }>(
        `SELECT n.nspname AS schema FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname = '_prisma_migrations' AND c.relkind = 'r' AND n.nspname <> $1 ORDER BY 1`,
        [target.prismaSchema],
      );
      return { applied, otherSchemas: rows.map((r) => r.schema) };
    },
    session,
  );
  const missing = todo.filter((m) => !applied.has(m.name)).map((m) => m.name);
  if (missing.length === 0) return;
  if (otherSchemas.length) {
    // The same database, Prisma's table in another schema: the URL's ?schema= did not reach the session.
    throw new UserError({
      code: 'ZD_PRISMA_SCHEMA',
      message:
        `\`prisma migrate deploy\` applied ${missing.join(', ')} in schema ${otherSchemas.map(quoteIdent).join(', ')} of the database under test, ` +
        `not in ${quoteIdent(target.prismaSchema)}, the schema its URL names (?schema=${target.prismaSchema}): the connection Prisma used ignores ?schema=.`,
      hint: "A driver adapter takes the schema as an option (PrismaPg: new PrismaPg({ connectionString }, { schema })); or leave ?schema= out of the test's URL.",
      exit: ExitCode.Failure,
    });
  }
  const datasource = output.split('\n').find((l) => /^Datasource "/.test(l.trim()));
  throw new UserError({
    code: 'ZD_PRISMA_ELSEWHERE',
    message:
      `\`prisma migrate deploy\` succeeded but did not apply ${missing.join(', ')} to the database under test (${describeServer(target.url)}): ` +
      `Prisma connected to another database${datasource ? ` (its output: ${datasource.trim()})` : ''}, which may now hold them. ` +
      `The URL was passed in ${target.urlEnv.join(', ')}; the project's Prisma config or schema reads it from another variable.`,
    hint: "Pass the variable your Prisma config reads the URL from in urlEnv (createMigrationTest({ urlEnv: ['MY_DATABASE_URL'] })), and check the database it pointed at.",
    exit: ExitCode.Failure,
  });
}
