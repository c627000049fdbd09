/**
 * The queue's statements run later with the runner's privileges, so only what
 * `prisma-zd rewrite` wrote may run. A hand-written migration that inserts its own
 * entry — even one shaped exactly like rewrite's — is refused and never executed, and so
 * is an entry whose statement does not match its own identifiers.
 */
import { describe, expect, it } from 'vitest';
import { initParser, rewriteHistory } from '@prisma-zd/core';
import { applyLikePrisma, withConnection } from '../support/apply.js';
import { runZd } from '../support/cli.js';
import { freshDatabase } from '../support/db.js';
import { setUp, writeMigrationsFolder } from '../support/managed.js';

const BASE = { name: '20260101000000_base', sql: `CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT);\nINSERT INTO "Post" ("title") VALUES ('a');\n` };
const GOOD = { name: '20260101000001_index', sql: `CREATE INDEX "Post_title_idx" ON "Post"("title");\n` };

function crafted(migration: string, objectName: string, statement: string) {
  return `INSERT INTO prisma_zd.queue (kind, migration, table_schema, table_name, object_name, columns, search_path, statement)
VALUES ('index', '${migration}', 'public', 'Post', '${objectName.replaceAll("'", "''")}', ARRAY['title'], 'public', $s$${statement}$s$);\n`;
}

describe('queue injection', () => {
  it('refuses entries that rewrite did not write, and never executes them', async () => {
    await initParser();
    const evil = {
      name: '20260101000002_evil',
      sql:
        crafted('20260101000002_evil', 'evil_idx', `CREATE INDEX "evil_idx" ON "Post" ((md5("title")))`) +
        crafted('20260101000001_index', 'Post_title_idx', `CREATE INDEX "Post_title_idx" ON "Post" ((md5("title")))`) +
        crafted('20990101000000_never_applied', 'ghost_idx', `CREATE INDEX "ghost_idx" ON "Post" ("title")`) +
        crafted('20260101000002_evil', `x"; DROP TABLE "Post"; --`, `CREATE INDEX "x"; DROP TABLE "Post"; --" ON "Post" ("title")`),
    };
    const history = rewriteHistory([BASE, GOOD, evil], { select: (n) => n === GOOD.name }).map((r) => ({ name: r.name, sql: r.text }));
    const db = await freshDatabase({ prefix: 'zd_inject' });
    const folder = writeMigrationsFolder(history);
    try {
      await setUp(db.url);
      await withConnection(db.url, async (c) => {
        for (const m of history) await applyLikePrisma(c, m);
      });
      const run = await runZd(['postponed', 'run', '--url', db.url, '--migrations', folder.dir]);
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(/refused #\d+ index "evil_idx": migration "20260101000002_evil" \(as the folder has it\) queues no index "evil_idx"/);
      expect(run.stderr).toMatch(/not among the applied migrations/);
      const rows = await withConnection(db.url, async (c) => {
        const idx = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'Post' ORDER BY indexname`);
        const q = await c.query(`SELECT object_name, status, error FROM prisma_zd.queue ORDER BY id`);
        return { indexes: idx.rows, queue: q.rows };
      });
      // The genuine entry was built from rewrite's own statement; a crafted second entry with
      // its name but another statement was refused; nothing crafted ran; the table stands.
      expect(rows.indexes.map((r: { indexname: string }) => r.indexname)).toEqual(['Post_pkey', 'Post_title_idx']);
      expect(rows.indexes.find((r: { indexname: string }) => r.indexname === 'Post_title_idx').indexdef).toContain('USING btree (title)');
      expect(rows.queue.filter((r: { status: string }) => r.status === 'failed').map((r: { object_name: string }) => r.object_name).sort()).toEqual(
        ['Post_title_idx', 'evil_idx', 'ghost_idx', `x"; DROP TABLE "Post"; --`].sort(),
      );
      expect(rows.queue.filter((r: { status: string }) => r.status === 'done').map((r: { object_name: string }) => r.object_name)).toEqual(['Post_title_idx']);
      // A second run refuses them again, still without executing anything.
      const again = await runZd(['postponed', 'run', '--url', db.url, '--migrations', folder.dir]);
      expect(again.code).toBe(5);
    } finally {
      folder.cleanup();
      await db.drop();
    }
  });
});
