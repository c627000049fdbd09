/**
 * Odd but real database environments: a database in read-only mode (a maintenance
 * window, a URL that points at a standby), a role's CONNECTION LIMIT, a role's own
 * statement_timeout, Prisma's `_prisma_migrations` and our queue edited by hand. Each
 * ends with a stable code naming the database or table, a hint with the next step, and
 * nothing lost — never "prisma-zd hit a bug".
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { TEST_PASSWORD, withAdmin } from '../support/postgres.js';
import { queue, slowTable, sql, statuses } from '../queue/support.js';
import { expectUserError } from './support.js';
import { deployProject, Resources, zdDeploy } from '../deploy/support.js';
import { addMigration } from '../support/prisma.js';

const NOFOLDER = ['--migrations', '/nonexistent-migrations'];
const res = new Resources();
afterAll(() => res.cleanup());

async function database() {
  const db = await freshDatabase({ prefix: 'zd_odd' });
  res.add(() => db.drop());
  return db;
}

/** A login role with `settings` (ALTER ROLE … SET / CONNECTION LIMIT) owning a fresh database; its URL. */
async function roleDatabase(name: string, alter: string[]): Promise<string> {
  const db = await database();
  const role = `zd_odd_${name}_${process.pid}`;
  await withAdmin(testServer(), async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}'`);
    await c.query(`ALTER DATABASE "${db.name}" OWNER TO ${role}`);
    for (const a of alter) await c.query(`ALTER ROLE ${role} ${a}`);
  });
  res.add(() => withAdmin(testServer(), (c) => c.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`).then(() => c.query(`DROP ROLE IF EXISTS ${role}`))));
  const u = new URL(db.url);
  u.username = role;
  return u.toString();
}

const readOnly = (name: string, on: boolean) =>
  withAdmin(testServer(), (c) => c.query(`ALTER DATABASE "${name}" ${on ? 'SET default_transaction_read_only = on' : 'RESET default_transaction_read_only'}`));

describe('odd databases', () => {
  it('a read-only database: setup, postponed run, contract and deploy say ZD_DB_READ_ONLY (exit 6) naming it; the queue keeps its work', async () => {
    const fresh = await database();
    await readOnly(fresh.name, true);
    expectUserError(await runZd(['setup', '--url', fresh.url]), 6, 'ZD_DB_READ_ONLY', 'setup', fresh.name, 'read-only', 'default_transaction_read_only', 'run the same command again');

    const db = await database();
    expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
    await sql(db.url, `CREATE TABLE "T" ("id" INT PRIMARY KEY, "a" INT, "cur" TEXT DEFAULT 'EUR')`);
    await queue(db.url, { table: 'T', object: 'T_a_idx', statement: 'CREATE INDEX "T_a_idx" ON "T"("a")', columns: ['a'] });
    await queue(db.url, { kind: 'contract', table: 'T', object: 'cur', statement: 'ALTER TABLE "T" ALTER COLUMN "cur" DROP DEFAULT', columns: ['cur'] });
    await readOnly(db.name, true);
    for (const args of [['postponed', 'run', ...NOFOLDER], ['contract', ...NOFOLDER]]) {
      expectUserError(await runZd([...args, '--url', db.url]), 6, 'ZD_DB_READ_ONLY', args.join(' '), db.name);
    }
    const list = await runZd(['postponed', 'list', '--url', db.url]);
    expect(list.code, list.stderr).toBe(0);
    await readOnly(db.name, false);
    expect((await statuses(db.url)).map((s) => s.status)).toEqual(['pending', 'pending']);

    const p = await deployProject(res, database);
    const name = new URL(p.url).pathname.slice(1);
    await readOnly(name, true);
    const deploy = await zdDeploy(p);
    expectUserError(deploy, 6, 'ZD_DB_READ_ONLY', 'deploy', name);
    // Already deployed and managed, one migration pending: Prisma meets the read-only database first.
    await readOnly(name, false);
    expect((await zdDeploy(p)).code).toBe(0);
    addMigration(p.project.migrationsDir, '20990101000000_weight', `ALTER TABLE "Product" ADD COLUMN "weight" INTEGER;\n`);
    await readOnly(name, true);
    const pending = await zdDeploy(p);
    expectUserError(pending, 6, 'ZD_DB_READ_ONLY', 'deploy (managed)', name, 'transaction_read_only');
    expect(pending.stderr).not.toContain('Attempt 1');
    // A dry run only reads: fine on a read-only database.
    const dry = await zdDeploy(p, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    await readOnly(name, false);
    expect((await zdDeploy(p)).code).toBe(0);
  });

  it("a role's CONNECTION LIMIT too low for the sessions prisma-zd opens: ZD_DB_TOO_MANY_CONNECTIONS (exit 6) naming the role; the entry stays pending", async () => {
    const url = await roleDatabase('connlimit', ['CONNECTION LIMIT 1']);
    expect((await runZd(['setup', '--url', url])).code).toBe(0);
    await sql(url, `CREATE TABLE "T" ("id" INT PRIMARY KEY, "a" INT)`);
    await queue(url, { table: 'T', object: 'T_a_idx', statement: 'CREATE INDEX "T_a_idx" ON "T"("a")', columns: ['a'] });
    const run = await runZd(['postponed', 'run', '--url', url, ...NOFOLDER]);
    const role = new URL(url).username;
    expectUserError(run, 6, 'ZD_DB_TOO_MANY_CONNECTIONS', 'postponed run', `too many connections for role "${role}"`, `ALTER ROLE "${role}" CONNECTION LIMIT`);
    expect(run.stderr).not.toContain('ZD_DB_UNREACHABLE');
    expect(run.stderr).not.toContain('Check the host and port');
    expect((await statuses(url)).map((s) => s.status)).toEqual(['pending']);
    // The next run, with room for its two sessions, builds it.
    await withAdmin(testServer(), (c) => c.query(`ALTER ROLE ${role} CONNECTION LIMIT 2`));
    const again = await runZd(['postponed', 'run', '--url', url, ...NOFOLDER]);
    expect(again.code, again.stderr).toBe(0);
    expect((await statuses(url)).map((s) => s.status)).toEqual(['done']);
  });

  it('deploy with room for its own sessions but not for Prisma\'s: ZD_DB_TOO_MANY_CONNECTIONS (exit 6), not a failed migration; nothing recorded', async () => {
    const p = await deployProject(res, database);
    const name = new URL(p.url).pathname.slice(1);
    const role = `zd_odd_deploylimit_${process.pid}`;
    await withAdmin(testServer(), async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}' CONNECTION LIMIT 2`);
      await c.query(`ALTER DATABASE "${name}" OWNER TO ${role}`);
    });
    res.add(() => withAdmin(testServer(), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).then(() => c.query(`DROP ROLE IF EXISTS ${role}`))));
    const u = new URL(p.url);
    u.username = role;
    const deploy = await zdDeploy({ ...p, url: u.toString() });
    expectUserError(deploy, 6, 'ZD_DB_TOO_MANY_CONNECTIONS', 'deploy', `too many connections for role "${role}"`, `ALTER ROLE "${role}" CONNECTION LIMIT`);
    expect(deploy.stderr).not.toContain('ZD_MIGRATION_FAILED');
    expect((await sql(p.url, `SELECT to_regclass('_prisma_migrations') IS NULL AS none`))[0]).toEqual({ none: true });
    await withAdmin(testServer(), (c) => c.query(`ALTER ROLE ${role} CONNECTION LIMIT 4`));
    const again = await zdDeploy({ ...p, url: u.toString() });
    expect(again.code, again.stderr).toBe(0);
  });

  it("a role's own statement_timeout, lock_timeout and idle_in_transaction_session_timeout do not cut a long build short", async () => {
    const url = await roleDatabase('timeouts', ["SET statement_timeout = '1s'", "SET lock_timeout = '1s'", "SET idle_in_transaction_session_timeout = '1s'"]);
    expect((await runZd(['setup', '--url', url])).code).toBe(0);
    const stmt = await slowTable(url, 'Slow', 2500);
    await queue(url, { table: 'Slow', object: 'Slow_slow_idx', statement: stmt, columns: ['a'] });
    const run = await runZd(['postponed', 'run', '--url', url, ...NOFOLDER]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((await statuses(url)).map((s) => s.status)).toEqual(['done']);
  });

  it('_prisma_migrations without its checksum column: deploy and verify say ZD_PRISMA_MIGRATIONS_DAMAGED (exit 2) naming the table and the repair, which works', async () => {
    const p = await deployProject(res, database);
    expect((await zdDeploy(p)).code).toBe(0);
    await sql(p.url, `ALTER TABLE _prisma_migrations DROP COLUMN checksum`);
    const deploy = await zdDeploy(p);
    if (process.env.ZD_SHOW) console.log(deploy.stderr);
    expectUserError(deploy, 2, 'ZD_PRISMA_MIGRATIONS_DAMAGED', 'deploy', '"public"."_prisma_migrations"', '"checksum"', 'ADD COLUMN "checksum" VARCHAR(64)');
    const verify = await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir]);
    expectUserError(verify, 2, 'ZD_PRISMA_MIGRATIONS_DAMAGED', 'verify', '"public"."_prisma_migrations"', '"checksum"');
    // The repair the hint gives.
    await sql(p.url, `ALTER TABLE "public"."_prisma_migrations" ADD COLUMN "checksum" VARCHAR(64)`);
    // Rows without a checksum are not compared (Prisma's column is NOT NULL: only a hand edit leaves one).
    const again = await zdDeploy(p);
    expect(again.code, again.stderr).toBe(0);
    const verifyAgain = await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir]);
    expect(verifyAgain.code, verifyAgain.stdout + verifyAgain.stderr).toBe(0);
  });

  it('a queue row with a status outside the set (its CHECK dropped, edited by hand): postponed list shows it and how to reset it', async () => {
    const db = await database();
    expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
    await sql(db.url, `CREATE TABLE "T" ("id" INT PRIMARY KEY, "a" INT)`);
    await queue(db.url, { table: 'T', object: 'T_a_idx', statement: 'CREATE INDEX "T_a_idx" ON "T"("a")', columns: ['a'] });
    await sql(db.url, `ALTER TABLE prisma_zd.queue DROP CONSTRAINT queue_status_check; UPDATE prisma_zd.queue SET status = 'paused'`);
    const list = await runZd(['postponed', 'list', '--url', db.url]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).not.toContain('hit a bug');
    expect(list.stdout).toContain('1 entry: 1 with an unknown status');
    expect(list.stdout).toContain(`#1 index "T_a_idx" on "T"`);
    expect(list.stdout).toContain(`unknown status "paused"`);
    expect(list.stdout).toContain("UPDATE prisma_zd.queue SET status = 'pending' WHERE id = 1; then run `prisma-zd postponed run`");
  });
});
