/*
 * The migrations folder itself: a directory without migration.sql (an interrupted
 * `prisma migrate dev --create-only`, a stale checkout, an editor's hidden directory) and
 * another database's folder. Measured with the real prisma CLI: Prisma counts every
 * directory (hidden ones too) as a migration and `prisma migrate deploy` fails when it
 * reaches it (P3015), after applying the migrations before it (all of them for a directory
 * named after them). `check` reports it as error[folder] (unless excluded),
 * `deploy` refuses it before anything runs, `rewrite` says it; a MySQL folder is refused.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deployProject, Resources, zdDeploy } from '../deploy/support.js';
import { query } from '../prisma/helpers.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { runPrisma } from '../support/prisma.js';

const res = new Resources();
afterAll(() => res.cleanup());
const newDatabase = () => freshDatabase({ prefix: 'zd_folder' });

describe('a directory without migration.sql in the migrations folder', () => {
  for (const dir of ['20991231000000_interrupted', '.idea']) {
    it(`${dir}: prisma migrate deploy fails on it (P3015); deploy refuses it before anything runs; check says error[folder]; rewrite warns`, async () => {
      const p = await deployProject(res, newDatabase, { name: 'item', sql: 'CREATE TABLE "Item" ("id" INTEGER);\n' });
      const stray = join(p.project.migrationsDir, dir);
      mkdirSync(stray);
      writeFileSync(join(stray, 'notes.txt'), 'not a migration\n');

      const deploy = await zdDeploy(p);
      expect(deploy.code, deploy.stderr).toBe(2);
      expect(deploy.stderr).toContain(`Error ZD_MIGRATION_NO_SCRIPT: ${stray} has no migration.sql: Prisma counts every directory of the migrations folder as a migration (hidden ones too)`);
      expect(deploy.stderr).toContain('Delete the directory, or restore its migration.sql');
      expect(deploy.stderr).toContain('Then run `prisma-zd deploy` again.');
      // Nothing ran: neither Prisma's table nor the bookkeeping schema exists.
      expect(await query(p.url, `SELECT to_regclass('"_prisma_migrations"') IS NULL AND NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'prisma_zd') AS none`)).toEqual([{ none: true }]);

      // Why: Prisma applies the migrations before the directory, then fails on it (the deploy is red).
      const prisma = await runPrisma(['migrate', 'deploy'], { url: p.url, cwd: p.project.dir });
      expect(prisma.code).not.toBe(0);
      expect(prisma.stdout + prisma.stderr).toContain('P3015');
      const before = dir.startsWith('.') ? 0 : 9;
      expect(await query(p.url, `SELECT (SELECT count(*)::int FROM "_prisma_migrations" WHERE finished_at IS NOT NULL) AS applied`)).toEqual([{ applied: before }]);

      const check = await runZd(['check', '--format', 'json'], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
      expect(check.code).toBe(1);
      const report = JSON.parse(check.stdout) as { parseErrors: unknown[] };
      expect(report.parseErrors).toEqual([
        expect.objectContaining({ migration: dir, path: `migrations/${dir}`, kind: 'folder', message: expect.stringContaining('`prisma migrate deploy` fails when it reaches this one (P3015), after applying the migrations before it.') }),
      ]);
      const pretty = await runZd(['check'], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
      expect(pretty.stdout).toContain(`error[folder]: migrations/${dir} has no migration.sql`);
      expect(pretty.stdout).toContain(`  --> migrations/${dir}\n  = help: Delete the directory, or restore its migration.sql`);
      expect(pretty.stdout).toMatch(/\n✖ \d+ errors?, \d+ warnings? in \d of 9 migrations and 1 in the migrations folder\./);

      // Excluded, it is not reported.
      writeFileSync(join(p.project.dir, 'prisma-zd.config.ts'), `export default { check: { exclude: ['migrations/${dir}'] } };\n`);
      const excluded = await runZd(['check', '--format', 'json'], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
      expect(JSON.parse(excluded.stdout).parseErrors).toEqual([]);

      const rewrite = await runZd(['rewrite', '--all', '--check'], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
      expect(rewrite.stderr).toContain(`warning: ${stray} has no migration.sql`);
    }, 120_000);
  }
});

describe("another database's migrations folder", () => {
  it('check reports migration_lock.toml and checks none of its SQL; rewrite and deploy refuse it (ZD_PROVIDER)', async () => {
    const p = await deployProject(res, newDatabase, { name: 'item', sql: 'CREATE TABLE `Item` (`id` INTEGER NOT NULL) DEFAULT CHARSET utf8mb4;\n' });
    writeFileSync(join(p.project.migrationsDir, 'migration_lock.toml'), 'provider = "mysql"\n');
    const check = await runZd(['check', '--format', 'json'], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout)).toMatchObject({
      parseErrors: [{ path: 'migrations/migration_lock.toml', kind: 'folder', message: 'migrations/migration_lock.toml names the provider "mysql": prisma-zd works with PostgreSQL migrations only.' }],
      findings: [],
    });
    for (const command of ['rewrite', 'deploy']) {
      const r = command === 'deploy' ? await zdDeploy(p) : await runZd([command], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
      expect(r.code, command).toBe(2);
      expect(r.stderr, command).toContain('Error ZD_PROVIDER: ');
      expect(r.stderr, command).toContain(`Then run \`prisma-zd ${command}\` again.`);
    }
  }, 120_000);
});
