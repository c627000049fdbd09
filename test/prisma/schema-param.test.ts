/**
 * `?schema=<name>` through the sample adapter, as the native engine (quaint) honours it: every
 * connection (main, temporary shadow database, given shadow database with its own URL) starts
 * with `search_path` set to the quoted name, which wins over the URL's
 * `options=-c search_path=…`; the engine learns the name from `getConnectionInfo().schemaName`,
 * creates the schema when missing and keeps `_prisma_migrations` there. Measured with the real
 * prisma CLI: `migrate deploy` (both execution modes), the next deploy, `migrate status`,
 * `migrate reset`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleAdapter, searchPathValue } from '../../prisma/adapter/index.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { addMigration, copySampleProject, migrationNames, runPrisma, type ExecMode, type SampleProjectCopy } from '../support/prisma.js';
import { query, withParams } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(() => Promise.all(cleanups.splice(0).map((f) => f().catch(() => {}))));

async function database(): Promise<TestDatabase> {
  const db = await freshDatabase({ prefix: 'zd_prisma_schema' });
  cleanups.push(() => db.drop());
  return db;
}

/** A copy of the sample project with a history that names no schema (the sample's last migration qualifies "public"). */
async function unqualifiedProject(): Promise<SampleProjectCopy> {
  const project = await copySampleProject();
  cleanups.push(() => project.cleanup());
  for (const name of migrationNames(project.migrationsDir)) rmSync(join(project.migrationsDir, name), { recursive: true });
  addMigration(project.migrationsDir, 'init', `CREATE TABLE "Item" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\n`);
  addMigration(
    project.migrationsDir,
    'probe',
    `CREATE TABLE "Probe" AS SELECT current_setting('search_path') AS search_path, current_schema() AS current;\nCREATE INDEX "Item_name_idx" ON "Item"("name");\n`,
  );
  return project;
}

const relations = (url: string) =>
  query<{ schema: string; name: string }>(
    url,
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'i') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relname NOT LIKE '%_pkey' ORDER BY 2, 1`,
  );

/** Odd, but one the engine can create (its `CREATE SCHEMA "<name>"` does not escape `"`). */
const ODD = `Tenant One-1.x, 'q'`;
/** With a `"`: only the adapter's quoting can reach it. */
const QUOTED = `Tenant "One"-1.x, 'q'`;

describe('the sample adapter with ?schema=', () => {
  it('quotes the name as one identifier', () => {
    expect(searchPathValue('app')).toBe('"app"');
    expect(searchPathValue(QUOTED)).toBe(`"Tenant ""One""-1.x, 'q'"`);
  });

  it("sets every connection's search_path to it (main, temporary shadow, given shadow), over the URL's options, and reports it as schemaName; without it, sends nothing", async () => {
    const [db, shadow] = await Promise.all([database(), database()]);
    const url = withParams(db.url, { schema: QUOTED, options: '-c search_path=other -c lock_timeout=1234ms' });
    const factory = sampleAdapter({ url });
    const seen = async (adapter: Awaited<ReturnType<typeof factory.connect>>) => {
      try {
        const r = await adapter.queryRaw({ sql: `SELECT current_setting('search_path') AS p, current_setting('lock_timeout') AS l, current_database() AS d`, args: [], argTypes: [] });
        // RESET returns to the startup value, as with the native engine's startup parameter.
        await adapter.executeRaw({ sql: 'RESET search_path', args: [], argTypes: [] });
        const reset = await adapter.queryRaw({ sql: `SELECT current_setting('search_path') AS p`, args: [], argTypes: [] });
        return { path: r.rows[0]![0], lockTimeout: r.rows[0]![1], database: r.rows[0]![2], reset: reset.rows[0]![0], schemaName: (await adapter.getConnectionInfo!()).schemaName };
      } finally {
        await adapter.dispose();
      }
    };
    const quoted = searchPathValue(QUOTED);
    expect(await seen(await factory.connect())).toEqual({ path: quoted, lockTimeout: '1234ms', database: db.name, reset: quoted, schemaName: QUOTED });
    // The temporary shadow database keeps the main URL's query, as the native engine's does.
    const temp = await seen(await factory.connectToShadowDb());
    expect(temp).toMatchObject({ path: quoted, reset: quoted, schemaName: QUOTED });
    expect(temp.database).toMatch(/^prisma_migrate_shadow_db_/);
    // A given shadow database: its own ?schema=.
    const given = sampleAdapter({ url, shadowUrl: withParams(shadow.url, { schema: 'shadow_app' }) });
    expect(await seen(await given.connectToShadowDb())).toMatchObject({ path: '"shadow_app"', schemaName: 'shadow_app', database: shadow.name });
    // Without ?schema= (or with an empty one): the URL's options apply, and the engine uses its default (public).
    for (const plain of [withParams(db.url, { options: '-c search_path=other' }), withParams(db.url, { schema: '', options: '-c search_path=other' })]) {
      expect(await seen(await sampleAdapter({ url: plain }).connect())).toMatchObject({ path: 'other', reset: 'other', schemaName: undefined });
    }
  });
});

describe.each<ExecMode>(['whole-file', 'per-statement'])('prisma migrate with ?schema= (%s)', (mode) => {
  it('deploy creates the missing schema and keeps _prisma_migrations and the tables there; the next deploy and status find everything applied; reset rebuilds only that schema', async () => {
    const [db, project] = await Promise.all([database(), unqualifiedProject()]);
    const url = withParams(db.url, { schema: ODD, options: '-c search_path=nowhere' });
    const deploy = await runPrisma(['migrate', 'deploy'], { url, mode, cwd: project.dir });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    const expected = [
      { schema: ODD, name: 'Item' },
      { schema: ODD, name: 'Item_name_idx' },
      { schema: ODD, name: 'Probe' },
      { schema: ODD, name: '_prisma_migrations' },
    ];
    expect(await relations(db.url)).toEqual(expected);
    expect(await query(db.url, `SELECT * FROM "${ODD.replaceAll('"', '""')}"."Probe"`)).toEqual([{ search_path: searchPathValue(ODD), current: ODD }]);

    const again = await runPrisma(['migrate', 'deploy'], { url, mode, cwd: project.dir });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('No pending migrations to apply.');
    const status = await runPrisma(['migrate', 'status'], { url, mode, cwd: project.dir });
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('Database schema is up to date!');

    // reset drops and recreates that schema only, then applies the history there again.
    await query(db.url, `CREATE TABLE public."Keep" ("id" INT)`);
    const reset = await runPrisma(['migrate', 'reset', '--force', '--skip-generate', '--skip-seed'], { url, mode, cwd: project.dir });
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    expect(await relations(db.url)).toEqual([expected[0], expected[1], { schema: 'public', name: 'Keep' }, expected[2], expected[3]]);
  });
});

describe('prisma migrate with a ?schema= holding a double quote', () => {
  it("fails in the engine's own CREATE SCHEMA when the schema is missing (as with the native engine), and deploys there once it exists", async () => {
    const [db, project] = await Promise.all([database(), unqualifiedProject()]);
    const url = withParams(db.url, { schema: QUOTED });
    const missing = await runPrisma(['migrate', 'deploy'], { url, cwd: project.dir });
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toContain('syntax error');
    await query(db.url, `CREATE SCHEMA ${searchPathValue(QUOTED)}`);
    const deploy = await runPrisma(['migrate', 'deploy'], { url, cwd: project.dir });
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect((await relations(db.url)).map((r) => r.schema)).toEqual([QUOTED, QUOTED, QUOTED, QUOTED]);
  });
});
