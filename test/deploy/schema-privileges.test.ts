/**
 * What Prisma needs to create before it applies anything, and deploy's checks of it
 * (measured with the real prisma CLI, 6.19.3):
 *  - `?schema=<missing>`: Prisma runs `CREATE SCHEMA` first; a role without CREATE on the
 *    database gets ZD_PERMISSION naming that schema (not prisma-zd's bookkeeping), before
 *    Prisma runs; once the schema exists (made by the owner), it deploys;
 *  - `_prisma_migrations` is created only when missing: a role owning the tables and the
 *    history but without CREATE on `public` (PostgreSQL 15+) deploys an ALTER TABLE as
 *    `prisma migrate deploy` does, instead of being refused.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, testServer } from '../support/db.js';
import { addMigration, migrationNames, runPrisma } from '../support/prisma.js';
import { sql } from '../queue/support.js';
import { deployProject, Resources, zdDeploy, type DeployProject } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());

async function unqualifiedProject(): Promise<DeployProject> {
  const p = await deployProject(res, async () => freshDatabase({ prefix: 'zd_schema_priv' }));
  for (const name of migrationNames(p.project.migrationsDir)) rmSync(join(p.project.migrationsDir, name), { recursive: true });
  addMigration(p.project.migrationsDir, 'init', `CREATE TABLE "Item" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\n`);
  return p;
}

/** A login role without CREATE on the database, granted prisma-zd's bookkeeping (set up by the owner); `url` as that role. */
async function deployer(p: DeployProject, name: string): Promise<{ role: string; url: string }> {
  const role = `zd_sp_${name}_${process.pid}`;
  await sql(p.url, `DROP ROLE IF EXISTS ${role}; CREATE ROLE ${role} LOGIN PASSWORD 'deployer-pw'`);
  // Cleanups run side by side: the database (and what the role owns in it) may be dropped meanwhile.
  res.add(async () => {
    await sql(p.url, `DROP OWNED BY ${role}`).catch(() => {});
    await sql(testServer().url(), `DROP ROLE IF EXISTS ${role}`).catch(() => {});
  });
  expect((await runZd(['setup', '--url', p.url])).code).toBe(0);
  await sql(p.url, `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA prisma_zd TO ${role}; GRANT USAGE ON ALL SEQUENCES IN SCHEMA prisma_zd TO ${role}`);
  const u = new URL(p.url);
  u.username = role;
  u.password = 'deployer-pw';
  return { role, url: u.toString() };
}

describe('what Prisma creates before applying', () => {
  it('?schema=<missing> and a role without CREATE on the database: ZD_PERMISSION naming the schema and CREATE SCHEMA … AUTHORIZATION, before Prisma runs; after it, deploy builds there', async () => {
    const p = await unqualifiedProject();
    const { role, url } = await deployer(p, 'nodbcreate');
    const named = new URL(url);
    named.searchParams.set('schema', 'app');
    const r = await zdDeploy({ ...p, url: named.toString() });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain(`Error ZD_PERMISSION: The database URL's ?schema= names schema "app", which does not exist`);
    expect(r.stderr).toContain(`CREATE SCHEMA "app" AUTHORIZATION "${role}";`);
    expect(r.stderr).not.toContain('bookkeeping');
    expect(r.stderr).not.toContain('Attempt 1');

    await sql(p.url, `CREATE SCHEMA app AUTHORIZATION ${role}`);
    const ok = await zdDeploy({ ...p, url: named.toString() }, ['--json']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(await sql(p.url, `SELECT to_regclass('app."Item"') IS NOT NULL AS item, to_regclass('app._prisma_migrations') IS NOT NULL AS history`)).toEqual([{ item: true, history: true }]);
  });

  it('a role owning the tables and _prisma_migrations but without CREATE on public deploys an ALTER TABLE, as prisma migrate deploy does', async () => {
    const p = await unqualifiedProject();
    expect((await zdDeploy(p)).code).toBe(0);
    const { role, url } = await deployer(p, 'owner');
    await sql(
      p.url,
      `REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role};
       ALTER TABLE "Item" OWNER TO ${role}; ALTER TABLE _prisma_migrations OWNER TO ${role}`,
    );
    addMigration(p.project.migrationsDir, 'item_weight', `ALTER TABLE "Item" ADD COLUMN "weight" INTEGER;\n`);
    const r = await zdDeploy({ ...p, url }, ['--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).not.toContain('ZD_PERMISSION');
    expect(await sql(p.url, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'Item' AND column_name = 'weight'`)).toEqual([{ n: 1 }]);
    // What prisma migrate deploy itself does with such a role: it deploys too.
    addMigration(p.project.migrationsDir, 'item_weight_2', `ALTER TABLE "Item" ADD COLUMN "weight2" INTEGER;\n`);
    const prisma = await runPrisma(['migrate', 'deploy'], { url, cwd: p.project.dir });
    expect(prisma.code, prisma.stdout + prisma.stderr).toBe(0);
  });
});
