/*
 * A session-level SET ROLE a migration leaves in effect, measured with the real prisma
 * CLI (through the sample adapter, one session as with the native engine): Prisma records
 * the migration in "_prisma_migrations" as that role, right after the file. Without
 * privileges there, the deploy fails with the migration's changes committed; with them,
 * the next migration's table is owned by that role. Ended with RESET ROLE, it deploys and
 * the next migration is the deploying role's. `check` reports exactly the harmful file.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployProject, Resources, zdDeploy } from '../deploy/support.js';
import { query, sampleTemplate } from '../prisma/helpers.js';
import { sql } from '../queue/support.js';
import { freshDatabase, testServer } from '../support/db.js';
import { deploySessionHistory } from './fixture.js';

const databases: Array<() => Promise<unknown>> = [];
const roles: string[] = [];
const res = new Resources();
afterAll(async () => {
  await Promise.all(databases.splice(0).map((f) => f().catch(() => {})));
  await res.cleanup();
  for (const role of roles) await sql(testServer().url(), `DROP ROLE IF EXISTS ${role}`).catch(() => {});
});

/** Deploy init (granting the role `grant` on "_prisma_migrations"), `set` (the SQL given, then CREATE TABLE "A"), then `next` (CREATE TABLE "B"); check the folder. */
async function deploy(setSql: (role: string) => string, grant: boolean) {
  const db = await freshDatabase({ prefix: 'zd_role_left' });
  databases.push(() => db.drop());
  const role = `zd_role_left_${roles.length}_${process.pid}`;
  roles.push(role);
  await sql(db.url, `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role}; GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
  const r = await deploySessionHistory({
    url: db.url,
    init: `CREATE TABLE "Item" ("id" SERIAL PRIMARY KEY);\n${grant ? `GRANT ALL ON "_prisma_migrations" TO ${role};\n` : ''}`,
    set: setSql(role),
    ruleId: 'role-not-reset',
    cleanup: (f) => databases.push(f),
  });
  const owners = Object.fromEntries(
    (await query<{ t: string; owner: string }>(db.url, `SELECT relname AS t, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname IN ('A', 'B') AND relkind = 'r'`)).map((x) => [x.t, x.owner === role ? 'role' : 'deployer']),
  );
  return { ...r, owners, findings: r.findings.map(([migration]) => migration) };
}

describe('a role left set by a migration, deployed by the real prisma CLI', () => {
  it("without privileges on _prisma_migrations, the deploy fails on Prisma's bookkeeping with the changes committed; check says error (SET ROLE, or set_config in a DO block)", async () => {
    const ways = [(role: string) => `SET ROLE ${role};`, (role: string) => `DO $$\nBEGIN\n  PERFORM set_config('role', '${role}', false);\nEND $$;`];
    for (const set of ways) {
      const r = await deploy(set, false);
      expect(r.code, set('r')).not.toBe(0);
      expect(r.output, set('r')).toContain('permission denied for table _prisma_migrations');
      expect(r.owners, set('r')).toEqual({ A: 'role' });
      expect(r.unfinished, set('r')).toEqual(['set']);
      expect(r.findings, set('r')).toEqual(['set']);
    }
  }, 240_000);

  it('with them, the deploy goes on and the next migration runs as that role', async () => {
    const r = await deploy((role) => `SET ROLE ${role};`, true);
    expect(r.code, r.output).toBe(0);
    expect(r.owners).toEqual({ A: 'role', B: 'role' });
    expect(r.findings).toEqual(['set']);
  }, 240_000);

  it('RESET ALL does not help; RESET ROLE at the end does, and check says nothing', async () => {
    const all = await deploy((role) => `SET ROLE ${role};\nCREATE TABLE "A0" ("id" INTEGER);\nRESET ALL;`, false);
    expect(all.code).not.toBe(0);
    expect(all.findings).toEqual(['set']);
    const reset = await deploy((role) => `SET ROLE ${role};\nCREATE TABLE "A0" ("id" INTEGER);\nRESET ROLE;`, false);
    expect(reset.code, reset.output).toBe(0);
    expect(reset.owners).toEqual({ A: 'deployer', B: 'deployer' });
    expect(reset.unfinished).toEqual([]);
    expect(reset.findings).toEqual([]);
  }, 240_000);
});

describe('prisma-zd deploy and a pending migration that leaves a role in effect', () => {
  let template: string;
  const newDatabase = () => freshDatabase({ template, prefix: 'zd_role_deploy' });
  beforeAll(async () => {
    template = await sampleTemplate();
  }, 300_000);

  it('refuses before anything runs when the role may not update _prisma_migrations (ZD_ROLE_LEFT, file:line, RESET ROLE); deploys once reset', async () => {
    const role = `zd_role_deploy_${process.pid}`;
    roles.push(role);
    const sqlText = `SET ROLE ${role};\nCREATE TABLE "Log" ("id" INTEGER);\n`;
    const p = await deployProject(res, newDatabase, { name: 'log', sql: sqlText });
    await sql(p.url, `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role}; GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
    const r = await zdDeploy(p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error ZD_ROLE_LEFT');
    expect(r.stderr).toContain(`(migrations/${p.migration}/migration.sql:1)`);
    expect(r.stderr).toContain('RESET ROLE;');
    expect(await query(p.url, `SELECT to_regclass('"Log"') IS NULL AS none`)).toEqual([{ none: true }]);
    expect(await query(p.url, `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = $1`, [p.migration])).toEqual([{ n: 0 }]);

    // With the privilege, it deploys, and says the next migrations would run as that role.
    await sql(p.url, `GRANT UPDATE ON "_prisma_migrations" TO ${role}`);
    const warned = await zdDeploy(p, ['--dry-run']);
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toContain(`leaves SET ROLE "${role}" in effect (migrations/${p.migration}/migration.sql:1)`);
    await sql(p.url, `REVOKE UPDATE ON "_prisma_migrations" FROM ${role}`);

    writeFileSync(join(p.project.migrationsDir, p.migration, 'migration.sql'), `${sqlText}RESET ROLE;\n`);
    const fixed = await zdDeploy(p);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(await query(p.url, `SELECT pg_get_userbyid(relowner) = $1 AS owned FROM pg_class WHERE oid = '"Log"'::regclass`, [role])).toEqual([{ owned: true }]);
    await sql(p.url, `DROP OWNED BY ${role}`);
  }, 240_000);

  it("refuses a role or a search_path left by a DO block as check reads it (set_config, SET), naming the body's line", async () => {
    const role = `zd_role_do_${process.pid}`;
    roles.push(role);
    const body = (inner: string) => `CREATE TABLE "Log" ("id" INTEGER);\nDO $$\nBEGIN\n  ${inner}\nEND $$;\n`;
    const p = await deployProject(res, newDatabase, { name: 'log', sql: body(`PERFORM set_config('role', '${role}', false);`) });
    await sql(p.url, `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role}`);
    const r = await zdDeploy(p);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`Error ZD_ROLE_LEFT: Migration ${p.migration} leaves SET ROLE "${role}" in effect (migrations/${p.migration}/migration.sql:4)`);
    writeFileSync(join(p.project.migrationsDir, p.migration, 'migration.sql'), body('SET search_path TO "elsewhere";'));
    const path = await zdDeploy(p);
    expect(path.code, path.stderr).toBe(2);
    expect(path.stderr).toContain(`Error ZD_SEARCH_PATH_LEFT: Migration ${p.migration} leaves the search_path set to "elsewhere" (migrations/${p.migration}/migration.sql:4)`);
    expect(await query(p.url, `SELECT to_regclass('"Log"') IS NULL AS none`)).toEqual([{ none: true }]);
  }, 240_000);

  it('refuses on a first deploy too, where Prisma has yet to create _prisma_migrations (as the deploying role)', async () => {
    const role = `zd_role_first_${process.pid}`;
    roles.push(role);
    const db = await freshDatabase({ prefix: 'zd_role_first' });
    await sql(db.url, `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role}; GRANT CREATE, USAGE ON SCHEMA public TO ${role}`);
    const p = await deployProject(res, async () => db, { name: 'log', sql: `SET ROLE ${role};\nCREATE TABLE "Log" ("id" INTEGER);\n` });
    const r = await zdDeploy(p);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('Error ZD_ROLE_LEFT');
    expect(await query(p.url, `SELECT to_regclass('"_prisma_migrations"') IS NULL AS none`)).toEqual([{ none: true }]);
    await sql(p.url, `DROP OWNED BY ${role}`);
  }, 240_000);
});
