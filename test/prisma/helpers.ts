import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { freshDatabase, templateDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { addMigration, copySampleProject, runPrisma, type SampleProjectCopy } from '../support/prisma.js';

export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** A template database with the sample history deployed by `prisma migrate deploy`. */
export function sampleTemplate(): Promise<string> {
  return templateDatabase(async (url) => {
    const run = await runPrisma(['migrate', 'deploy'], { url });
    if (run.code !== 0) throw new Error(`prisma migrate deploy of the sample failed:\n${run.stdout}\n${run.stderr}`);
  }, 'zd_sample_tpl');
}

export interface MigrationRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

export function migrationRows(url: string): Promise<MigrationRow[]> {
  return query<MigrationRow>(
    url,
    `SELECT migration_name, finished_at, rolled_back_at, applied_steps_count, logs
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
}

export async function tableExists(url: string, table: string): Promise<boolean> {
  const [row] = await query<{ t: string | null }>(url, 'SELECT to_regclass($1)::text AS t', [`"${table}"`]);
  return row!.t !== null;
}

/** `url` with extra query parameters (kept URL-encoded, as a user would write them). */
export function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/**
 * Per test file: a database with the sample history applied (from a template built once)
 * and a project copy with `sql` as one more migration; everything is dropped afterwards.
 */
export function sampleWithMigration(prefix: string): (name: string, sql: string) => Promise<{ url: string; project: SampleProjectCopy; migration: string }> {
  let template: string;
  const databases: TestDatabase[] = [];
  const copies: SampleProjectCopy[] = [];
  beforeAll(async () => {
    template = await sampleTemplate();
  });
  afterAll(async () => {
    await Promise.all([...databases.map((db) => db.drop()), ...copies.map((c) => c.cleanup())]);
  });
  return async (name, sql) => {
    const db = await freshDatabase({ template, prefix });
    databases.push(db);
    const project = await copySampleProject();
    copies.push(project);
    return { url: db.url, project, migration: addMigration(project.migrationsDir, name, sql) };
  };
}
