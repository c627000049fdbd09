/**
 * A removed field end to end: `prisma migrate dev` writes `ALTER TABLE … DROP COLUMN`, and
 * every query of the old app version on the model fails from that moment (Prisma Client
 * selects every scalar field by name). `rewrite` defers the drop to `contract`. The built
 * CLI runs the sample project's real `prisma migrate deploy` (prisma@6.19.3) against a
 * real PostgreSQL; the old and new app versions are their SQL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { runZd } from '../support/cli.js';
import { sampleTemplate } from '../prisma/helpers.js';
import { runPrisma } from '../support/prisma.js';
import { addRewrittenMigration, columnExists, deployProject, query, Resources, session, waitFor, zdDeploy } from './support.js';

let template: string;
const res = new Resources();
const newDatabase = () => freshDatabase({ template, prefix: 'zd_dropcol' });

beforeAll(async () => {
  template = await sampleTemplate();
});
afterAll(() => res.cleanup());

// The old app version knows Post.title (required, no default); the new one does not.
const OLD_SELECT = `SELECT "id", "slug", "title", "content", "authorId" FROM "Post"`;
const oldInsert = (id: string) =>
  `INSERT INTO "Post" ("id", "slug", "title", "authorId", "updatedAt") VALUES ('${id}', '${id}', 'Old title', 1, now())`;
const newInsert = (id: string) => `INSERT INTO "Post" ("id", "slug", "authorId", "updatedAt") VALUES ('${id}', '${id}', 1, now())`;

describe('a removed field (DROP COLUMN deferred to contract)', () => {
  it('keeps the column for old app versions through the deploy (a placeholder for the new version\'s rows), contract drops it under a lock timeout with retries, and verify agrees throughout', async () => {
    const p = await deployProject(res, newDatabase);
    const name = await addRewrittenMigration(p.project.migrationsDir, 'remove_post_title', `-- AlterTable\nALTER TABLE "Post" DROP COLUMN "title";\n`);
    const file = readFileSync(join(p.project.migrationsDir, name, 'migration.sql'), 'utf8');
    expect(file).toContain('-- prisma-zd: deferred: column "Post"."title" is dropped by `prisma-zd contract`, once no old app version selects it');
    expect(file).toContain(`ALTER TABLE "Post" ALTER COLUMN "title" SET DEFAULT '';`);

    const dry = await zdDeploy(p, ['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    // Deferred; on this managed database the migration only gives the column a default: a brief ACCESS EXCLUSIVE lock (no scan).
    expect(dry.json!.plan.migrations.at(-1).statements.map((st: { zd?: string; locks: Array<{ mode: string; table: string }> }) => [st.zd, st.locks.map((l) => `${l.mode} ${l.table}`)])).toEqual([
      ['deferred', ['ACCESS EXCLUSIVE public.Post']],
    ]);
    const text = await zdDeploy(p, ['--dry-run']);
    expect(text.stderr).toContain('deferred to `prisma-zd contract`: ALTER TABLE "Post" DROP COLUMN "title"');
    expect(text.stderr).toMatch(/until then the migration keeps the column usable \(.+\): ACCESS EXCLUSIVE on "?Post"? \(briefly, no scan\)/);

    const deployed = await zdDeploy(p, ['--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.json).toMatchObject({ status: 'applied', contractPending: 1 });
    await query(p.url, `INSERT INTO "User" ("id", "email", "updatedAt") VALUES (1, 'a@example.com', now())`);

    // During the rollout both versions work: the old one reads and writes the column, the new one leaves it out.
    expect(await columnExists(p.url, 'Post', 'title')).toBe(true);
    await query(p.url, oldInsert('old-1'));
    await query(p.url, newInsert('new-1'));
    // The old version reads the new version's row too: its required title holds the placeholder, not NULL.
    expect((await query(p.url, `${OLD_SELECT} ORDER BY "id"`)).map((r) => [r['id'], r['title']])).toEqual([
      ['new-1', ''],
      ['old-1', 'Old title'],
    ]);
    expect(await query(p.url, `SELECT kind, object_name, table_name, status, statement FROM prisma_zd.queue`)).toEqual([
      { kind: 'contract', object_name: 'title', table_name: 'Post', status: 'pending', statement: 'ALTER TABLE "Post" DROP COLUMN "title"' },
    ]);

    // The column that stands until contract is the queue's, not drift.
    const mid = JSON.parse((await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir })).stdout);
    expect(mid.drift).toEqual([]);
    expect(mid.pending).toHaveLength(1);
    expect(mid.pending[0].explains.join()).toContain('title');

    // A report of an old version holds "Post": contract's DROP COLUMN gives up the lock after its timeout and retries,
    // so reads of "Post" queue behind it for at most that long; the report ends and the next attempt drops it.
    const report = await session(p.url, 'old-app-report', `SELECT count(*) FROM "Post"`);
    const contract = runZd(['contract', '--url', p.url, '--migrations', p.project.migrationsDir, '--lock-timeout', '1s', '--attempts', '8', '--json'], { cwd: p.project.dir });
    await waitFor('contract to wait for the report', async () =>
      (await query(p.url, `SELECT 1 FROM pg_stat_activity WHERE application_name = 'prisma-zd/contract-worker' AND wait_event_type = 'Lock'`)).length > 0,
    );
    // Past its lock timeout: the first attempt gives up (and the next waits again).
    await new Promise((r) => setTimeout(r, 1500));
    await report.end();
    const done = await contract;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toMatch(/lock not available within 1000 ms \(attempt 1 of 8\); retrying/);
    expect(JSON.parse(done.stdout).entries).toMatchObject([{ status: 'applied', label: expect.stringContaining('DROP COLUMN "title"') }]);
    expect(await columnExists(p.url, 'Post', 'title')).toBe(false);

    // After contract the old version's queries fail, as they would have at once without rewrite; the schema is the history's.
    await expect(query(p.url, OLD_SELECT)).rejects.toThrow(/column "title" does not exist/);
    const after = await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir });
    expect(after.code, after.stdout).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ equal: true, drift: [], pending: [] });

    // Run again: nothing left; the column already gone is not an error.
    const again = await runZd(['contract', '--url', p.url, '--migrations', p.project.migrationsDir], { cwd: p.project.dir });
    expect(again.code, again.stderr).toBe(0);
  });

  it('a plain prisma migrate deploy of the rewritten folder (no prisma-zd) drops the column inline (I1)', async () => {
    const p = await deployProject(res, newDatabase);
    await addRewrittenMigration(p.project.migrationsDir, 'remove_post_title', `-- AlterTable\nALTER TABLE "Post" DROP COLUMN "title";\n`);
    expect(await columnExists(p.url, 'Post', 'title')).toBe(true);
    const r = await runPrisma(['migrate', 'deploy'], { url: p.url, cwd: p.project.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await columnExists(p.url, 'Post', 'title')).toBe(false);
    expect(await query(p.url, `SELECT to_regclass('prisma_zd.queue') IS NULL AS unmanaged`)).toEqual([{ unmanaged: true }]);
  });

  it('a removed enum field and its enum: both wait for contract, which drops the column, then the type; verify agrees', async () => {
    const p = await deployProject(res, newDatabase);
    const name = await addRewrittenMigration(p.project.migrationsDir, 'remove_user_role', `-- AlterTable\nALTER TABLE "User" DROP COLUMN "role";\n\n-- DropEnum\nDROP TYPE "Role";\n`);
    expect(readFileSync(join(p.project.migrationsDir, name, 'migration.sql'), 'utf8')).toContain('-- prisma-zd: deferred: type "Role" is dropped by `prisma-zd contract`, after the columns of it whose drop is deferred');
    const deployed = await zdDeploy(p, ['--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.json).toMatchObject({ status: 'applied', contractPending: 2 });
    // The old app version still writes its enum.
    await query(p.url, `INSERT INTO "User" ("email", "role", "updatedAt") VALUES ('old@example.com', 'AUTHOR', now())`);
    const mid = JSON.parse((await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir })).stdout);
    expect(mid.drift).toEqual([]);
    expect(mid.pending.map((e: { explains: string[] }) => e.explains.join())).toEqual([expect.stringContaining('role'), expect.stringContaining('Role')]);
    const done = await runZd(['contract', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir });
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout).entries.map((e: { status: string; label: string }) => [e.status, e.label])).toEqual([
      ['applied', expect.stringContaining('DROP COLUMN "role"')],
      ['applied', expect.stringContaining('DROP TYPE "Role"')],
    ]);
    expect(await query(p.url, `SELECT to_regtype('"Role"') IS NULL AS gone`)).toEqual([{ gone: true }]);
    const after = await runZd(['verify', '--url', p.url, '--migrations', p.project.migrationsDir, '--json'], { cwd: p.project.dir });
    expect(JSON.parse(after.stdout)).toMatchObject({ equal: true, drift: [], pending: [] });
  });
});
