/**
 * `?schema=<name>` end to end, with the real prisma CLI (the sample adapter honours it as the
 * native engine does: search_path set to the schema on every connection, the schema created
 * when missing, `_prisma_migrations` kept there) and prisma-zd's CLI: deploy puts the history
 * and the tables in the schema (missing, then existing), the next deploy finds everything
 * applied, postponed work is built there, `verify` and `contract` work, `check`/`rewrite` are
 * unaffected; `public` stays empty.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyDatabase } from '../../packages/cli/src/verify/verify.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration, migrationNames } from '../support/prisma.js';
import { queue, sql, statuses } from '../queue/support.js';
import { deployProject, prismaWaiting, query, Resources, session, waitFor, zdDeploy, type DeployProject } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());

async function database() {
  const db = await freshDatabase({ prefix: 'zd_schema' });
  res.add(() => db.drop());
  return db;
}

const withSchema = (url: string, schema: string) => {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
};

/** A copy of the sample project whose history names no schema, its index postponed by `rewrite --all`. */
async function unqualifiedProject(): Promise<DeployProject> {
  const p = await deployProject(res, database);
  for (const name of migrationNames(p.project.migrationsDir)) rmSync(join(p.project.migrationsDir, name), { recursive: true });
  addMigration(p.project.migrationsDir, 'init', `CREATE TABLE "Item" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL, "price" INTEGER);\n`);
  addMigration(p.project.migrationsDir, 'item_name', `CREATE INDEX "Item_name_idx" ON "Item"("name");\n`);
  const rewrite = await runZd(['rewrite', '--all'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
  expect(rewrite.code, rewrite.stderr).toBe(0);
  return p;
}

/** Schema of every relation named `names`, and of `_prisma_migrations`. */
const where = (url: string) =>
  sql<{ schema: string; name: string }>(
    url,
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname IN ('_prisma_migrations', 'Item', 'Item_name_idx', 'Item_price_idx') ORDER BY 2, 1`,
  );

describe('?schema=', () => {
  it('deploy with ?schema=<missing>: Prisma creates it and keeps _prisma_migrations and the tables there; the next deploy is up to date; postponed work is built there; verify passes', async () => {
    const p = await unqualifiedProject();
    const url = withSchema(p.url, 'app');
    const first = await zdDeploy({ ...p, url }, ['--json']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.json).toMatchObject({ status: 'applied' });
    expect(first.stdout + first.stderr).not.toContain('new history');
    expect(await where(p.url)).toEqual([
      { schema: 'app', name: 'Item' },
      { schema: 'app', name: 'Item_name_idx' },
      { schema: 'app', name: '_prisma_migrations' },
    ]);
    expect(await statuses(p.url)).toEqual([expect.objectContaining({ object_name: 'Item_name_idx', status: 'done' })]);

    const again = await zdDeploy({ ...p, url }, ['--json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.json).toMatchObject({ status: 'up-to-date' });
    expect(again.stderr).not.toContain('Attempt 1');

    const verify = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // The API without `prismaSchema`: the URL's ?schema= is where the history is (its documented default).
    const report = await verifyDatabase({ url, migrationsDir: p.project.migrationsDir });
    expect(report).toMatchObject({ prismaHistory: true, drift: [], schemas: ['app', 'public'], exitCode: 0 });
    // Nothing went to public.
    expect(await sql(p.url, `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'public'`)).toEqual([]);
  });

  it('deploy with ?schema=<existing> (an odd name) and --no-postponed: the history is read there; postponed run builds the index there; a later migration deploys there; contract and verify work', async () => {
    const p = await unqualifiedProject();
    const schema = 'Tenant One-1.x, \'q\'';
    await sql(p.url, `CREATE SCHEMA "Tenant One-1.x, 'q'"`);
    const url = withSchema(p.url, schema);
    const ok = await zdDeploy({ ...p, url }, ['--json', '--no-postponed']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(await where(p.url)).toEqual([
      { schema, name: 'Item' },
      { schema, name: '_prisma_migrations' },
    ]);
    expect((await statuses(p.url)).map((s) => [s.object_name, s.status])).toEqual([['Item_name_idx', 'pending']]);
    const list = await runZd(['postponed', 'list', '--url', url]);
    expect(list.code, list.stderr).toBe(0);
    const run = await runZd(['postponed', 'run', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('was not checked against later migrations');
    expect((await statuses(p.url)).map((s) => s.status)).toEqual(['done']);
    expect(await where(p.url)).toContainEqual({ schema, name: 'Item_name_idx' });

    // A later migration, rewritten: its index postponed, a contract step deferred.
    addMigration(p.project.migrationsDir, 'item_price', `CREATE INDEX "Item_price_idx" ON "Item"("price");\nALTER TABLE "Item" DROP COLUMN "price";\n`);
    const rewrite = await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: url } });
    expect(rewrite.code, rewrite.stdout + rewrite.stderr).toBe(0);
    const later = await zdDeploy({ ...p, url }, ['--json']);
    expect(later.code, later.stdout + later.stderr).toBe(0);
    expect(later.json).toMatchObject({ status: 'applied' });
    const contract = await runZd(['contract', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(contract.code, contract.stdout + contract.stderr).toBe(0);
    expect((await sql(p.url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'Item' AND column_name = 'price'`))[0]).toEqual({ n: 0 });
    const verify = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const again = await zdDeploy({ ...p, url }, ['--json']);
    expect(again.json).toMatchObject({ status: 'up-to-date' });
  });

  it('a lock timeout in the schema is rolled back in its _prisma_migrations and retried; a failed migration is analysed there (objects, the UPDATE to resolve it)', async () => {
    const p = await unqualifiedProject();
    const url = withSchema(p.url, 'app');
    expect((await zdDeploy({ ...p, url })).code).toBe(0);
    const rows = (name: string) =>
      query<{ rolled_back_at: Date | null; finished_at: Date | null }>(p.url, `SELECT rolled_back_at, finished_at FROM app._prisma_migrations WHERE migration_name = $1 ORDER BY started_at`, [name]);

    const weight = addMigration(p.project.migrationsDir, 'item_weight', `-- AlterTable\nALTER TABLE "Item" ADD COLUMN "weight" INTEGER;\n`);
    const blocker = await session(p.url, 'old-app', 'LOCK TABLE app."Item" IN ACCESS SHARE MODE');
    res.add(() => blocker.end());
    const releasing = waitFor('the first attempt to be rolled back', async () => (await rows(weight)).some((r) => r.rolled_back_at)).then(() => blocker.end());
    const running = zdDeploy({ ...p, url }, ['--json', '--retry-schedule', '1s*4', '--retry-delay', '300ms']);
    await waitFor("the deploy's Prisma session to wait for its lock", () => prismaWaiting(p.url));
    const run = await running;
    await releasing;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const attempts = run.json!.attempts as Array<Record<string, any>>;
    expect(attempts[0]).toMatchObject({ outcome: 'lock-timeout', rolledBack: true, migration: weight });
    expect(attempts[0]!.blockers.map((b: { pid: number }) => b.pid)).toContain(blocker.pid);
    expect(attempts.at(-1)).toMatchObject({ outcome: 'applied', applied: [weight] });
    expect((await rows(weight)).filter((r) => r.finished_at && !r.rolled_back_at)).toHaveLength(1);

    const broken = addMigration(p.project.migrationsDir, 'broken', `CREATE TABLE "Shipment" ("id" SERIAL PRIMARY KEY);\n\nALTER TABLE "Shipments" ADD COLUMN "x" INTEGER;\n`);
    const failed = await zdDeploy({ ...p, url }, ['--json']);
    expect(failed.code, failed.stderr).toBe(3);
    const again = await zdDeploy({ ...p, url }, ['--dry-run']);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`✗ Migration ${broken} failed in an earlier deploy`);
    expect(again.stderr).toContain('left behind: nothing (absent: table "app"."Shipment"');
    expect(again.stdout).toContain(`UPDATE "app"."_prisma_migrations" SET rolled_back_at = now() WHERE id = '`);
  });

  it('check and rewrite do not depend on ?schema=', async () => {
    const p = await unqualifiedProject();
    const plain = await runZd(['check'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    const named = await runZd(['check'], { cwd: p.project.dir, env: { DATABASE_URL: withSchema(p.url, 'app') } });
    expect(named.code).toBe(plain.code);
    expect(named.stdout).toBe(plain.stdout);
    const rewrite = await runZd(['rewrite', '--all'], { cwd: p.project.dir, env: { DATABASE_URL: withSchema(p.url, 'app') } });
    expect(rewrite.code, rewrite.stderr).toBe(0);
    // Already rewritten: nothing changes, and nothing was created on the database.
    expect(await sql(p.url, `SELECT nspname FROM pg_namespace WHERE nspname = 'app'`)).toEqual([]);
  });
});
