/*
 * A CHECK constraint added by hand to an existing table, through the real prisma CLI:
 * `rewrite` adds it NOT VALID (new writes are checked at once) and queues its validation;
 * `deploy` validates it after the migration; rows that violate it fail the validation
 * (exit 5, naming the constraint) without undoing the migration, and `postponed run`
 * validates it once they are fixed. A plain `prisma migrate deploy` of the rewritten file
 * on a database without prisma-zd gives the valid constraint at once (I1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { query } from '../prisma/helpers.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration, runPrisma } from '../support/prisma.js';
import { deployProject, Resources, zdDeploy } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());
const newDatabase = () => freshDatabase({ prefix: 'zd_check_con' });

const CHECK = 'ALTER TABLE "Tag" ADD CONSTRAINT "Tag_name_length" CHECK (length("name") > 1);\n';
const validity = (url: string) => query<{ convalidated: boolean }>(url, `SELECT convalidated FROM pg_constraint WHERE conname = 'Tag_name_length'`);

describe('a CHECK constraint on an existing table', () => {
  it('is added NOT VALID and validated after the migration; a violating row fails the validation (exit 5), fixed it validates', async () => {
    const p = await deployProject(res, newDatabase);
    expect((await zdDeploy(p)).code).toBe(0);
    await query(p.url, `INSERT INTO "Tag" ("name") VALUES ('x'), ('long enough')`);

    const name = addMigration(p.project.migrationsDir, 'tag_name_length', CHECK);
    const check = await runZd(['check', join('migrations', name)], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
    expect(check.stdout).toContain('error[constraint-missing-not-valid]');
    expect(check.stdout).toContain('= fix: `prisma-zd rewrite`');
    const rewrite = await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(rewrite.code, rewrite.stderr).toBe(0);
    expect(rewrite.stdout + rewrite.stderr).toContain('check constraint "Tag_name_length" on "Tag": NOT VALID now, validated later');
    const rewritten = readFileSync(join(p.project.migrationsDir, name, 'migration.sql'), 'utf8');
    expect(rewritten).toContain('CHECK (length("name") > 1) NOT VALID;');
    expect((await runZd(['check', join('migrations', name)], { cwd: p.project.dir, env: { DATABASE_URL: undefined } })).code).toBe(0);

    const dry = await zdDeploy(p, ['--dry-run', '--json']);
    const planned = (dry.json!['plan'].migrations as Array<{ name: string; statements: Array<{ zd?: string; postponed?: string }> }>).find((m) => m.name === name)!;
    expect(planned.statements.map((s) => [s.zd, s.postponed])).toEqual([[undefined, undefined], ['postponed', 'validate']]);
    const deploy = await zdDeploy(p);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(5);
    expect(deploy.stdout + deploy.stderr).toContain('validated by `prisma-zd postponed run` after the migration (SHARE UPDATE EXCLUSIVE: reads and writes continue)');
    expect(deploy.stdout + deploy.stderr).toContain('fix the rows of "Tag" that violate "Tag_name_length"');
    // The migration is applied; the constraint holds for new writes already.
    expect(await query(p.url, `SELECT finished_at IS NOT NULL AS done FROM "_prisma_migrations" WHERE migration_name = $1`, [name])).toEqual([{ done: true }]);
    expect(await validity(p.url)).toEqual([{ convalidated: false }]);
    await expect(query(p.url, `INSERT INTO "Tag" ("name") VALUES ('y')`)).rejects.toThrow(/violates check constraint "Tag_name_length"/);

    await query(p.url, `UPDATE "Tag" SET "name" = 'xx' WHERE "name" = 'x'`);
    const run = await runZd(['postponed', 'run'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await validity(p.url)).toEqual([{ convalidated: true }]);

    // I1: the rewritten history on a database without prisma-zd, by plain prisma migrate deploy: valid at once.
    const plain = await newDatabase();
    res.add(() => plain.drop());
    const prisma = await runPrisma(['migrate', 'deploy'], { url: plain.url, cwd: p.project.dir });
    expect(prisma.code, prisma.stdout + prisma.stderr).toBe(0);
    expect(await validity(plain.url)).toEqual([{ convalidated: true }]);
  }, 180_000);
});
