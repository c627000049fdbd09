/**
 * What a database must be for Prisma and prisma-zd, and what is said when it is not:
 * a non-empty database without `_prisma_migrations` (Prisma's P3005: made with
 * `prisma db push` or by hand) is ZD_NOT_BASELINED with the baseline command, not "a
 * migration failed" (exit 3); a statement_timeout set on the database does not cancel
 * prisma-zd's own queries half-way (a crash, exit 70, before).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD, withAdmin } from '../support/postgres.js';
import { sql } from '../queue/support.js';
import { deployProject, Resources, session, zdDeploy } from '../deploy/support.js';
import { addMigration, migrationNames } from '../support/prisma.js';

const res = new Resources();
afterAll(() => res.cleanup());

async function database() {
  const db = await freshDatabase({ prefix: 'zd_pre' });
  res.add(() => db.drop());
  return db;
}

describe('preconditions', () => {
  it("a database with tables but no _prisma_migrations: ZD_NOT_BASELINED (exit 2) naming the schema, a table and the baseline command; nothing applied", async () => {
    const p = await deployProject(res, database);
    await sql(p.url, `CREATE TABLE "Legacy" ("id" INT PRIMARY KEY)`);
    const r = await zdDeploy(p);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('Error ZD_NOT_BASELINED: Prisma refused to deploy (P3005): schema "public"');
    expect(r.stderr).toContain('(table "Legacy")');
    expect(r.stderr).toContain(`npx prisma migrate resolve --applied "${migrationNames(p.project.migrationsDir)[0]}"`);
    expect(r.stderr).toMatch(/\nhint: /);
    expect(r.stderr).not.toContain('hit a bug');
    expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
    expect((await sql(p.url, `SELECT to_regclass('"User"') IS NULL AS none`))[0]).toEqual({ none: true });
  });

  it('a statement_timeout on the database does not cancel verify or postponed list while they wait for a lock an old transaction holds (they crashed with exit 70)', async () => {
    const p = await deployProject(res, database);
    expect((await zdDeploy(p)).code).toBe(0);
    const name = new URL(p.url).pathname.slice(1);
    await withAdmin(testServer(), (c) => c.query(`ALTER DATABASE "${name}" SET statement_timeout = '500ms'`));
    // An old transaction holds the tables prisma-zd reads for a while (longer than the timeout).
    for (const [args, table] of [
      [['verify', '--url', p.url, '--migrations', p.project.migrationsDir], '_prisma_migrations'],
      [['postponed', 'list', '--url', p.url], 'prisma_zd.queue'],
    ] as const) {
      const holder = await session(p.url, 'old-app', `LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const release = setTimeout(() => void holder.end(), 2000);
      try {
        const r = await runZd([...args]);
        expect(r.code, `${args[0]}: ${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stderr).not.toContain('hit a bug');
      } finally {
        clearTimeout(release);
        await holder.end();
      }
    }
  });

  it("a migration that fails because the deploying role does not own the table: the fix names the table, its owner and the ALTER … OWNER TO; after it, the printed resolve and deploy complete", async () => {
    const p = await deployProject(res, database);
    const name = new URL(p.url).pathname.slice(1);
    const role = `zd_pre_owner_${process.pid}`;
    await withAdmin(testServer(), async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}'`);
      await c.query(`ALTER DATABASE "${name}" OWNER TO ${role}`);
    });
    res.add(() => withAdmin(testServer(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => c.query(`DROP ROLE IF EXISTS ${role}`))));
    const u = new URL(p.url);
    u.username = role;
    const url = u.toString();
    expect((await zdDeploy({ ...p, url })).code).toBe(0);
    // A table someone else created (a restore, another tool), changed by the next migration.
    await sql(p.url, `CREATE TABLE "Legacy" ("id" INT PRIMARY KEY)`);
    addMigration(p.project.migrationsDir, 'legacy_note', `ALTER TABLE "Legacy" ADD COLUMN "note" TEXT;\n`);
    const r = await zdDeploy({ ...p, url });
    const report = r.stdout + r.stderr;
    expect(r.code, report).toBe(3);
    expect(report).toContain(`the deploying role "${role}" is not the owner of table "Legacy", which belongs to "postgres"`);
    expect(report).toContain(`as "postgres": ALTER TABLE "Legacy" OWNER TO "${role}"; then:`);
    const resolve = /\(or, as SQL: (UPDATE [^\n]+;)\)/.exec(report)?.[1];
    expect(resolve, report).toBeDefined();
    await sql(p.url, `ALTER TABLE "Legacy" OWNER TO ${role}`);
    await sql(url, resolve!);
    const again = await zdDeploy({ ...p, url });
    expect(again.code, again.stderr).toBe(0);
  });
});
