/**
 * Least privilege: every command works as a non-superuser role that owns the app's
 * tables (what Prisma's migration role usually is); what needs more is explained.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { queue, sql, statuses } from '../queue/support.js';
import { deployProject, Resources, zdDeploy } from '../deploy/support.js';
import { withAdmin, TEST_PASSWORD } from '../support/postgres.js';
import { copySampleProject, runPrisma } from '../support/prisma.js';

const ROLE = `zd_app_owner_${process.pid}`;

describe('least privilege', () => {
  it('rewrite, setup, deploy, postponed run, contract and verify (with a shadow database) as a non-superuser owner', async () => {
    const server = testServer();
    const db = `zd_lp_${process.pid}_${Date.now().toString(36)}`;
    const shadow = `${db}_shadow`;
    await withAdmin(server, async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      await c.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${TEST_PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
      await c.query(`CREATE DATABASE ${db} OWNER ${ROLE}`);
      await c.query(`CREATE DATABASE ${shadow} OWNER ${ROLE}`);
    });
    const url = (name: string) => {
      const u = new URL(server.url(name));
      u.username = ROLE;
      return u.toString();
    };
    const copy = await copySampleProject();
    try {
      const env = { DATABASE_URL: url(db) };
      expect((await runZd(['rewrite', '--all'], { cwd: copy.dir, env })).code).toBe(0);
      const setup = await runZd(['setup', '--url', url(db)]);
      expect(setup.code, setup.stderr).toBe(0);
      const deployed = await runPrisma(['migrate', 'deploy'], { url: url(db), cwd: copy.dir });
      expect(deployed.code, deployed.stderr).toBe(0);
      const run = await runZd(['postponed', 'run', '--url', url(db), '--migrations', copy.migrationsDir]);
      expect(run.code, run.stderr).toBe(0);
      const contract = await runZd(['contract', '--url', url(db), '--migrations', copy.migrationsDir]);
      expect(contract.code, contract.stderr).toBe(0);
      // Without CREATEDB, verify says how to proceed; with a shadow database it works.
      const noShadow = await runZd(['verify', '--url', url(db), '--migrations', copy.migrationsDir]);
      expect(noShadow.code).not.toBe(0);
      expect(noShadow.stderr).toContain('--shadow-database-url');
      const verify = await runZd(['verify', '--url', url(db), '--migrations', copy.migrationsDir, '--shadow-database-url', url(shadow)]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      for (const r of [setup, run, contract, noShadow, verify]) {
        expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
      }
    } finally {
      await copy.cleanup();
      await withAdmin(server, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
        await c.query(`DROP DATABASE IF EXISTS ${shadow} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${ROLE}`);
      });
    }
  });
});

describe('least privilege: what is missing is named', () => {
  const res = new Resources();
  afterAll(() => res.cleanup());

  /** A login role with CONNECT only (no CREATEDB); `url` as that role. */
  async function reader(url: string, name: string): Promise<{ role: string; url: string }> {
    const role = `zd_lp_${name}_${process.pid}`;
    const database = new URL(url).pathname.slice(1);
    await withAdmin(testServer(), async (c) => {
      await c.query(`DROP ROLE IF EXISTS ${role}`);
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${TEST_PASSWORD}' NOSUPERUSER NOCREATEDB`);
      await c.query(`GRANT CONNECT ON DATABASE "${database}" TO ${role}`);
    });
    res.add(() =>
      withAdmin(testServer(), async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
        await c.query(`DROP DATABASE IF EXISTS "${database}_shadow" WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      }),
    );
    const u = new URL(url);
    u.username = role;
    return { role, url: u.toString() };
  }

  const shadowOf = async (url: string, owner: string | undefined) => {
    const u = new URL(url);
    const name = `${u.pathname.slice(1)}_shadow`;
    await withAdmin(testServer(), (c) => c.query(`CREATE DATABASE "${name}"${owner ? ` OWNER ${owner}` : ''}`));
    // PostgreSQL 14 and earlier grant CREATE on public to every role: as on 15+, only the owner may.
    await sql(testServer().url(name), `REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    u.pathname = `/${name}`;
    return u.toString();
  };

  it("verify as a role that may not read _prisma_migrations nor the queue: ZD_PERMISSION lists each table with the privilege and the GRANTs, as their owner; those GRANTs are enough", async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_lp' }));
    expect((await zdDeploy(p)).code).toBe(0);
    const { role, url } = await reader(p.url, 'verify');
    const r = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Error ZD_PERMISSION: Role "${role}" may not read what verify compares on`);
    expect(r.stderr).toContain('SELECT on table "public"."_prisma_migrations" (which migrations the database applied), owned by "postgres"');
    expect(r.stderr).toContain('SELECT on table "prisma_zd"."meta"');
    expect(r.stderr).toContain('SELECT on table "prisma_zd"."queue"');
    const grants = `GRANT SELECT ON "public"."_prisma_migrations" TO "${role}"; GRANT SELECT ON "prisma_zd"."meta" TO "${role}"; GRANT SELECT ON "prisma_zd"."queue" TO "${role}";`;
    expect(r.stderr).toContain(`hint: Grant the read-only privileges, as "postgres": ${grants} then run \`prisma-zd verify\` again`);
    expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
    await sql(p.url, grants);
    const shadow = await shadowOf(url, role);
    const ok = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir, '--shadow-database-url', shadow]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  });

  it('verify with a shadow database the role may not create in: ZD_PERMISSION naming the shadow database and the GRANT, not a migration that "does not build"', async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_lp' }));
    expect((await zdDeploy(p)).code).toBe(0);
    const { role, url } = await reader(p.url, 'shadow');
    await sql(p.url, `GRANT SELECT ON "public"."_prisma_migrations", prisma_zd.meta, prisma_zd.queue TO ${role}`);
    const shadow = await shadowOf(url, undefined);
    await withAdmin(testServer(), (c) => c.query(`GRANT CONNECT ON DATABASE "${new URL(shadow).pathname.slice(1)}" TO ${role}`));
    const r = await runZd(['verify', '--url', url, '--migrations', p.project.migrationsDir, '--shadow-database-url', shadow]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Error ZD_PERMISSION: Role "${role}" may not create objects in schema "public" of the shadow database`);
    expect(r.stderr).toContain(`GRANT CREATE ON SCHEMA "public" TO "${role}"`);
    expect(r.stderr).toContain(`CREATE DATABASE <name> OWNER "${role}"`);
    expect(r.stderr).not.toContain('ZD_MIGRATION_FAILED');
  });

  it('deploy as a role without CREATE on public (the default on PostgreSQL 15+ for a database it does not own): ZD_PERMISSION naming the schema and the GRANT before Prisma runs; with ?schema=public, after it; then it deploys', async () => {
    const p = await deployProject(res, () => freshDatabase({ prefix: 'zd_lp' }));
    await sql(p.url, `REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    expect((await runZd(['setup', '--url', p.url])).code).toBe(0);
    const { role, url } = await reader(p.url, 'deploy');
    await sql(p.url, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA prisma_zd TO ${role}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA prisma_zd TO ${role}`);
    const r = await zdDeploy({ ...p, url });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Error ZD_PERMISSION: Role "${role}" may not create in schema "public"`);
    expect(r.stderr).toContain(`GRANT CREATE ON SCHEMA "public" TO "${role}";`);
    expect(r.stderr).not.toContain('Attempt 1');
    const named = new URL(url);
    named.searchParams.set('schema', 'public');
    const after = await zdDeploy({ ...p, url: named.toString() });
    expect(after.code, after.stderr).toBe(2);
    expect(after.stderr).toContain(`Error ZD_PERMISSION: Role "${role}" lacks a privilege on schema public`);
    expect(after.stderr).toContain(`GRANT USAGE, CREATE ON SCHEMA "public" TO "${role}";`);
    expect(after.stderr).not.toContain('failed (exit code');
    expect((await sql(p.url, `SELECT to_regclass('public._prisma_migrations') IS NULL AS none`))[0]).toEqual({ none: true });
    await sql(p.url, `GRANT CREATE ON SCHEMA public TO ${role}`);
    const ok = await zdDeploy({ ...p, url });
    expect(ok.code, ok.stderr).toBe(0);
  });
  it('postponed run and contract as a role that does not own the table: each failure (exit 5) says only the owner may and how to proceed; the work is kept and done once the role owns it', async () => {
    const db = await freshDatabase({ prefix: 'zd_lp' });
    res.add(() => db.drop());
    const { role, url } = await reader(db.url, 'queue');
    expect((await runZd(['setup', '--url', db.url])).code).toBe(0);
    await sql(db.url, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA prisma_zd TO ${role}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA prisma_zd TO ${role}`);
    await sql(db.url, `CREATE TABLE "P" ("id" INT PRIMARY KEY, "a" INT, "cur" TEXT DEFAULT 'EUR'); GRANT USAGE ON SCHEMA public TO ${role}`);
    await queue(db.url, { table: 'P', object: 'P_a_idx', statement: 'CREATE INDEX "P_a_idx" ON "P"("a")', columns: ['a'] });
    await queue(db.url, { kind: 'contract', table: 'P', object: 'cur', statement: 'ALTER TABLE "P" ALTER COLUMN "cur" DROP DEFAULT', columns: ['cur'] });
    for (const [args, command, what] of [
      [['postponed', 'run'], 'prisma-zd postponed run', 'build an index on it'],
      [['contract'], 'prisma-zd contract', 'alter it'],
    ] as const) {
      const r = await runZd([...args, '--url', url, '--migrations', '/nonexistent-migrations']);
      expect(r.code, r.stdout + r.stderr).toBe(5);
      expect(r.stdout).toContain('must be owner of table P');
      expect(r.stdout).toContain(`the role of the database URL may not ${what} (only the owner of "P" may): run \`${command}\` with the role that owns the app's tables`);
      expect(r.stdout).toContain('ALTER TABLE "P" OWNER TO <this role>;');
      expect(r.stdout).not.toContain('fix the cause above');
    }
    await sql(db.url, `ALTER TABLE "P" OWNER TO ${role}`);
    // The owner of the table, still without CREATE on its schema (PostgreSQL 15+ for a database it does not own): the index is created there.
    const noCreate = await runZd(['postponed', 'run', '--url', url, '--migrations', '/nonexistent-migrations']);
    expect(noCreate.code, noCreate.stdout + noCreate.stderr).toBe(5);
    expect(noCreate.stdout).toContain('permission denied for schema public');
    expect(noCreate.stdout).toContain('GRANT USAGE, CREATE ON SCHEMA "public" TO <this role>;');
    await sql(db.url, `GRANT CREATE ON SCHEMA public TO ${role}`);
    for (const args of [['postponed', 'run'], ['contract']]) {
      const r = await runZd([...args, '--url', url, '--migrations', '/nonexistent-migrations']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    expect((await statuses(db.url)).map((s) => s.status)).toEqual(['done', 'done']);
  });
});
