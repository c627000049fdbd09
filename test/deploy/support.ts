/**
 * Helpers for `prisma-zd deploy` tests: a copy of the sample project on its own
 * database (a copy of a template where the sample history is already deployed), the
 * built CLI run in it, and sessions that hold locks like an old app version would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { initParser, rewriteHistory } from '@prisma-zd/core';
import { runZd, type ZdRun } from '../support/cli.js';
import type { TestDatabase } from '../support/postgres.js';
import { addMigration, copySampleProject, migrationNames, type SampleProjectCopy } from '../support/prisma.js';

export interface DeployProject {
  url: string;
  project: SampleProjectCopy;
  /** Folder name of the added migration. */
  migration: string;
}

/** Everything a test created, cleaned up in afterAll. */
export class Resources {
  private readonly items: Array<() => Promise<unknown>> = [];
  add(cleanup: () => Promise<unknown>): void {
    this.items.push(cleanup);
  }
  async cleanup(): Promise<void> {
    await Promise.all(this.items.splice(0).map((f) => f().catch(() => {})));
  }
}

export async function deployProject(
  res: Resources,
  newDatabase: () => Promise<TestDatabase>,
  migration?: { name: string; sql: string },
): Promise<DeployProject> {
  const db = await newDatabase();
  res.add(() => db.drop());
  const project = await copySampleProject();
  res.add(() => project.cleanup());
  return { url: db.url, project, migration: migration ? addMigration(project.migrationsDir, migration.name, migration.sql) : '' };
}

export interface ZdDeployRun extends ZdRun {
  json: Record<string, any> | undefined;
}

/** `prisma-zd deploy <args>` in the project, DATABASE_URL = `url`. */
export async function zdDeploy(
  p: Pick<DeployProject, 'url' | 'project'>,
  args: string[] = [],
  opts: { env?: Record<string, string | undefined>; onSpawn?: (pid: number) => void; timeoutMs?: number } = {},
): Promise<ZdDeployRun> {
  const run = await runZd(['deploy', ...args], {
    cwd: p.project.dir,
    env: { DATABASE_URL: p.url, CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1', PRISMA_ZD_EXEC_MODE: 'whole-file', ...opts.env },
    ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
    timeoutMs: opts.timeoutMs ?? 90_000,
  });
  let json: Record<string, any> | undefined;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as Record<string, any>;
    } catch {
      json = undefined;
    }
  }
  return { ...run, json };
}

export interface Session {
  client: pg.Client;
  pid: number;
  /** Whether its backend still exists. */
  alive(): Promise<boolean>;
  end(): Promise<void>;
}

/** A session named `app`, optionally in a transaction holding `lock` (e.g. `LOCK TABLE "Product" IN ACCESS SHARE MODE`). */
export async function session(url: string, app: string, lock?: string): Promise<Session> {
  const client = new pg.Client({ connectionString: url, application_name: app });
  client.on('error', () => {}); // A terminated session must not crash the test.
  await client.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  if (lock) {
    await client.query('BEGIN');
    await client.query(lock);
  }
  return {
    client,
    pid,
    alive: () => isAlive(url, pid),
    end: async () => {
      await client.query('COMMIT').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

export async function isAlive(url: string, pid: number): Promise<boolean> {
  return (await query(url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length > 0;
}

/** Polls `check` every 50 ms until it is true (or fails after `timeoutMs`). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True once a prisma-zd deploy's Prisma session waits for a lock. */
export async function prismaWaiting(url: string): Promise<boolean> {
  const rows = await query(
    url,
    `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name ~ '^prisma-zd/deploy-[0-9a-f]+$' AND wait_event_type = 'Lock'`,
  );
  return rows.length > 0;
}

export interface MigrationRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export function migrationRows(url: string, name?: string): Promise<MigrationRow[]> {
  return query<MigrationRow>(
    url,
    `SELECT migration_name, finished_at, rolled_back_at, logs FROM _prisma_migrations
      WHERE $1::text IS NULL OR migration_name = $1 ORDER BY started_at`,
    [name ?? null],
  );
}

export async function columnExists(url: string, table: string, column: string): Promise<boolean> {
  return (await query(url, 'SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2', [table, column])).length > 0;
}

export const ADD_WEIGHT = `-- AlterTable
ALTER TABLE "Product" ADD COLUMN "weightGrams" INTEGER;
`;
export const HOLD_PRODUCT = 'LOCK TABLE "Product" IN ACCESS SHARE MODE';

/** Adds a migration the way a developer would after `prisma-zd rewrite`: rewritten against the whole history. */
export async function addRewrittenMigration(migrationsDir: string, name: string, sql: string): Promise<string> {
  await initParser();
  const folder = addMigration(migrationsDir, name, sql);
  const history = migrationNames(migrationsDir).map((n) => ({ name: n, sql: readFileSync(join(migrationsDir, n, 'migration.sql'), 'utf8') }));
  const rewritten = rewriteHistory(history, { select: (n) => n === folder });
  const mine = rewritten.find((r) => r.name === folder)!;
  if (!mine.changed) throw new Error(`rewrite left ${folder} unchanged`);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(migrationsDir, folder, 'migration.sql'), mine.text);
  return folder;
}

/**
 * A login role that owns the application's tables, types and the public schema (what
 * `prisma migrate deploy` runs as in production), but is no superuser; `createOnDatabase`
 * also lets it create schemas (the bookkeeping). Returns `url` as that role.
 */
export async function deployerRole(res: Resources, url: string, opts: { createOnDatabase: boolean }): Promise<{ role: string; url: string }> {
  const role = `zd_deployer_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  await query(url, `CREATE ROLE ${role} LOGIN PASSWORD 'deployer-pw'`);
  res.add(async () => {
    const { testServer } = await import('../support/db.js');
    await query(testServer().url(), `DROP ROLE IF EXISTS ${role}`);
  });
  await query(
    url,
    `DO $$ DECLARE r record; BEGIN
       EXECUTE format('ALTER SCHEMA public OWNER TO %I', '${role}');
       ${opts.createOnDatabase ? `EXECUTE format('GRANT CREATE ON DATABASE %I TO %I', current_database(), '${role}');` : ''}
       FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
         EXECUTE format('ALTER TABLE public.%I OWNER TO %I', r.tablename, '${role}');
       END LOOP;
       FOR r IN SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE nspname = 'public' AND typtype = 'e' LOOP
         EXECUTE format('ALTER TYPE public.%I OWNER TO %I', r.typname, '${role}');
       END LOOP;
     END $$`,
  );
  const as = new URL(url);
  as.username = role;
  as.password = 'deployer-pw';
  return { role, url: as.toString() };
}
