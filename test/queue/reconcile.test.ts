import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initParser } from '../../packages/core/src/sql/parse.js';
import { rewriteHistory } from '../../packages/core/src/zd/rewrite.js';
import { applyLikePrisma, withConnection } from '../support/apply.js';
import { freshDatabase } from '../support/db.js';
import { cli, indexesOf, NOFOLDER, queue, sql, statuses } from './support.js';

/** What `prisma migrate deploy` does with a folder, minus Prisma: each file as one script, one row each. */
async function deploy(url: string, migrations: Array<{ name: string; sql: string }>) {
  await withConnection(url, async (c) => {
    for (const m of migrations) await applyLikePrisma(c, m);
  });
}

/** The history rewritten into a migrations folder `dir`, the database set up and deployed with all of it. */
async function deployRewritten(original: ReadonlyArray<{ name: string; sql: string }>, dir: string, url: string) {
  const rewritten = rewriteHistory(original, { select: () => true }).map((r, i) => ({ name: original[i]!.name, sql: r.text }));
  for (const m of rewritten) {
    mkdirSync(join(dir, m.name));
    writeFileSync(join(dir, m.name, 'migration.sql'), m.sql);
  }
  writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  expect((await cli(['setup', '--url', url])).code).toBe(0);
  await deploy(url, rewritten);
  return rewritten;
}

describe('reconciliation before the runner builds', () => {
  it('cancels an entry whose index a later migration dropped with DROP INDEX CONCURRENTLY IF EXISTS', async () => {
    await initParser();
    const original = [
      { name: '20260101000000_init', sql: 'CREATE TABLE "t" ("id" SERIAL NOT NULL, "a" INTEGER, "b" INTEGER, CONSTRAINT "t_pkey" PRIMARY KEY ("id"));\n' },
      { name: '20260102000000_a_idx', sql: '-- CreateIndex\nCREATE INDEX "t_a_idx" ON "t"("a");\n' },
      { name: '20260103000000_b_idx', sql: '-- CreateIndex\nCREATE INDEX "t_b_idx" ON "t"("b");\n' },
      { name: '20260104000000_drop_a', sql: 'DROP INDEX CONCURRENTLY IF EXISTS "t_a_idx";\n' },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'prisma-zd-reconcile-'));
    const db = await freshDatabase();
    try {
      // One deploy applies all four: the DROP INDEX CONCURRENTLY IF EXISTS is a no-op (the index is only queued).
      const rewritten = await deployRewritten(original, dir, db.url);
      expect(rewritten[1]!.sql).toContain('prisma_zd.queue');
      expect((await statuses(db.url)).map((s) => [s.object_name, s.status])).toEqual([
        ['t_a_idx', 'pending'],
        ['t_b_idx', 'pending'],
      ]);

      const run = await cli(['postponed', 'run', '--url', db.url, '--migrations', dir]);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/reconcile: cancelled #1 index "t_a_idx": .*20260104000000_drop_a/);
      expect(run.stdout).toContain('#2 index "t_b_idx" on "t": built CONCURRENTLY');
      expect((await indexesOf(db.url, 't')).map((i) => i.name)).toEqual(['t_b_idx', 't_pkey']);
      expect((await statuses(db.url)).map((s) => [s.object_name, s.status])).toEqual([
        ['t_a_idx', 'cancelled'],
        ['t_b_idx', 'done'],
      ]);
      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.stdout).toMatch(/\[-\] #1 index "t_a_idx" on "t" — cancelled: reconcile: .*20260104000000_drop_a/);
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cancels a postponed NOT NULL that a later migration rewrite did not process made nullable again, and drops the check it left', async () => {
    await initParser();
    const original = [
      { name: '20260101000000_init', sql: 'CREATE TABLE "t" ("id" SERIAL NOT NULL, "a" INTEGER, CONSTRAINT "t_pkey" PRIMARY KEY ("id"));\nINSERT INTO "t" ("a") VALUES (1);\n' },
      { name: '20260102000000_a_required', sql: '-- AlterTable\nALTER TABLE "t" ALTER COLUMN "a" SET NOT NULL;\n' },
      { name: '20260103000000_a_optional', sql: '-- prisma-zd-ignore-file adding-not-nullable-field: written by hand\nALTER TABLE "t" ALTER COLUMN "a" DROP NOT NULL;\n' },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'prisma-zd-reconcile-'));
    const db = await freshDatabase();
    try {
      const rewritten = await deployRewritten(original, dir, db.url);
      expect(rewritten[1]!.sql).toContain('"t_a_zd_not_null"');
      expect(rewritten[2]!.sql).toBe(original[2]!.sql);
      const checks = () => sql<{ conname: string }>(db.url, `SELECT conname FROM pg_constraint WHERE conrelid = '"t"'::regclass AND contype = 'c'`);
      expect(await checks()).toEqual([{ conname: 't_a_zd_not_null' }]);
      const run = await cli(['postponed', 'run', '--url', db.url, '--migrations', dir]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stderr).toMatch(/reconcile: cancelled #1 not-null "t_a_zd_not_null": .*20260103000000_a_optional/);
      expect(await checks()).toEqual([]);
      expect(await sql(db.url, `SELECT attnotnull FROM pg_attribute WHERE attrelid = '"t"'::regclass AND attname = 'a'`)).toEqual([{ attnotnull: false }]);
      await sql(db.url, `INSERT INTO "t" ("a") VALUES (NULL)`);
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('judges refusals again on every run: a stale copy of the folder is refused up front (exit 2, nothing marked), the right folder builds what an older run refused, a foreign entry stays refused', async () => {
    await initParser();
    const original = [
      { name: '20260101000000_init', sql: 'CREATE TABLE "t" ("id" SERIAL NOT NULL, "a" INTEGER, "b" INTEGER, CONSTRAINT "t_pkey" PRIMARY KEY ("id"));\n' },
      { name: '20260102000000_a_idx', sql: '-- CreateIndex\nCREATE INDEX "t_a_idx" ON "t"("a");\n' },
      { name: '20260103000000_b_idx', sql: '-- CreateIndex\nCREATE INDEX "t_b_idx" ON "t"("b");\n' },
    ];
    const rewritten = rewriteHistory(original, { select: () => true }).map((r, i) => ({ name: original[i]!.name, sql: r.text }));
    const dir = mkdtempSync(join(tmpdir(), 'prisma-zd-reconcile-'));
    const stale = mkdtempSync(join(tmpdir(), 'prisma-zd-reconcile-stale-'));
    const db = await freshDatabase();
    try {
      for (const [folder, migrations] of [[dir, rewritten], [stale, rewritten.slice(0, 2)]] as const) {
        for (const m of migrations) {
          mkdirSync(join(folder, m.name));
          writeFileSync(join(folder, m.name, 'migration.sql'), m.sql);
        }
        writeFileSync(join(folder, 'migration_lock.toml'), 'provider = "postgresql"\n');
      }
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await deploy(db.url, rewritten);
      // Not rewrite's output: its migration queues no such index.
      await queue(db.url, { table: 't', object: 't_ab_idx', statement: 'CREATE INDEX "t_ab_idx" ON "t"("a", "b")', columns: ['a', 'b'], migration: '20260101000000_init' });

      // The stale copy lacks the migration that queued #2: refused up front, as a usage error, and no entry is marked.
      const wrong = await cli(['postponed', 'run', '--url', db.url, '--migrations', stale]);
      expect(wrong.code, wrong.stdout + wrong.stderr).toBe(2);
      expect(wrong.stderr).toContain(`ZD_MIGRATIONS_STALE: The migrations folder ${stale} does not hold migration 20260103000000_b_idx, which this database applied and which queued entry #2 index "t_b_idx" on "t"`);
      expect(wrong.stderr).toContain('Nothing was run and no entry was changed.');
      expect(wrong.stderr).toContain('hint: Run the command again with the migrations folder that `prisma migrate deploy` applied');
      expect(await sql(db.url, `SELECT id::int, status, error FROM prisma_zd.queue ORDER BY id`)).toEqual([
        { id: 1, status: 'pending', error: null },
        { id: 2, status: 'pending', error: null },
        { id: 3, status: 'pending', error: null },
      ]);
      expect(await indexesOf(db.url, 't')).toEqual([expect.objectContaining({ name: 't_pkey' })]);

      // What earlier versions left after a run with a stale folder: a real entry marked refused.
      await sql(
        db.url,
        `UPDATE prisma_zd.queue SET status = 'failed', error = $1 WHERE id = 1`,
        ['refused: it names migration "20260102000000_a_idx", which is not among the applied migrations of the folder; prisma-zd does not execute it'],
      );
      const right = await cli(['postponed', 'run', '--url', db.url, '--migrations', dir]);
      expect(right.code, right.stdout + right.stderr).toBe(5);
      expect(right.stdout).toContain('#1 index "t_a_idx" on "t": built CONCURRENTLY');
      expect(right.stdout).toContain('#2 index "t_b_idx" on "t": built CONCURRENTLY');
      expect(right.stdout).toMatch(/✗ #3 index "t_ab_idx" on "t": failed: refused: migration "20260101000000_init" \(as the folder has it\) queues no index "t_ab_idx"/);
      expect(right.stdout).toContain('otherwise this entry was not written by rewrite: find out who queued it');
      expect((await statuses(db.url)).map((s) => [s.object_name, s.status])).toEqual([
        ['t_a_idx', 'done'],
        ['t_b_idx', 'done'],
        ['t_ab_idx', 'failed'],
      ]);

      // Without a folder to judge by, the refusal stands: the foreign statement never runs.
      const blind = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(blind.code).toBe(5);
      expect(blind.stdout).toMatch(/✗ #3 index "t_ab_idx" on "t": failed: refused:/);
      expect((await indexesOf(db.url, 't')).map((i) => i.name)).toEqual(['t_a_idx', 't_b_idx', 't_pkey']);
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(stale, { recursive: true, force: true });
    }
  });
});
