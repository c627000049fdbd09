/**
 * A search_path that selects no schema (every schema it names is missing, or the role may
 * not use it), set in the URL's `options` or on the role:
 * `deploy` and `verify` say ZD_SEARCH_PATH (exit 2) naming the path, where it is set and the
 * fix, before Prisma runs (nothing recorded). The queue commands do not need it. `?schema=`
 * sets Prisma's search_path itself (the sample adapter does it as the native engine does), so
 * only an adapter that ignores it still meets a role's broken path (ZD_SEARCH_PATH too). And
 * without `?schema=`, `_prisma_migrations` is where Prisma puts it: in the schema the
 * search_path selects (measured with the real prisma CLI), so a role whose search_path is
 * `app` deploys, is up to date the next time, and verifies.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD, withAdmin } from '../support/postgres.js';
import { addMigration, migrationNames, sampleConfigWithAdapter } from '../support/prisma.js';
import { queue, sql, statuses } from '../queue/support.js';
import { expectUserError } from './support.js';
import { deployProject, Resources, zdDeploy, type DeployProject } from '../deploy/support.js';

const res = new Resources();
afterAll(() => res.cleanup());

async function database() {
  const db = await freshDatabase({ prefix: 'zd_sp' });
  res.add(() => db.drop());
  return db;
}

/** A copy of the sample project whose history names no schema (the sample's qualifies `"public"`), on a fresh database. */
async function unqualifiedProject(): Promise<DeployProject> {
  const p = await deployProject(res, database);
  for (const name of migrationNames(p.project.migrationsDir)) rmSync(join(p.project.migrationsDir, name), { recursive: true });
  addMigration(p.project.migrationsDir, 'init', `CREATE TABLE "Item" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\n`);
  addMigration(p.project.migrationsDir, 'item_name', `CREATE INDEX "Item_name_idx" ON "Item"("name");\n`);
  // The index becomes postponed work, as in a project that uses prisma-zd.
  const rewrite = await runZd(['rewrite', '--all'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
  expect(rewrite.code, rewrite.stderr).toBe(0);
  return p;
}

/** A login role owning the database of `url`, with `alter` (ALTER ROLE … ) applied; `url` as that role. */
async function asRole(url: string, name: string, alter: string[]): Promise<string> {
  const role = `zd_sp_${name}_${process.pid}`;
  const database = new URL(url).pathname.slice(1);
  await withAdmin(testServer(), async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}' CREATEDB`);
    await c.query(`ALTER DATABASE "${database}" OWNER TO ${role}`);
    for (const a of alter) await c.query(`ALTER ROLE ${role} ${a}`);
  });
  res.add(() => withAdmin(testServer(), (c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).then(() => c.query(`DROP OWNED BY ${role}`).catch(() => {})).then(() => c.query(`DROP ROLE IF EXISTS ${role}`))));
  const u = new URL(url);
  u.username = role;
  return u.toString();
}

const withOptions = (url: string, options: string) => {
  const u = new URL(url);
  u.searchParams.set('options', options);
  return u.toString();
};

const prismaTables = (url: string) =>
  sql<{ schema: string }>(url, `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = '_prisma_migrations' ORDER BY 1`);

describe('search_path', () => {
  it("the URL's options=-c search_path=<missing>: deploy (and --dry-run) say ZD_SEARCH_PATH (exit 2) naming the schema and the URL, before anything runs; after CREATE SCHEMA it deploys there and is up to date the next time", async () => {
    const p = await unqualifiedProject();
    const url = withOptions(p.url, '-c search_path=tenant');
    for (const args of [[], ['--dry-run']]) {
      const r = await zdDeploy({ ...p, url }, args);
      expectUserError(r, 2, 'ZD_SEARCH_PATH', `deploy ${args.join(' ')}`, 'search_path', '`tenant`', '"tenant" does not exist', "database URL's options", 'CREATE SCHEMA "tenant"', 'prisma-zd deploy');
      expect(r.stderr).not.toContain('Attempt 1');
    }
    // Nothing was recorded, nothing installed.
    expect(await prismaTables(p.url)).toEqual([]);
    expect((await sql(p.url, `SELECT to_regnamespace('prisma_zd') IS NULL AS none`))[0]).toEqual({ none: true });

    // The fix the hint gives; Prisma then keeps _prisma_migrations in "tenant", where deploy reads it.
    await sql(p.url, `CREATE SCHEMA tenant`);
    const ok = await zdDeploy({ ...p, url }, ['--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await prismaTables(p.url)).toEqual([{ schema: 'tenant' }]);
    const again = await zdDeploy({ ...p, url }, ['--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ status: 'up-to-date' });
    expect(again.stderr).not.toContain('Attempt 1');
  });

  it("a role's search_path naming a missing schema: deploy and verify say ZD_SEARCH_PATH with the ALTER ROLE; postponed list/run and contract still work; with the schema created, deploy, the next deploy and verify agree", async () => {
    const p = await unqualifiedProject();
    const url = await asRole(p.url, 'role', ['SET search_path = app']);
    const role = new URL(url).username;
    const deploy = await zdDeploy({ ...p, url });
    expectUserError(deploy, 2, 'ZD_SEARCH_PATH', 'deploy', `role "${role}"`, '`app`', '"app" does not exist', `ALTER ROLE "${role}" RESET search_path;`, `CREATE SCHEMA "app" AUTHORIZATION "${role}"`);
    expect(await prismaTables(p.url)).toEqual([]);
    const verify = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir]);
    expectUserError(verify, 2, 'ZD_SEARCH_PATH', 'verify', `role "${role}"`, '"app" does not exist', `ALTER ROLE "${role}" RESET search_path;`, 'prisma-zd verify');
    expect(verify.stderr).not.toContain('ZD_MIGRATION_FAILED');

    // The queue qualifies its own names and runs each entry with the search_path it was queued with.
    expect((await runZd(['setup', '--url', url])).code).toBe(0);
    await sql(url, `CREATE TABLE public."T" ("id" INT PRIMARY KEY, "a" INT, "cur" TEXT DEFAULT 'EUR')`);
    await queue(p.url, { table: 'T', object: 'T_a_idx', statement: 'CREATE INDEX "T_a_idx" ON "T"("a")', columns: ['a'] });
    await queue(p.url, { kind: 'contract', table: 'T', object: 'cur', statement: 'ALTER TABLE "T" ALTER COLUMN "cur" DROP DEFAULT', columns: ['cur'] });
    const list = await runZd(['postponed', 'list', '--url', url]);
    expect(list.code, list.stderr).toBe(0);
    for (const args of [['postponed', 'run'], ['contract']]) {
      const r = await runZd([...args, '--url', url, '--migrations', '/nonexistent-migrations']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect((await statuses(p.url)).map((s) => s.status)).toEqual(['done', 'done']);
    await sql(p.url, `DROP SCHEMA prisma_zd CASCADE; DROP TABLE public."T"`);

    // Created by a DBA (outside the migrations): Prisma builds there, deploy reads its history there.
    await sql(p.url, `CREATE SCHEMA app AUTHORIZATION ${role}`);
    // Postponed work left for a later step: checked against the history where Prisma keeps it ("app"), not a "public" one that is not there.
    const ok = await zdDeploy({ ...p, url }, ['--json', '--no-postponed']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await prismaTables(p.url)).toEqual([{ schema: 'app' }]);
    expect((await sql(p.url, `SELECT to_regclass('app."Item"') IS NOT NULL AS built`))[0]).toEqual({ built: true });
    const again = await zdDeploy({ ...p, url }, ['--json', '--no-postponed']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ status: 'up-to-date' });
    expect((await statuses(p.url)).map((s) => [s.object_name, s.status])).toEqual([['Item_name_idx', 'pending']]);
    const run = await runZd(['postponed', 'run', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('was not checked against later migrations');
    expect((await statuses(p.url)).map((s) => s.status)).toEqual(['done']);
    const verified = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  });

  it('a search_path whose schema exists but the role may not use: ZD_SEARCH_PATH with the GRANT', async () => {
    const p = await unqualifiedProject();
    await sql(p.url, `CREATE SCHEMA locked`);
    const url = await asRole(p.url, 'nousage', ['SET search_path = locked']);
    const role = new URL(url).username;
    const r = await zdDeploy({ ...p, url });
    expectUserError(r, 2, 'ZD_SEARCH_PATH', 'deploy', `role "${role}" lacks USAGE`, `GRANT USAGE, CREATE ON SCHEMA "locked" TO "${role}";`);
    expect(await prismaTables(p.url)).toEqual([]);
  });

  it("?schema=<missing> is Prisma's to create: deploy does not refuse it, and Prisma builds there even when the role's search_path names a missing schema (it sets its session's search_path to the ?schema=)", async () => {
    const p = await unqualifiedProject();
    const named = new URL(p.url);
    named.searchParams.set('schema', 'fresh');
    const ok = await zdDeploy({ ...p, url: named.toString() });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stderr).not.toContain('ZD_SEARCH_PATH');
    expect(await prismaTables(p.url)).toEqual([{ schema: 'fresh' }]);

    const q = await unqualifiedProject();
    const u = new URL(await asRole(q.url, 'schemaparam', ['SET search_path = nowhere']));
    u.searchParams.set('schema', 'fresh');
    const r = await zdDeploy({ ...q, url: u.toString() }, ['--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await prismaTables(q.url)).toEqual([{ schema: 'fresh' }]);
    expect((await sql(q.url, `SELECT to_regclass('fresh."Item"') IS NOT NULL AS built`))[0]).toEqual({ built: true });
    const again = await zdDeploy({ ...q, url: u.toString() }, ['--json']);
    expect(again.json).toMatchObject({ status: 'up-to-date' });
  });

  it("?schema= with a driver adapter that ignores it (its session keeps the role's search_path, which selects no schema): ZD_SEARCH_PATH, not a failed migration", async () => {
    const q = await unqualifiedProject();
    // A stub: the sample adapter, given the URL without ?schema= (neither search_path nor the engine's schemaName).
    writeFileSync(
      join(q.project.dir, 'prisma.config.ts'),
      sampleConfigWithAdapter(`const url = new URL(process.env.DATABASE_URL!);
url.searchParams.delete('schema');
return sampleAdapter({ url: url.toString() });`),
    );
    const u = new URL(await asRole(q.url, 'ignored', ['SET search_path = nowhere']));
    u.searchParams.set('schema', 'fresh');
    const r = await zdDeploy({ ...q, url: u.toString() });
    expectUserError(r, 2, 'ZD_SEARCH_PATH', 'deploy ?schema=', '"nowhere" does not exist', 'nothing was applied', 'prisma-zd deploy');
    expect(r.stderr).not.toContain('failed (exit code');
    expect(await prismaTables(q.url)).toEqual([]);
  });

  it('a search_path that moved away from the schema holding the history: deploy warns that Prisma would start a new history there', async () => {
    const p = await unqualifiedProject();
    expect((await zdDeploy(p)).code).toBe(0);
    await sql(p.url, `CREATE SCHEMA tenant2`);
    const moved = await zdDeploy({ ...p, url: withOptions(p.url, '-c search_path=tenant2') }, ['--dry-run']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout + moved.stderr).toContain('Prisma starts a new history in schema "tenant2"');
    expect(moved.stdout + moved.stderr).toContain('"public"._prisma_migrations already records migrations on this database');
    const same = await zdDeploy(p, ['--dry-run']);
    expect(same.stdout + same.stderr).not.toContain('new history');
  });
});
