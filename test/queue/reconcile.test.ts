import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initParser } from '../../packages/core/src/sql/parse.js';
import { rewriteHistory } from '../../packages/core/src/zd/rewrite.js';
import { applyLikePrisma, withConnection } from '../support/apply.js';
import { freshDatabase } from '../support/db.js';
import { cli, indexesOf, sql, statuses } from './support.js';

/** What `prisma migrate deploy` does with a folder, minus Prisma: each file as one script, one row each. */
async function deploy(url: string, migrations: Array<{ name: string; sql: string }>) {
  await withConnection(url, async (c) => {
    for (const m of migrations) await applyLikePrisma(c, m);
  });
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
    const rewritten = rewriteHistory(original, { select: () => true }).map((r, i) => ({ name: original[i]!.name, sql: r.text }));
    expect(rewritten[1]!.sql).toContain('prisma_zd.queue');
    const dir = mkdtempSync(join(tmpdir(), 'prisma-zd-reconcile-'));
    const db = await freshDatabase();
    try {
      for (const m of rewritten) {
        mkdirSync(join(dir, m.name));
        writeFileSync(join(dir, m.name, 'migration.sql'), m.sql);
      }
      writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      // One deploy applies all four: the DROP INDEX CONCURRENTLY IF EXISTS is a no-op (the index is only queued).
      await deploy(db.url, rewritten);
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
});
