/*
 * Prisma's "make a field required" (`String?` to `String`: `ALTER COLUMN … SET NOT NULL`)
 * on an existing table, through the real prisma CLI: `rewrite` turns it into a NOT VALID
 * `CHECK (… IS NOT NULL)` in the migration (new writes held to it at once) and a queued
 * NOT NULL; `deploy` validates the check after the migration, sets NOT NULL without a
 * scan and drops the check. A row left without a value fails the validation (exit 5,
 * naming the column and how to find the rows) without undoing the migration; filled,
 * `postponed run` finishes. SET NOT NULL takes its lock under a lock timeout and retries
 * rather than queue behind a long transaction. A plain `prisma migrate deploy` of the
 * rewritten file on a database without prisma-zd gives NOT NULL at once (I1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { query } from '../prisma/helpers.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { addMigration, runPrisma } from '../support/prisma.js';
import { deployProject, Resources, session, waitFor, zdDeploy } from './support.js';

const res = new Resources();
afterAll(() => res.cleanup());
const newDatabase = () => freshDatabase({ prefix: 'zd_not_null' });

const REQUIRED = '-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\n';
const CHECK = 'User_name_zd_not_null';
const state = async (url: string) => ({
  notNull: (await query<{ attnotnull: boolean }>(url, `SELECT attnotnull FROM pg_attribute WHERE attrelid = '"User"'::regclass AND attname = 'name'`))[0]?.attnotnull,
  checks: await query<{ conname: string; convalidated: boolean }>(url, `SELECT conname, convalidated FROM pg_constraint WHERE conrelid = '"User"'::regclass AND contype = 'c'`),
});

describe('SET NOT NULL on an existing table', () => {
  it('is a NOT VALID check in the migration, then validated, set NOT NULL and the check dropped after it; a row without a value fails the validation (exit 5), filled it finishes', async () => {
    const p = await deployProject(res, newDatabase);
    expect((await zdDeploy(p)).code).toBe(0);
    await query(p.url, `INSERT INTO "User" ("email", "name", "updatedAt") VALUES ('a@example.com', 'Ann', now()), ('b@example.com', NULL, now())`);

    const name = addMigration(p.project.migrationsDir, 'user_name_required', REQUIRED);
    const check = await runZd(['check', join('migrations', name)], { cwd: p.project.dir, env: { DATABASE_URL: undefined } });
    expect(check.stdout).toContain('error[adding-not-nullable-field]');
    expect(check.stdout).toContain('= fix: `prisma-zd rewrite`');
    const rewrite = await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(rewrite.code, rewrite.stderr).toBe(0);
    expect(rewrite.stdout + rewrite.stderr).toContain('SET NOT NULL on "User"."name": a NOT VALID check now, validated and set NOT NULL later');
    const rewritten = readFileSync(join(p.project.migrationsDir, name, 'migration.sql'), 'utf8');
    expect(rewritten).toContain(`ADD CONSTRAINT "${CHECK}" CHECK ("name" IS NOT NULL) NOT VALID;`);
    expect((await runZd(['check', join('migrations', name)], { cwd: p.project.dir, env: { DATABASE_URL: undefined } })).code).toBe(0);

    const deploy = await zdDeploy(p);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(5);
    expect(deploy.stdout + deploy.stderr).toContain(`set "name" in the rows of "User" that have none (find them: SELECT count(*) FROM "User" WHERE "name" IS NULL;)`);
    // The migration is applied; new writes are held to the check already (old versions that leave it empty fail, as with NOT NULL).
    expect(await query(p.url, `SELECT finished_at IS NOT NULL AS done FROM "_prisma_migrations" WHERE migration_name = $1`, [name])).toEqual([{ done: true }]);
    expect(await state(p.url)).toEqual({ notNull: false, checks: [{ conname: CHECK, convalidated: false }] });
    await expect(query(p.url, `INSERT INTO "User" ("email", "updatedAt") VALUES ('c@example.com', now())`)).rejects.toThrow(`violates check constraint "${CHECK}"`);
    // verify names the failed entry (what a failed entry leaves is drift until it is done).
    const verify = await runZd(['verify'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(verify.stdout + verify.stderr).toContain(`NOT NULL "User"."name" (${name}): postponed work failed (23514)`);

    await query(p.url, `UPDATE "User" SET "name" = 'Bea' WHERE "name" IS NULL`);
    const run = await runZd(['postponed', 'run'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toContain('NOT NULL "User"."name": validated and set NOT NULL (no scan under lock)');
    // PostgreSQL's own word (DEBUG1) that the valid check spared the scan.
    expect(run.stdout + run.stderr).toContain('NOT NULL "User"."name": NOT NULL set without a scan (PostgreSQL: the valid check proves it)');
    expect(await state(p.url)).toEqual({ notNull: true, checks: [] });
    const clean = await runZd(['verify'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);

    // I1: the rewritten history on a database without prisma-zd, by plain prisma migrate deploy: NOT NULL at once, no check.
    const plain = await newDatabase();
    res.add(() => plain.drop());
    const prisma = await runPrisma(['migrate', 'deploy'], { url: plain.url, cwd: p.project.dir });
    expect(prisma.code, prisma.stdout + prisma.stderr).toBe(0);
    expect(await state(plain.url)).toEqual({ notNull: true, checks: [] });
  }, 180_000);

  it('takes the lock of SET NOT NULL under a timeout and retries: it does not queue behind a long transaction (and every query behind itself)', async () => {
    const p = await deployProject(res, newDatabase, { name: 'user_name_required', sql: REQUIRED });
    expect((await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } })).code).toBe(0);
    // The plan says what happens now and what after the migration.
    const dry = await zdDeploy(p, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout + dry.stderr).toContain(
      'the migration adds CHECK (… IS NOT NULL) NOT VALID (ACCESS EXCLUSIVE, briefly); `prisma-zd postponed run` validates it after the migration (SHARE UPDATE EXCLUSIVE: reads and writes continue), then sets NOT NULL without a scan (ACCESS EXCLUSIVE, milliseconds)',
    );
    // Deploy without the postponed work, then hold a lock that SET NOT NULL's ACCESS EXCLUSIVE must wait for.
    const deploy = await zdDeploy(p, ['--no-postponed']);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(await state(p.url)).toEqual({ notNull: false, checks: [{ conname: CHECK, convalidated: false }] });
    // Pending, its differences are the entry's, not drift.
    const verify = await runZd(['verify'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(verify.stdout + verify.stderr).toContain('not set NOT NULL yet');
    expect(verify.stdout + verify.stderr).not.toContain('Drift');
    const reader = await session(p.url, 'old-app-report', 'LOCK TABLE "User" IN ACCESS SHARE MODE');
    res.add(() => reader.end());
    const run = runZd(['postponed', 'run'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    // While it retries, other sessions still read and write "User" (nothing queued behind a waiting ACCESS EXCLUSIVE for long).
    // (Once the run waits for the lock, past its 2 s lock timeout: however long the run took to get there on a busy machine.)
    await waitFor('SET NOT NULL to wait for the lock', async () =>
      (await query(p.url, `SELECT 1 FROM pg_stat_activity WHERE application_name = 'prisma-zd/postponed-worker' AND wait_event_type = 'Lock'`)).length > 0,
    );
    await new Promise((r) => setTimeout(r, 2_500));
    await query(p.url, `INSERT INTO "User" ("email", "name", "updatedAt") VALUES ('d@example.com', 'Dee', now())`);
    await reader.end();
    const done = await run;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout + done.stderr).toMatch(/SET NOT NULL could not take its lock within 2000 ms \(attempt 1 of 5\)/);
    expect(await state(p.url)).toEqual({ notNull: true, checks: [] });
  }, 180_000);

  it('given up (postponed cancel), the check it leaves is named, with the statement that drops it; left, it is replaced when the field is made required again', async () => {
    const p = await deployProject(res, newDatabase, { name: 'user_name_required', sql: REQUIRED });
    expect((await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } })).code).toBe(0);
    expect((await zdDeploy(p, ['--no-postponed'])).code).toBe(0);
    const [entry] = await query<{ id: string }>(p.url, `SELECT id FROM prisma_zd.queue WHERE kind = 'not-null'`);
    const cancel = await runZd(['postponed', 'cancel', '--id', entry!.id, '--reason', 'not needed'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(cancel.code, cancel.stderr).toBe(0);
    const drop = /ALTER TABLE "User" DROP CONSTRAINT "User_name_zd_not_null";/.exec(cancel.stderr)?.[0];
    expect(drop, cancel.stderr).toBeDefined();
    expect(cancel.stderr).toContain('keeps the check "User_name_zd_not_null" (NOT VALID: new writes must still set "name")');
    // Left in place, the check does not stand in the way of the field made optional and required again later.
    addMigration(p.project.migrationsDir, 'user_name_optional', '-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" DROP NOT NULL;\n');
    addMigration(p.project.migrationsDir, 'user_name_required_again', REQUIRED);
    const again = await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(again.code, again.stderr).toBe(0);
    const deploy = await zdDeploy(p);
    expect(deploy.code, deploy.stdout + deploy.stderr).toBe(0);
    expect(await state(p.url)).toEqual({ notNull: true, checks: [] });
    expect(drop).toBe('ALTER TABLE "User" DROP CONSTRAINT "User_name_zd_not_null";');
  }, 120_000);

  it('its check dropped by hand: postponed run stops rather than scan under the lock (exit 5), naming the statement that adds it back; added back, it finishes', async () => {
    const p = await deployProject(res, newDatabase, { name: 'user_name_required', sql: REQUIRED });
    expect((await runZd(['rewrite'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } })).code).toBe(0);
    expect((await zdDeploy(p, ['--no-postponed'])).code).toBe(0);
    await query(p.url, `ALTER TABLE "User" DROP CONSTRAINT "${CHECK}"`);
    const run = await runZd(['postponed', 'run'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(run.code, run.stdout + run.stderr).toBe(5);
    expect(run.stdout + run.stderr).toContain(`the check "${CHECK}" the migration added on "public"."User" is gone, so SET NOT NULL would scan the table under an ACCESS EXCLUSIVE lock`);
    const add = new RegExp(`ALTER TABLE "User" ADD CONSTRAINT "${CHECK}" CHECK \\("name" IS NOT NULL\\) NOT VALID;`).exec(run.stdout + run.stderr)?.[0];
    expect(add, run.stdout + run.stderr).toBeDefined();
    await query(p.url, add!);
    const again = await runZd(['postponed', 'run'], { cwd: p.project.dir, env: { DATABASE_URL: p.url } });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await state(p.url)).toEqual({ notNull: true, checks: [] });
  }, 120_000);
});
