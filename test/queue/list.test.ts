import { describe, expect, it } from 'vitest';
import { maintenanceBlock } from '../../packages/core/src/zd/blocks.js';
import { freshDatabase } from '../support/db.js';
import { cli, queue, sql } from './support.js';

const NOFOLDER = ['--migrations', '/nonexistent-migrations'];

/** Timestamps and durations vary: replaced by fixed tokens. */
const stable = (text: string) =>
  text
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, '<time>')
    .replace(/took [\d.]+ (ms|s)/g, 'took <t>')
    .replace(/127\.0\.0\.1:\d+\/\w+/g, '<db>');

describe('prisma-zd postponed list / cleanup', () => {
  it('shows every state, filters, emits JSON, and cleans up', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(
        db.url,
        `CREATE TABLE "User" (id serial PRIMARY KEY, email text, name text);
         INSERT INTO "User" (email, name) VALUES ('a@x', 'A'), ('a@x', 'B');`,
      );
      await queue(db.url, { table: 'User', object: 'User_name_idx', statement: 'CREATE INDEX "User_name_idx" ON "User"("name")', columns: ['name'] });
      await queue(db.url, { table: 'User', object: 'User_email_key', statement: 'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")', columns: ['email'] });
      await queue(db.url, { table: 'User', object: 'User_gone_idx', statement: 'CREATE INDEX "User_gone_idx" ON "User"("name", "email")', columns: ['name', 'email'] });
      // A later migration drops that index: its maintenance block cancels the entry.
      await sql(db.url, maintenanceBlock([{ op: 'cancel', kind: 'index', objectName: 'User_gone_idx', tableName: 'User', reason: 'dropped by migration 2_drop' }], ''));
      // Only #1 and #2 are open now; #2 fails.
      expect((await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER])).code).toBe(5);
      await queue(db.url, {
        kind: 'contract',
        table: 'User',
        object: 'name',
        statement: 'ALTER TABLE "User" ALTER COLUMN "name" DROP DEFAULT',
        columns: ['name'],
      });

      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.code).toBe(0);
      expect(stable(list.stdout)).toMatchInlineSnapshot(`
        "Queue of <db>: 4 entries: 1 pending, 1 failed, 1 done, 1 cancelled
        [X] #1 index "User_name_idx" on "User" — done <time>, took <t>
        [E] #2 index "User_email_key" on "User" — failed (23505) after 1 attempt: could not create unique index "User_email_key"
            next: fix the duplicate rows in "User"."email" (find them: SELECT "email", count(*) FROM "User" GROUP BY "email" HAVING count(*) > 1;), then run \`prisma-zd postponed run\`
        [-] #3 index "User_gone_idx" on "User" — cancelled: dropped by migration 2_drop
        [ ] #4 contract ALTER TABLE "User" ALTER COLUMN "name" DROP DEFAULT  (20260101000000_test)
        "
      `);

      const filtered = await cli(['postponed', 'list', '--url', db.url, '--status', 'pending,failed', '--kind', 'index']);
      expect(filtered.stdout.split('\n').filter((l) => l.startsWith('['))).toEqual([
        expect.stringMatching(/^\[E\] #2 /),
      ]);
      const bad = await cli(['postponed', 'list', '--url', db.url, '--status', 'stuck']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('Unknown --status stuck');

      const json = JSON.parse((await cli(['postponed', '--url', db.url, '--json'])).stdout);
      expect(json.command).toBe('postponed list');
      expect(json.entries.map((e: { id: number; status: string; kind: string }) => [e.id, e.kind, e.status])).toEqual([
        [1, 'index', 'done'],
        [2, 'index', 'failed'],
        [3, 'index', 'cancelled'],
        [4, 'contract', 'pending'],
      ]);
      expect(json.entries[1]).toMatchObject({
        migration: '20260101000000_test',
        table: { schema: 'public', name: 'User' },
        object: 'User_email_key',
        columns: ['email'],
        statement: 'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")',
        sqlstate: '23505',
        attempts: 1,
      });

      const cleanup = await cli(['postponed', 'cleanup', '--url', db.url]);
      expect(cleanup.code).toBe(0);
      expect(stable(cleanup.stdout)).toMatchInlineSnapshot(`
        "Removed 2 entries (done and cancelled).
          [X] #1 index "User_name_idx" on "User" — done <time>, took <t>
          [-] #3 index "User_gone_idx" on "User" — cancelled: dropped by migration 2_drop
        "
      `);
      const all = JSON.parse((await cli(['postponed', 'cleanup', '--all', '--url', db.url, '--json'])).stdout);
      expect(all.removed.map((e: { id: number }) => e.id)).toEqual([2, 4]);
      expect(await sql(db.url, `SELECT count(*)::int AS n FROM prisma_zd.queue`)).toEqual([{ n: 0 }]);
    } finally {
      await db.drop();
    }
  });
});
