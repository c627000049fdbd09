/**
 * `prisma-zd verify` against a drift matrix: a small migrations folder (tables, an enum,
 * a serial id and a standalone sequence, a unique, a composite and a partial index, a
 * CHECK, a FK, a view, a trigger function and its trigger) applied as plain SQL to a
 * template database (no `_prisma_migrations`: verify then builds the whole folder).
 * Each case copies the template, makes ONE change by hand and runs the built CLI:
 * drift must exit 1 and name the object; the false positives must exit 0.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZd } from '../support/cli.js';
import { freshDatabase, templateDatabase, testServer } from '../support/db.js';
import { query } from '../prisma/helpers.js';

const INIT = `
CREATE TYPE "Status" AS ENUM ('draft', 'published', 'archived');
CREATE SEQUENCE "invoice_no_seq" INCREMENT BY 1 START 1000;
CREATE TABLE "Author" (
  "id" SERIAL NOT NULL,
  "email" TEXT NOT NULL,
  "name" VARCHAR(100) NOT NULL DEFAULT 'anon',
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "Author_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "Author_email_key" ON "Author"("email");
CREATE TABLE "Post" (
  "id" SERIAL NOT NULL,
  "authorId" INTEGER NOT NULL,
  "title" TEXT NOT NULL,
  "slug" TEXT NOT NULL DEFAULT lower( 'Untitled' ),
  "status" "Status" NOT NULL DEFAULT 'draft',
  "views" INTEGER NOT NULL DEFAULT 0,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "Post_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "Post_views_check" CHECK ("views" >= 0)
);
CREATE INDEX "Post_authorId_status_idx" ON "Post"("authorId", "status");
CREATE INDEX "Post_published_idx" ON "Post"("createdAt") WHERE "status" = 'published';
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`;

const EXTRAS = `
ALTER TABLE "Post" ADD COLUMN "updatedAt" TIMESTAMP(3);
CREATE VIEW "PublishedPost" AS
  SELECT p."id", p."status", a."email" FROM "Post" p JOIN "Author" a ON a."id" = p."authorId" WHERE p."status" = 'published';
CREATE FUNCTION "touch_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."updatedAt" := now();
  RETURN NEW;
END
$$;
CREATE TRIGGER "Post_touch" BEFORE UPDATE ON "Post" FOR EACH ROW EXECUTE FUNCTION "touch_updated"();
CREATE TABLE "Invoice" (
  "no" BIGINT NOT NULL DEFAULT nextval('invoice_no_seq'),
  "postId" INTEGER,
  CONSTRAINT "Invoice_pkey" PRIMARY KEY ("no"),
  CONSTRAINT "Invoice_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id") ON DELETE SET NULL
);
`;

const MIGRATIONS: Array<[string, string]> = [
  ['20260101000000_init', INIT],
  ['20260102000000_extras', EXTRAS],
];

let dir: string;
let migrationsDir: string;
let template: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zd-drift-matrix-'));
  migrationsDir = join(dir, 'migrations');
  for (const [name, sql] of MIGRATIONS) {
    mkdirSync(join(migrationsDir, name), { recursive: true });
    writeFileSync(join(migrationsDir, name, 'migration.sql'), sql);
  }
  writeFileSync(join(migrationsDir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  template = await templateDatabase(async (url) => {
    for (const [, sql] of MIGRATIONS) await query(url, sql);
  }, 'zd_drift_tpl');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface VerifyJson {
  exitCode: number;
  drift: Array<{ source: string; kind: string; object: string; message: string; change?: string; property?: string | null }>;
  invalidIndexes: Array<{ table: string; index: string }>;
  unvalidatedConstraints: Array<{ table: string; constraint: string }>;
}

/** A copy of the template, `statements` run one by one (each its own implicit transaction), then verify --json. */
async function verifyAfter(statements: string[]): Promise<{ code: number | null; json: VerifyJson; raw: string }> {
  const db = await freshDatabase({ template, prefix: 'zd_drift' });
  try {
    for (const s of statements) await query(db.url, s);
    const r = await runZd(['verify', '--url', db.url, '--migrations', migrationsDir, '--json'], { cwd: dir });
    let json: VerifyJson;
    try {
      json = JSON.parse(r.stdout) as VerifyJson;
    } catch {
      throw new Error(`verify printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, json, raw: r.stdout + r.stderr };
  } finally {
    await db.drop();
  }
}

interface DriftCase {
  name: string;
  sql: string[];
  /** [kind, object, a substring of the message] of one drift item verify must report. */
  expect: [string, string, string];
}

const recreate = (drop: string, create: string) => [drop, create];

const DRIFT: DriftCase[] = [
  {
    name: 'column type changed',
    sql: [`ALTER TABLE "Author" ALTER COLUMN "name" TYPE VARCHAR(200)`],
    expect: ['column', '"public"."Author"."name"', 'type differs: character varying(100) vs character varying(200)'],
  },
  {
    name: 'default changed',
    sql: [`ALTER TABLE "Author" ALTER COLUMN "name" SET DEFAULT 'anonymous'`],
    expect: ['column', '"public"."Author"."name"', `default differs: 'anon'::character varying vs 'anonymous'::character varying`],
  },
  {
    name: 'NOT NULL dropped',
    sql: [`ALTER TABLE "Author" ALTER COLUMN "email" DROP NOT NULL`],
    expect: ['column', '"public"."Author"."email"', 'nullability differs: NOT NULL vs NULL'],
  },
  {
    name: 'column added by hand',
    sql: [`ALTER TABLE "Post" ADD COLUMN "hotfix" BOOLEAN`],
    expect: ['column', '"public"."Post"."hotfix"', 'missing in the migrations folder'],
  },
  {
    name: 'table added by hand in a compared schema',
    sql: [`CREATE TABLE "Scratch" ("id" INTEGER)`],
    expect: ['table', '"public"."Scratch"', 'missing in the migrations folder'],
  },
  {
    name: 'index dropped',
    sql: [`DROP INDEX "Post_authorId_status_idx"`],
    expect: ['index', '"public"."Post_authorId_status_idx"', 'missing in the database'],
  },
  {
    name: 'unique index made non-unique',
    sql: recreate(`DROP INDEX "Author_email_key"`, `CREATE INDEX "Author_email_key" ON "Author"("email")`),
    expect: ['index', '"public"."Author_email_key"', 'CREATE INDEX "Author_email_key" ON public."Author" USING btree (email)'],
  },
  {
    name: 'index column order changed',
    sql: recreate(`DROP INDEX "Post_authorId_status_idx"`, `CREATE INDEX "Post_authorId_status_idx" ON "Post"("status", "authorId")`),
    expect: ['index', '"public"."Post_authorId_status_idx"', 'USING btree (status, "authorId")'],
  },
  {
    name: 'partial index predicate changed',
    sql: recreate(`DROP INDEX "Post_published_idx"`, `CREATE INDEX "Post_published_idx" ON "Post"("createdAt") WHERE "status" = 'archived'`),
    expect: ['index', '"public"."Post_published_idx"', `WHERE (status = 'archived'::"Status")`],
  },
  {
    name: 'index INVALID (failed CREATE UNIQUE INDEX CONCURRENTLY)',
    sql: [
      `DROP INDEX "Author_email_key"`,
      `INSERT INTO "Author" ("email") VALUES ('twin@example.com'), ('twin@example.com')`,
      // Then CREATE UNIQUE INDEX CONCURRENTLY fails on the duplicates and leaves it INVALID (in the test body).
    ],
    expect: ['index', '"public"."Author_email_key"', 'the migrations folder valid, the database INVALID'],
  },
  {
    name: 'CHECK constraint dropped',
    sql: [`ALTER TABLE "Post" DROP CONSTRAINT "Post_views_check"`],
    expect: ['constraint', '"Post_views_check" on "public"."Post"', 'missing in the database'],
  },
  {
    name: 'CHECK changed',
    sql: recreate(`ALTER TABLE "Post" DROP CONSTRAINT "Post_views_check"`, `ALTER TABLE "Post" ADD CONSTRAINT "Post_views_check" CHECK ("views" >= 1)`),
    expect: ['constraint', '"Post_views_check" on "public"."Post"', 'definition differs: CHECK ((views >= 0)) vs CHECK ((views >= 1))'],
  },
  {
    name: 'FK ON DELETE changed',
    sql: recreate(
      `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey"`,
      `ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author"("id") ON DELETE RESTRICT ON UPDATE CASCADE`,
    ),
    expect: ['constraint', '"Post_authorId_fkey" on "public"."Post"', 'ON DELETE RESTRICT'],
  },
  {
    name: 'FK NOT VALID',
    sql: recreate(
      `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey"`,
      `ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author"("id") ON DELETE CASCADE ON UPDATE CASCADE NOT VALID`,
    ),
    expect: ['constraint', '"Post_authorId_fkey" on "public"."Post"', 'the migrations folder validated, the database NOT VALID'],
  },
  {
    name: 'enum value added',
    sql: [`ALTER TYPE "Status" ADD VALUE 'hidden'`],
    expect: ['enum', '"public"."Status"', 'values differ: [draft, published, archived] vs [draft, published, archived, hidden]'],
  },
  {
    name: 'enum values reordered (by renames)',
    sql: [
      `ALTER TYPE "Status" RENAME VALUE 'draft' TO 'tmp'`,
      `ALTER TYPE "Status" RENAME VALUE 'archived' TO 'draft'`,
      `ALTER TYPE "Status" RENAME VALUE 'tmp' TO 'archived'`,
    ],
    expect: ['enum', '"public"."Status"', 'value order differs: [draft, published, archived] vs [archived, published, draft]'],
  },
  {
    name: 'sequence increment changed',
    sql: [`ALTER SEQUENCE "invoice_no_seq" INCREMENT BY 10`],
    expect: ['sequence', '"public"."invoice_no_seq"', 'increment differs: 1 vs 10'],
  },
  {
    name: 'view definition changed',
    sql: [
      `CREATE OR REPLACE VIEW "PublishedPost" AS SELECT p."id", p."status", a."email" FROM "Post" p JOIN "Author" a ON a."id" = p."authorId" WHERE p."status" = 'archived'`,
    ],
    expect: ['view', '"public"."PublishedPost"', 'definition differs'],
  },
  {
    name: 'function body changed',
    sql: [`CREATE OR REPLACE FUNCTION "touch_updated"() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  NEW."updatedAt" := clock_timestamp();\n  RETURN NEW;\nEND\n$$`],
    expect: ['function', '"public"."touch_updated"()', 'clock_timestamp()'],
  },
  {
    name: 'trigger disabled',
    sql: [`ALTER TABLE "Post" DISABLE TRIGGER "Post_touch"`],
    expect: ['trigger', '"Post_touch" on "public"."Post"', 'enabled differs: origin (default) vs disabled'],
  },
  {
    name: 'trigger dropped',
    sql: [`DROP TRIGGER "Post_touch" ON "Post"`],
    expect: ['trigger', '"Post_touch" on "public"."Post"', 'missing in the database'],
  },
  {
    // PostgreSQL 18: NOT NULL is a constraint that can be NOT VALID.
    name: 'NOT NULL made NOT VALID (PostgreSQL 18+)',
    sql: [
      `ALTER TABLE "Author" ALTER COLUMN "email" DROP NOT NULL`,
      `ALTER TABLE "Author" ADD CONSTRAINT "Author_email_not_null" NOT NULL "email" NOT VALID`,
    ],
    expect: ['column', '"public"."Author"."email"', 'the migrations folder NOT NULL validated, the database NOT NULL NOT VALID'],
  },
  {
    name: 'column collation changed',
    sql: [`ALTER TABLE "Post" ALTER COLUMN "title" TYPE TEXT COLLATE "C"`],
    expect: ['column', '"public"."Post"."title"', 'collation differs: default vs pg_catalog."C"'],
  },
  {
    // The fingerprint covers comments; the folder can set them (COMMENT ON is DDL a
    // migration may hold), so a hand-made one is a difference from what it produces.
    name: 'comment on a column',
    sql: [`COMMENT ON COLUMN "Post"."title" IS 'set by hand'`],
    expect: ['column', '"public"."Post"."title"', 'comment differs: none vs set by hand'],
  },
];

const invalidCase = DRIFT.find((c) => c.name.startsWith('index INVALID'))!;

interface CleanCase {
  name: string;
  sql: string[];
}

const CLEAN: CleanCase[] = [
  {
    name: 'the same index rebuilt CONCURRENTLY',
    sql: recreate(`DROP INDEX CONCURRENTLY "Post_authorId_status_idx"`, `CREATE INDEX CONCURRENTLY "Post_authorId_status_idx" ON "Post"("authorId", "status")`),
  },
  {
    name: 'statistics: ANALYZE, VACUUM',
    sql: [`INSERT INTO "Author" ("email") SELECT 'a' || g || '@example.com' FROM generate_series(1, 200) g`, `ANALYZE`, `VACUUM "Author"`],
  },
  {
    name: 'dead rows',
    sql: [
      `INSERT INTO "Author" ("email") SELECT 'd' || g || '@example.com' FROM generate_series(1, 100) g`,
      `UPDATE "Author" SET "name" = 'x'`,
      `DELETE FROM "Author" WHERE "id" % 2 = 0`,
    ],
  },
  {
    name: 'a default set again with different spacing',
    sql: [`ALTER TABLE "Post" ALTER COLUMN "slug" SET DEFAULT lower('Untitled')`, `ALTER TABLE "Author" ALTER COLUMN "name" SET DEFAULT   'anon'`],
  },
  {
    name: "sequences' current values",
    sql: [
      `SELECT setval('invoice_no_seq', 5000)`,
      `INSERT INTO "Author" ("email") VALUES ('s1@example.com'), ('s2@example.com')`,
      `SELECT setval('"Author_id_seq"', 900)`,
    ],
  },
  {
    // verify compares the Prisma schema (public) and the schemas the folder creates; a
    // schema the folder never touches is not the app's (like Prisma's datasource schemas).
    name: 'a table in another schema the migrations do not manage',
    sql: [`CREATE SCHEMA "audit"`, `CREATE TABLE "audit"."log" ("id" SERIAL PRIMARY KEY, "at" TIMESTAMPTZ DEFAULT now())`],
  },
];

describe('prisma-zd verify: drift matrix', () => {
  it('the untouched deploy is what the folder produces (exit 0)', async () => {
    const r = await verifyAfter([]);
    expect(r.code, r.raw).toBe(0);
    expect(r.json.drift).toEqual([]);
  });

  // Before PostgreSQL 18 a NOT NULL cannot be NOT VALID: that case exists on 18+ only (README, "Tests").
  const cases = DRIFT.filter((c) => !c.name.includes('PostgreSQL 18+') || testServer().major >= 18);
  it.concurrent.each(cases)('drift: $name → exit 1, named', async (c) => {
    const db = await freshDatabase({ template, prefix: 'zd_drift' });
    try {
      for (const s of c.sql) await query(db.url, s);
      if (c === invalidCase) {
        await expect(query(db.url, `CREATE UNIQUE INDEX CONCURRENTLY "Author_email_key" ON "Author"("email")`)).rejects.toThrow(/could not create unique index/);
      }
      const r = await runZd(['verify', '--url', db.url, '--migrations', migrationsDir, '--json'], { cwd: dir });
      const json = JSON.parse(r.stdout) as VerifyJson;
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(json.exitCode).toBe(1);
      const [kind, object, text] = c.expect;
      const hit = json.drift.find((d) => d.source === 'schema' && d.kind === kind && d.object === object);
      expect(hit, JSON.stringify(json.drift, null, 2)).toBeDefined();
      expect(hit!.message).toContain(text);
      if (c === invalidCase) expect(json.invalidIndexes.map((i) => i.index)).toEqual(['Author_email_key']);
      if (c.name === 'FK NOT VALID') expect(json.unvalidatedConstraints.map((k) => k.constraint)).toEqual(['Post_authorId_fkey']);
    } finally {
      await db.drop();
    }
  });

  it.concurrent.each(CLEAN)('not drift: $name → exit 0', async (c) => {
    const r = await verifyAfter(c.sql);
    expect(r.code, r.raw).toBe(0);
    expect(r.json.drift).toEqual([]);
  });
});
