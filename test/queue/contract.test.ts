import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../support/db.js';
import { cli, queue, sql } from './support.js';

const NOFOLDER = ['--migrations', '/nonexistent-migrations'];

describe('prisma-zd contract', () => {
  it('lists, then applies a deferred DROP DEFAULT (and its DROP SEQUENCE), retrying while the table is locked', async () => {
    const db = await freshDatabase();
    const locker = new pg.Client({ connectionString: db.url });
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(
        db.url,
        `CREATE SEQUENCE "Post_n_seq";
         CREATE TABLE "Post" (id int PRIMARY KEY, n int DEFAULT nextval('"Post_n_seq"'), title text);`,
      );
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'n', statement: 'ALTER TABLE "Post" ALTER COLUMN "n" DROP DEFAULT', columns: ['n'] });
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'Post_n_seq', statement: 'DROP SEQUENCE "Post_n_seq"', columns: ['n'] });
      // Old app versions still rely on the default until contract.
      await sql(db.url, `INSERT INTO "Post" (id) VALUES (1)`);
      await queue(db.url, { table: 'Post', object: 'Post_title_idx', statement: 'CREATE INDEX "Post_title_idx" ON "Post"("title")', columns: ['title'] });

      const list = await cli(['contract', '--list', '--url', db.url]);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain('[ ] #1 contract ALTER TABLE "Post" ALTER COLUMN "n" DROP DEFAULT');
      expect(list.stdout).toContain('[ ] #2 contract DROP SEQUENCE "Post_n_seq"');
      expect(list.stdout).toContain('reminder: 1 postponed index/validation entries are still open');
      const hasDefault = async () =>
        (await sql<{ d: string | null }>(db.url, `SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef WHERE adrelid = '"Post"'::regclass`)).length > 0;
      expect(await hasDefault()).toBe(true);

      // A long transaction holds a lock on the table: contract gives up after its attempts (exit 4).
      await locker.connect();
      await locker.query(`BEGIN; SELECT * FROM "Post"`);
      const blocked = await cli(['contract', '--url', db.url, ...NOFOLDER, '--lock-timeout', '100ms', '--attempts', '2']);
      expect(blocked.code).toBe(4);
      expect(blocked.stderr).toContain('lock not available within 100 ms (attempt 1 of 2)');
      expect(blocked.stdout).toContain('✗ #1 contract ALTER TABLE "Post" ALTER COLUMN "n" DROP DEFAULT: lock not available after 2 attempts (55P03)');
      expect(await hasDefault()).toBe(true);
      expect(await sql(db.url, `SELECT status, sqlstate, attempts FROM prisma_zd.queue WHERE id = 1`)).toEqual([
        { status: 'failed', sqlstate: '55P03', attempts: 2 },
      ]);

      // The lock goes away during the retries: contract succeeds.
      setTimeout(() => void locker.query('COMMIT'), 300);
      const ok = await cli(['contract', '--url', db.url, ...NOFOLDER, '--lock-timeout', '200ms', '--json']);
      expect(ok.code).toBe(0);
      const report = JSON.parse(ok.stdout);
      expect(report.entries.map((e: { id: number; status: string }) => [e.id, e.status])).toEqual([
        [1, 'applied'],
        [2, 'applied'],
      ]);
      expect(report.postponedPending).toBe(1);
      // Each entry is told once (the summary), not also as it is applied.
      expect(ok.stderr.split('#1 contract ALTER TABLE "Post" ALTER COLUMN "n" DROP DEFAULT: applied').length - 1).toBe(1);
      expect(ok.stderr.split('#2 contract DROP SEQUENCE "Post_n_seq": applied').length - 1).toBe(1);
      expect(ok.stderr).toContain('reminder: 1 postponed index/validation entry is still open: run `prisma-zd postponed run`');
      expect(await hasDefault()).toBe(false);
      expect(await sql(db.url, `SELECT to_regclass('"Post_n_seq"') IS NULL AS dropped`)).toEqual([{ dropped: true }]);
      expect(await sql(db.url, `SELECT DISTINCT status FROM prisma_zd.queue WHERE kind = 'contract'`)).toEqual([{ status: 'done' }]);

      // Nothing pending: exit 0.
      const again = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Nothing to contract');
    } finally {
      await locker.end().catch(() => {});
      await db.drop();
    }
  });

  it('refuses a contract entry of a shape rewrite never queues (DROP COLUMN … CASCADE)', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `CREATE TABLE "Post" (id int, n int DEFAULT 1)`);
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'n', statement: 'ALTER TABLE "Post" DROP COLUMN "n" CASCADE', columns: ['n'] });
      const r = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(r.code).toBe(5);
      expect(r.stdout).toContain('refused: the statement must be DROP COLUMN "n", without CASCADE');
      expect(await sql(db.url, `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = '"Post"'::regclass AND attname = 'n'`)).toEqual([{ n: 1 }]);
    } finally {
      await db.drop();
    }
  });

  it('a deferred DROP COLUMN: applied; one whose column is already gone is marked done; one whose table is gone fails, naming it', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `CREATE TABLE "Post" (id int, "a" int, "b" text); CREATE TABLE "Gone" (id int, "c" int)`);
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'a', statement: 'ALTER TABLE "Post" DROP COLUMN "a"', columns: ['a'] });
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'b', statement: 'ALTER TABLE "Post" DROP COLUMN "b"', columns: ['b'] });
      await queue(db.url, { kind: 'contract', table: 'Gone', object: 'c', statement: 'ALTER TABLE "Gone" DROP COLUMN "c"', columns: ['c'] });
      await sql(db.url, `ALTER TABLE "Post" DROP COLUMN "b"; DROP TABLE "Gone"`);
      const r = await cli(['contract', '--url', db.url, ...NOFOLDER, '--json']);
      expect(r.code).toBe(5);
      expect(JSON.parse(r.stdout).entries).toMatchObject([
        { id: 1, status: 'applied' },
        { id: 2, status: 'applied', note: 'already dropped' },
        { id: 3, status: 'failed', error: 'relation "Gone" does not exist', next: expect.stringContaining('prisma-zd postponed cancel --id 3') },
      ]);
      expect(await sql(db.url, `SELECT attname FROM pg_attribute WHERE attrelid = '"Post"'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`)).toEqual([{ attname: 'id' }]);
    } finally {
      await db.drop();
    }
  });

  it('a column dropped by hand: contract fails naming the way out, postponed cancel gives the entry up, contract then passes', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `CREATE TABLE "Post" (id int PRIMARY KEY, n int DEFAULT 1)`);
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'n', statement: 'ALTER TABLE "Post" ALTER COLUMN "n" DROP DEFAULT', columns: ['n'] });
      await sql(db.url, `ALTER TABLE "Post" DROP COLUMN n`);
      const failed = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(failed.code).not.toBe(0);
      expect(failed.stdout + failed.stderr).toContain('prisma-zd postponed cancel --id 1');

      const none = await cli(['postponed', 'cancel', '--url', db.url]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('--id');
      const missing = await cli(['postponed', 'cancel', '--id', '1', '--id', '99', '--url', db.url]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('ZD_NOT_CANCELLABLE: Nothing was cancelled: #99 is not in the queue.');

      const cancel = await cli(['postponed', 'cancel', '--id', '1', '--reason', 'column n dropped by hand', '--url', db.url]);
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toContain('Cancelled 1 entry');
      const list = await cli(['postponed', 'list', '--json', '--url', db.url]);
      expect(JSON.parse(list.stdout).entries).toMatchObject([{ id: 1, status: 'cancelled', note: 'cancelled by hand: column n dropped by hand' }]);
      const again = await cli(['postponed', 'cancel', '--id', '1', '--url', db.url]);
      expect(again.stderr).toContain('#1 is cancelled, not pending or failed');
      const contract = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(contract.code, contract.stderr + contract.stdout).toBe(0);
    } finally {
      await db.drop();
    }
  });
  it('a deferred DROP INDEX: refused with CASCADE; an index of its name on another table is left alone, named; one already gone is marked done', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `CREATE TABLE "Post" (id int, title text); CREATE TABLE "Other" (id int, title text); CREATE INDEX "Post_title_idx" ON "Other"(title);`);
      const cancel = (id: number) => cli(['postponed', 'cancel', '--id', String(id), '--reason', 'test', '--url', db.url]);
      const exists = async () => (await sql<{ ok: boolean }>(db.url, `SELECT to_regclass('"Post_title_idx"') IS NOT NULL AS ok`))[0]!.ok;

      await queue(db.url, { kind: 'contract', table: 'Post', object: 'Post_title_idx', statement: 'DROP INDEX "Post_title_idx" CASCADE', columns: ['title'] });
      const cascade = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(cascade.code).toBe(5);
      expect(cascade.stdout).toContain('refused: the statement must be DROP SEQUENCE, DROP INDEX or DROP TYPE of one object, without CASCADE; prisma-zd does not execute it');
      expect((await cancel(1)).code).toBe(0);

      await queue(db.url, { kind: 'contract', table: 'Post', object: 'Post_title_idx', statement: 'DROP INDEX "Post_title_idx"', columns: ['title'] });
      const elsewhere = await cli(['contract', '--url', db.url, ...NOFOLDER]);
      expect(elsewhere.code).toBe(5);
      expect(elsewhere.stdout).toContain('index "public"."Post_title_idx" is on table "public"."Other", not on "Post" as queued: it is not the index this entry drops, and prisma-zd leaves it alone');
      expect(await exists()).toBe(true);
      expect((await cancel(2)).code).toBe(0);

      await sql(db.url, `DROP INDEX "Post_title_idx"`);
      await queue(db.url, { kind: 'contract', table: 'Post', object: 'Post_title_idx', statement: 'DROP INDEX "Post_title_idx"', columns: ['title'] });
      const gone = await cli(['contract', '--url', db.url, ...NOFOLDER, '--json']);
      expect(gone.code, gone.stderr).toBe(0);
      expect(JSON.parse(gone.stdout).entries).toMatchObject([{ id: 3, status: 'applied', note: 'already dropped' }]);
    } finally {
      await db.drop();
    }
  });
});
