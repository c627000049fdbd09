import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeProgress, type BuildProgress } from '../../packages/cli/src/queue/progress.js';
import { runPostponed } from '../../packages/cli/src/queue/runner.js';
import { cli, indexesOf, managed, NOFOLDER, queue, sql, statuses } from './support.js';


describe('prisma-zd postponed run', () => {
  it('builds a queued index CONCURRENTLY while a writer keeps writing', async () => {
    const db = await managed();
    const writer = new pg.Client({ connectionString: db.url });
    try {
      await sql(
        db.url,
        `CREATE TABLE "Post" (id bigserial PRIMARY KEY, title text NOT NULL);
         INSERT INTO "Post" (title) SELECT md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 300000) g;`,
      );
      await sql(db.url, `VACUUM ANALYZE "Post"`);
      await queue(db.url, { table: 'Post', object: 'Post_title_idx', statement: 'CREATE INDEX "Post_title_idx" ON "Post"("title")', columns: ['title'] });
      await writer.connect();
      const writes: Array<{ at: number; ms: number }> = [];
      let stop = false;
      const writing = (async () => {
        while (!stop) {
          const t0 = Date.now();
          await writer.query(`INSERT INTO "Post" (title) VALUES (md5(random()::text))`);
          writes.push({ at: t0, ms: Date.now() - t0 });
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await new Promise((r) => setTimeout(r, 200));
      const run = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER, '--json']);
      stop = true;
      await writing;
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.entries).toMatchObject([{ status: 'built', label: '#1 index "Post_title_idx" on "Post"' }]);
      expect(await indexesOf(db.url, 'Post')).toContainEqual(expect.objectContaining({ name: 'Post_title_idx', valid: true }));
      const [entry] = await sql<{ started: Date; finished: Date }>(
        db.url,
        `SELECT started_at AS started, finished_at AS finished FROM prisma_zd.queue WHERE id = 1`,
      );
      const during = writes.filter((w) => w.at >= entry!.started.getTime() && w.at <= entry!.finished.getTime());
      const buildMs = entry!.finished.getTime() - entry!.started.getTime();
      const maxMs = Math.max(...during.map((w) => w.ms));
      // The writer kept going during the build, never waiting anywhere near the build's length.
      expect(during.length).toBeGreaterThan(20);
      expect(maxMs).toBeLessThan(Math.max(50, buildMs / 4));
      expect(run.stderr).toContain('reconciliation skipped');
    } finally {
      await writer.end().catch(() => {});
      await db.drop();
    }
  });

  it('marks an index that already exists and is valid as done without rebuilding it', async () => {
    const db = await managed();
    try {
      await sql(db.url, `CREATE TABLE "T" (a int); CREATE INDEX "T_a_idx" ON "T"("a")`);
      const [before] = await indexesOf(db.url, 'T');
      await queue(db.url, { table: 'T', object: 'T_a_idx', statement: 'CREATE INDEX "T_a_idx" ON "T"("a")', columns: ['a'] });
      const run = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('#1 index "T_a_idx" on "T": already built');
      expect(await indexesOf(db.url, 'T')).toEqual([before]);
      expect((await statuses(db.url))[0]).toMatchObject({ status: 'done', note: expect.stringContaining('already built') });
    } finally {
      await db.drop();
    }
  });

  it('a unique index over duplicate rows fails with the reason (exit 5) and succeeds once they are fixed', async () => {
    const db = await managed();
    try {
      await sql(
        db.url,
        `CREATE TABLE "User" (id serial PRIMARY KEY, email text);
         INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 1000) g;
         INSERT INTO "User" (email) VALUES ('u7@example.com');`,
      );
      await queue(db.url, { table: 'User', object: 'User_email_key', statement: 'CREATE UNIQUE INDEX "User_email_key" ON "User"("email")', columns: ['email'] });
      const run = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(run.code).toBe(5);
      expect(run.stdout).toContain('✗ #1 index "User_email_key" on "User": failed (23505): could not create unique index "User_email_key"');
      expect(run.stdout).toContain('next: fix the duplicate rows in "User"."email"');
      expect(run.stdout).toContain('then run `prisma-zd postponed run`');
      expect(run.stdout).toContain('1 failed: do not roll out code that relies on it');
      // No INVALID leftover.
      expect((await indexesOf(db.url, 'User')).map((i) => i.name)).toEqual(['User_pkey']);

      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.stdout).toContain('[E] #1 index "User_email_key" on "User" — failed (23505) after 1 attempt: could not create unique index');
      const json = JSON.parse((await cli(['postponed', 'list', '--url', db.url, '--json', '--status', 'failed'])).stdout);
      expect(json.entries).toMatchObject([{ id: 1, status: 'failed', sqlstate: '23505', attempts: 1, columns: ['email'] }]);

      await sql(db.url, `DELETE FROM "User" WHERE id = (SELECT max(id) FROM "User")`);
      const again = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(again.code).toBe(0);
      expect(await indexesOf(db.url, 'User')).toContainEqual(expect.objectContaining({ name: 'User_email_key', valid: true }));
      expect(await sql(db.url, `SELECT status, attempts, sqlstate FROM prisma_zd.queue`)).toEqual([
        { status: 'done', attempts: 2, sqlstate: null },
      ]);
    } finally {
      await db.drop();
    }
  });

  it('refuses crafted entries and never executes them', async () => {
    const db = await managed();
    try {
      await sql(db.url, `CREATE TABLE t (a int); CREATE TABLE other (a int)`);
      await queue(db.url, { table: 't', object: 'x', statement: 'CREATE INDEX x ON t(a); DROP TABLE t', columns: ['a'] });
      await queue(db.url, { table: 't', object: 't_a_idx', statement: 'CREATE INDEX other_idx ON t(a)', columns: ['a'] });
      await queue(db.url, { table: 't', object: 't_b_idx', statement: 'CREATE INDEX t_b_idx ON other(a)', columns: ['a'] });
      await queue(db.url, { table: 't', object: 't_c_idx', statement: 'DROP TABLE t', columns: ['a'] });
      const run = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER, '--json']);
      expect(run.code).toBe(5);
      const report = JSON.parse(run.stdout);
      expect(report.entries.map((e: { status: string; error: string }) => [e.status, e.error])).toEqual([
        ['failed', expect.stringMatching(/^refused: the statement holds 2 statements, not one/)],
        ['failed', expect.stringMatching(/^refused: the statement creates index "other_idx", not "t_a_idx"/)],
        ['failed', expect.stringMatching(/^refused: the statement creates its index on "other", not on "t"/)],
        ['failed', expect.stringMatching(/^refused: the statement is a DropStmt, not CREATE INDEX/)],
      ]);
      expect(await sql(db.url, `SELECT to_regclass('t') IS NOT NULL AS t, to_regclass('other') IS NOT NULL AS other`)).toEqual([
        { t: true, other: true },
      ]);
      expect(await indexesOf(db.url, 't')).toEqual([]);
      expect(await indexesOf(db.url, 'other')).toEqual([]);
      expect(await sql(db.url, `SELECT DISTINCT attempts, sqlstate FROM prisma_zd.queue`)).toEqual([{ attempts: 0, sqlstate: null }]);
    } finally {
      await db.drop();
    }
  });

  it('validates queued constraints, reports a violating row, and stops at the first failure with -x', async () => {
    const db = await managed();
    try {
      await sql(
        db.url,
        `CREATE TABLE "User" (id int PRIMARY KEY);
         CREATE TABLE "Post" (id int PRIMARY KEY, "authorId" int, "editorId" int);
         INSERT INTO "User" VALUES (1);
         INSERT INTO "Post" VALUES (1, 1, 1), (2, 1, 99);
         ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"(id) NOT VALID;
         ALTER TABLE "Post" ADD CONSTRAINT "Post_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"(id) NOT VALID;`,
      );
      await queue(db.url, { kind: 'validate', table: 'Post', object: 'Post_editorId_fkey', statement: 'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_editorId_fkey"', columns: ['editorId'] });
      await queue(db.url, { kind: 'validate', table: 'Post', object: 'Post_authorId_fkey', statement: 'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey"', columns: ['authorId'] });

      const failFast = await cli(['postponed', 'run', '-x', '--url', db.url, ...NOFOLDER, '--json']);
      expect(failFast.code).toBe(5);
      const report = JSON.parse(failFast.stdout);
      expect(report.entries).toMatchObject([{ id: 1, status: 'failed', sqlstate: '23503' }]);
      expect(report.remaining).toBe(1);
      expect(failFast.stderr).toContain('fix the rows of "Post" that violate "Post_editorId_fkey"');

      const all = await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER]);
      expect(all.code).toBe(5);
      expect(all.stdout).toContain('✓ #2 validate "Post_authorId_fkey" on "Post": validated');
      const valid = () => sql(db.url, `SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1`);
      expect(await valid()).toEqual([
        { conname: 'Post_authorId_fkey', convalidated: true },
        { conname: 'Post_editorId_fkey', convalidated: false },
      ]);
      await sql(db.url, `UPDATE "Post" SET "editorId" = 1`);
      expect((await cli(['postponed', 'run', '--url', db.url, ...NOFOLDER])).code).toBe(0);
      expect((await valid()).every((c) => c.convalidated)).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('reports build progress and names the sessions a build waits for', async () => {
    const db = await managed();
    const legacy = new pg.Client({ connectionString: db.url, application_name: 'legacy-app' });
    try {
      await sql(db.url, `CREATE TABLE "Order" (id int)`);
      await queue(db.url, { table: 'Order', object: 'Order_id_idx', statement: 'CREATE INDEX "Order_id_idx" ON "Order"("id")', columns: ['id'] });
      // An open transaction that wrote to the table: CREATE INDEX CONCURRENTLY waits for it.
      await legacy.connect();
      await legacy.query(`BEGIN; INSERT INTO "Order" VALUES (1)`);
      const [{ pid }] = (await legacy.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      const samples: BuildProgress[] = [];
      let released = false;
      const result = await runPostponed({
        url: db.url,
        migrationsDir: undefined,
        reporter: {
          log() {},
          clearProgress() {},
          progress(_label, p) {
            if (!p) return;
            samples.push(p);
            if (!released && p.waitingFor.length > 0) {
              released = true;
              void legacy.query('COMMIT');
            }
          },
        },
      });
      expect(result.outcomes).toMatchObject([{ status: 'built' }]);
      const waiting = samples.find((p) => p.waitingFor.length > 0)!;
      expect(waiting.phase).toMatch(/^waiting for/);
      expect(describeProgress(waiting)).toMatch(new RegExp(`^waiting for .*: pid ${pid} \\(legacy-app, transaction open [\\d.]+ (ms|s)\\)`));
    } finally {
      await legacy.end().catch(() => {});
      await db.drop();
    }
  });
});
