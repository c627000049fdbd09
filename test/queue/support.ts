/**
 * Helpers for the queue tests: the built CLI as a child process, SQL on a test
 * database, and queue entries inserted the way a rewritten migration inserts them
 * (core's `conditionalBlock`, executed on a managed database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { conditionalBlock, type EntryKind } from '../../packages/core/src/zd/blocks.js';

const BIN = resolve(import.meta.dirname, '../../packages/cli/bin/prisma-zd.js');
/** Runs outside the repository, so no prisma.config.ts is found: every test passes --url. */
const CWD = mkdtempSync(join(tmpdir(), 'prisma-zd-queue-cwd-'));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<CliResult>;
  stderr(): string;
}

/** Starts `prisma-zd …args` (not waited for). */
export function startCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: CWD,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

/** Runs `prisma-zd …args` to completion. */
export function cli(args: string[]): Promise<CliResult> {
  return startCli(args).done;
}

/** Runs SQL on `url` and returns the rows of the last statement. */
export async function sql<R extends Record<string, unknown> = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  // The server may end the session (a database dropped by a concurrent cleanup): the query
  // rejects with it; without a listener the client's 'error' event would also crash the run.
  c.on('error', () => {});
  await c.connect();
  try {
    const r = await c.query(text, params);
    const last = Array.isArray(r) ? r[r.length - 1] : r;
    return (last?.rows ?? []) as R[];
  } finally {
    await c.end();
  }
}

/**
 * Queues work the way a migration rewritten by prisma-zd does: executes the conditional
 * DO block (inline on an unmanaged database, queued on a managed one).
 */
export async function queue(
  url: string,
  e: { kind?: EntryKind; table: string; object: string; statement: string; columns?: string[]; migration?: string },
): Promise<void> {
  const kind = e.kind ?? 'index';
  const block = conditionalBlock(kind === 'contract' ? 'defer' : 'postpone', e.statement, {
    kind,
    migration: e.migration ?? '20260101000000_test',
    objectName: e.object,
    tableName: e.table,
    columns: e.columns ?? [],
    statement: e.statement,
  });
  await sql(url, block);
}

export interface IndexRow {
  name: string;
  valid: boolean;
  oid: number;
}

export async function indexesOf(url: string, table: string): Promise<IndexRow[]> {
  return sql<{ name: string; valid: boolean; oid: number }>(
    url,
    `SELECT c.relname AS name, i.indisvalid AS valid, c.oid::int AS oid
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) ORDER BY 1`,
    [`"${table}"`],
  );
}

export async function statuses(url: string): Promise<Array<{ id: number; status: string; object_name: string; note: string | null }>> {
  return sql(url, `SELECT id::int, status, object_name, note FROM prisma_zd.queue ORDER BY id`);
}

/**
 * A table whose index on `slow(a)` takes about `rows` ms to build: the immutable function
 * sleeps 1 ms per row. Long builds without a big table.
 */
export async function slowTable(url: string, table: string, rows: number): Promise<string> {
  await sql(
    url,
    `CREATE OR REPLACE FUNCTION slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN $1; END $$;
     CREATE TABLE "${table}" (a int);
     INSERT INTO "${table}" SELECT g FROM generate_series(1, ${rows}) g;`,
  );
  return `CREATE INDEX "${table}_slow_idx" ON "${table}" (slow(a))`;
}

/** Resolves once `pg_stat_progress_create_index` shows a build on `table`. */
export async function waitForBuild(url: string, table: string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await sql<{ pid: number }>(
      url,
      `SELECT pid FROM pg_stat_progress_create_index
        WHERE datname = current_database() AND relid = to_regclass($1) AND phase LIKE 'building%'`,
      [`"${table}"`],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no index build on ${table} within ${timeoutMs} ms`);
}

export const setupArgs = (url: string) => ['setup', '--url', url];

/** Migrations folder that does not exist: reconciliation is skipped (and said so). */
export const NOFOLDER = ['--migrations', '/nonexistent-migrations'];

/** A fresh database with the bookkeeping schema installed by `prisma-zd setup`. */
export async function managed() {
  const { freshDatabase } = await import('../support/db.js');
  const db = await freshDatabase();
  const r = await cli(['setup', '--url', db.url]);
  if (r.code !== 0) throw new Error(`setup failed: ${r.stderr}`);
  return db;
}
