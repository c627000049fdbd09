/*
 * Why `rewrite` leaves a foreign key on a partitioned table alone, on the server that
 * shows it: PostgreSQL 14 refuses `NOT VALID` on a partitioned table's foreign key ("not
 * yet supported"), so a rewritten file would fail on it — in production, or in Prisma's
 * shadow database. The rewritten history (a CHECK on the same table is rewritten: 14 takes
 * that one NOT VALID) applies on 14 as one simple query per file, as Prisma's native engine
 * runs it, and gives the original's constraints, valid. And a postponed SET NOT NULL on 14,
 * on a plain and a partitioned table: the valid check spares the scan there too (PostgreSQL
 * 12+; each partition is proven by the check it inherits), as the runner hears it say.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initParser, rewriteHistory } from '@prisma-zd/core';
import { createDatabase, startEmbedded, type PgServer } from '../support/postgres.js';
import { installSchema } from '../../packages/cli/src/queue/schema.js';
import { runPostponed } from '../../packages/cli/src/queue/runner.js';

const HISTORY = [
  {
    name: '20260101000000_init',
    sql: `CREATE TABLE "User" ("id" INTEGER PRIMARY KEY);
CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" DATE NOT NULL, "userId" INTEGER, "kind" TEXT) PARTITION BY RANGE ("at");
CREATE TABLE "Event_2026" PARTITION OF "Event" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO "User" VALUES (1);
INSERT INTO "Event" VALUES (1, '2026-05-01', 1, 'a');
`,
  },
  {
    name: '20260102000000_event_keys',
    sql: `-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Event" ADD CONSTRAINT "Event_kind_check" CHECK ("kind" <> '');
`,
  },
];

let server: PgServer;
beforeAll(async () => {
  await initParser();
  server = await startEmbedded({ major: 14 });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

async function withDb<T>(fn: (c: pg.Client, url: string) => Promise<T>): Promise<T> {
  const db = await createDatabase(server, { prefix: 'zd_parted14' });
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return await fn(c, db.url);
  } finally {
    await c.end();
    await db.drop();
  }
}

describe('PostgreSQL 14 and a partitioned table', () => {
  it('refuses a NOT VALID foreign key on it (the premise), takes a NOT VALID CHECK', async () => {
    await withDb(async (c) => {
      await c.query(HISTORY[0]!.sql);
      await expect(c.query(`ALTER TABLE "Event" ADD CONSTRAINT "Event_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") NOT VALID`)).rejects.toThrow(
        /cannot add NOT VALID foreign key on partitioned table "Event"/,
      );
      await c.query(`ALTER TABLE "Event" ADD CONSTRAINT "Event_kind_check" CHECK ("kind" <> '') NOT VALID`);
    });
  });

  it("the rewritten history applies there, unmanaged, with the original's constraints, all valid", async () => {
    const rewritten = rewriteHistory(HISTORY, { select: (n) => n !== HISTORY[0]!.name });
    const last = rewritten.at(-1)!;
    expect(last.changes.map((ch) => ch.object)).toEqual(['"Event_kind_check"']);
    expect(last.notes.map((n) => n.message)).toContain('left alone: "Event" is partitioned (PostgreSQL before 18 cannot add a NOT VALID foreign key to a partitioned table)');
    await withDb(async (c) => {
      for (const m of rewritten) await c.query(m.text);
      const { rows } = await c.query<{ conname: string; convalidated: boolean }>(
        `SELECT conname, convalidated FROM pg_constraint WHERE conrelid = '"Event"'::regclass AND contype IN ('f', 'c') ORDER BY 1`,
      );
      expect(rows).toEqual([
        { conname: 'Event_kind_check', convalidated: true },
        { conname: 'Event_userId_fkey', convalidated: true },
      ]);
    });
  });
});

describe('PostgreSQL 14 and a postponed SET NOT NULL (a plain and a partitioned table)', () => {
  it('the migration adds the check NOT VALID; postponed run validates it and sets NOT NULL without a scan (PostgreSQL says so), dropping the check', async () => {
    const history = [
      {
        name: '20260101000000_init',
        sql: `CREATE TABLE "User" ("id" INTEGER PRIMARY KEY, "name" TEXT);
INSERT INTO "User" SELECT g, 'n' || g FROM generate_series(1, 1000) g;
CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" DATE NOT NULL, "kind" TEXT) PARTITION BY RANGE ("at");
CREATE TABLE "Event_2026" PARTITION OF "Event" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO "Event" SELECT g, DATE '2026-01-01' + g % 300, 'k' FROM generate_series(1, 1000) g;
`,
      },
      { name: '20260102000000_name_required', sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "Event" ALTER COLUMN "kind" SET NOT NULL;\n` },
    ];
    const rewritten = rewriteHistory(history, { select: (n) => n !== history[0]!.name });
    expect(rewritten.at(-1)!.changes.map((ch) => ch.kind)).toEqual(['postpone-not-null', 'postpone-not-null']);
    await withDb(async (c, url) => {
      await installSchema(c);
      for (const m of rewritten) await c.query(m.text);
      // Each table and partition: whether the column is NOT NULL, and its checks.
      const state = async () =>
        (
          await c.query<{ rel: string; notnull: boolean; checks: string[] }>(
            `SELECT a.attrelid::regclass::text AS rel, a.attnotnull AS notnull,
                    ARRAY(SELECT conname || ':' || convalidated FROM pg_constraint WHERE conrelid = a.attrelid AND contype = 'c' AND conname LIKE '%zd%')::text[] AS checks
               FROM pg_attribute a WHERE (a.attrelid, a.attname) IN (('"User"'::regclass, 'name'), ('"Event"'::regclass, 'kind'), ('"Event_2026"'::regclass, 'kind')) ORDER BY 1`,
          )
        ).rows;
      expect(await state()).toEqual([
        { rel: '"Event"', notnull: false, checks: ['Event_kind_zd_not_null:false'] },
        { rel: '"Event_2026"', notnull: false, checks: ['Event_kind_zd_not_null:false'] },
        { rel: '"User"', notnull: false, checks: ['User_name_zd_not_null:false'] },
      ]);
      const logs: string[] = [];
      const run = await runPostponed({ url, migrationsDir: undefined, reporter: { log: (t) => logs.push(t), progress() {}, clearProgress() {} } });
      expect(run.outcomes.map((o) => o.status)).toEqual(['set-not-null', 'set-not-null']);
      expect(logs).toContain('#1 NOT NULL "User"."name": NOT NULL set without a scan (PostgreSQL: the valid check proves it)');
      expect(logs).toContain('#2 NOT NULL "Event"."kind": NOT NULL set without a scan (PostgreSQL: the valid check proves it)');
      expect(await state()).toEqual([
        { rel: '"Event"', notnull: true, checks: [] },
        { rel: '"Event_2026"', notnull: true, checks: [] },
        { rel: '"User"', notnull: true, checks: [] },
      ]);
    });
  });
});
