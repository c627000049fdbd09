/*
 * What prisma-zd says about locks and rewrites, checked against PostgreSQL itself.
 *
 * Each case is the migration `prisma migrate dev` writes for a schema change (or the raw
 * SQL users add), after the CREATE TABLE migrations, on tables with rows. Every
 * statement runs in its own transaction on PostgreSQL 18 (the test server) and 14 (the
 * default target): pg_locks gives the strongest lock the backend holds on each table,
 * pg_class.relfilenode whether the table was rewritten, and
 * pg_stat_get_xact_blocks_fetched (of the table and its indexes) whether it was read at
 * all: a scan, a validation, an index build (the scan counters miss some index builds,
 * and a foreign key check may read the referenced table through its index only). Then:
 *
 * - the lock model (`statementLocks`, what `deploy` shows) must name the same mode on
 *   each table, and a rewrite or a read where PostgreSQL did one;
 * - `check` must report the case's rules (no more, no fewer), each finding's lock must be
 *   the one measured on the table it names, its "rewrites" / "scans" claims must match,
 *   and a statement that holds a write-blocking lock while reading or rewriting a table
 *   must have a finding about that table;
 * - where `rewrite` fixes a finding, the rewritten file must read and rewrite nothing on
 *   a managed database (the lock model still matching), and take the original's locks on
 *   an unmanaged one.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSql, type Diagnostic } from '../../packages/core/src/check/check.js';
import { EXAMPLE_SCHEMA } from '../../packages/core/src/check/examples.js';
import { replay } from '../../packages/core/src/facts/replay.js';
import { lockRank, statementLocks, type LockCost, type LockMode } from '../../packages/core/src/locks/locks.js';
import { initParser, parseSql, type Statement } from '../../packages/core/src/sql/parse.js';
import { rewriteHistory } from '../../packages/core/src/zd/rewrite.js';
import { unmanagedView } from '../../packages/core/src/zd/view.js';
import { testServer } from '../support/db.js';
import { setUp } from '../support/managed.js';
import { createDatabase, createTemplate, startEmbedded, withAdmin, type PgServer } from '../support/postgres.js';

await initParser();

/** The second CREATE TABLE migration: a table with a foreign key, decimals and a timestamp. */
const COMMENTS = `-- CreateTable
CREATE TABLE "Comment" (
    "id" SERIAL NOT NULL,
    "postId" TEXT NOT NULL,
    "body" TEXT,
    "score" DECIMAL(10,2) NOT NULL DEFAULT 0,
    "amount" DECIMAL(65,30),
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Comment_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`;

const ROWS = `
INSERT INTO "User" ("email", "name") SELECT 'u' || i || '@example.com', 'name ' || i FROM generate_series(1, 10000) i;
INSERT INTO "Post" ("id", "title", "content", "authorId") SELECT 'p' || i, 'title ' || i, 'content', i FROM generate_series(1, 10000) i;
INSERT INTO "Comment" ("postId", "body", "amount") SELECT 'p' || i, 'body', i FROM generate_series(1, 10000) i;
ANALYZE;
`;

const HISTORY = [EXAMPLE_SCHEMA, COMMENTS];

interface Case {
  /** The schema change, as a Prisma user makes it. */
  change: string;
  /** The migration Prisma Migrate writes for it (or the raw SQL users write). */
  sql: string;
  /** An earlier migration this one builds on (applied, and part of the history). */
  before?: string;
  /** PostgreSQL's strongest lock on each table (write-blocking ones, and ROW EXCLUSIVE), with `rewrite` or `read`. */
  measured: string;
  /** The rules `check` reports, in the order of their findings. */
  rules: string[];
  /** With rows the statement fails with this message: measured on empty tables. */
  fails?: string;
  /** CONCURRENTLY: measured from another session while it waits for a transaction. */
  concurrently?: boolean;
  /** The session's TimeZone while it runs. */
  timeZone?: string;
}

const CASES: Case[] = [
  // Fields
  { change: 'add an optional field', sql: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;', measured: 'User ACCESS EXCLUSIVE', rules: [] },
  {
    change: 'add a required field without @default',
    sql: 'ALTER TABLE "User" ADD COLUMN "age" INTEGER NOT NULL;',
    fails: 'column "age" of relation "User" contains null values',
    measured: 'User ACCESS EXCLUSIVE',
    rules: ['adding-required-field'],
  },
  {
    change: 'add a required field with @default(uuid()) (filled in by Prisma Client)',
    sql: 'ALTER TABLE "User" ADD COLUMN "publicId" TEXT NOT NULL;',
    fails: 'column "publicId" of relation "User" contains null values',
    measured: 'User ACCESS EXCLUSIVE',
    rules: ['adding-required-field'],
  },
  { change: 'add a required field with @default(0)', sql: 'ALTER TABLE "User" ADD COLUMN "score" INTEGER NOT NULL DEFAULT 0;', measured: 'User ACCESS EXCLUSIVE', rules: [] },
  {
    change: 'add a field with @default(now())',
    sql: 'ALTER TABLE "User" ADD COLUMN "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;',
    measured: 'User ACCESS EXCLUSIVE',
    rules: [],
  },
  { change: 'add an enum field with @default', sql: `ALTER TABLE "Post" ADD COLUMN "audience" "Role" NOT NULL DEFAULT 'USER';`, measured: 'Post ACCESS EXCLUSIVE', rules: [] },
  {
    change: 'add a field with @default(dbgenerated("gen_random_uuid()")) @db.Uuid',
    sql: 'ALTER TABLE "User" ADD COLUMN "uuid" UUID NOT NULL DEFAULT gen_random_uuid();',
    measured: 'User ACCESS EXCLUSIVE rewrite',
    rules: ['adding-field-with-default'],
  },
  {
    change: 'add a field with @default(autoincrement())',
    sql: 'ALTER TABLE "Post" ADD COLUMN "number" SERIAL NOT NULL;',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['adding-field-with-default'],
  },
  { change: 'add @default to a field', sql: `ALTER TABLE "User" ALTER COLUMN "name" SET DEFAULT '';`, measured: 'User ACCESS EXCLUSIVE', rules: [] },
  { change: 'remove @default from a field', sql: 'ALTER TABLE "Post" ALTER COLUMN "views" DROP DEFAULT;', measured: 'Post ACCESS EXCLUSIVE', rules: ['dropping-column-default'] },
  {
    change: 'remove @default(autoincrement())',
    sql: 'ALTER TABLE "User" ALTER COLUMN "id" DROP DEFAULT;\nDROP SEQUENCE "User_id_seq";',
    measured: 'User ACCESS EXCLUSIVE',
    rules: ['dropping-column-default', 'migration-not-rewritten'],
  },
  { change: 'remove a field', sql: 'ALTER TABLE "User" DROP COLUMN "name";', measured: 'User ACCESS EXCLUSIVE', rules: ['ban-drop-column'] },
  {
    change: "change a field's @map (Prisma drops and adds the column)",
    sql: 'ALTER TABLE "User" DROP COLUMN "name",\nADD COLUMN     "full_name" TEXT;',
    measured: 'User ACCESS EXCLUSIVE',
    rules: ['ban-drop-column'],
  },
  { change: 'rename a column (raw SQL)', sql: 'ALTER TABLE "User" RENAME COLUMN "name" TO "fullName";', measured: 'User ACCESS EXCLUSIVE', rules: ['renaming-column'] },
  { change: 'make a field required', sql: 'ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;', measured: 'User ACCESS EXCLUSIVE read', rules: ['adding-not-nullable-field'] },
  {
    change: 'make a field required once a CHECK (… IS NOT NULL) is validated',
    before: 'ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL);',
    sql: 'ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;',
    measured: 'User ACCESS EXCLUSIVE',
    rules: [],
  },
  {
    change: 'make a field required while its CHECK is NOT VALID',
    before: 'ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;',
    sql: 'ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;',
    measured: 'User ACCESS EXCLUSIVE read',
    rules: ['adding-not-nullable-field'],
  },
  { change: 'make a field optional', sql: 'ALTER TABLE "User" ALTER COLUMN "email" DROP NOT NULL;', measured: 'User ACCESS EXCLUSIVE', rules: [] },

  // Types
  {
    change: 'String to @db.VarChar(500)',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "content" SET DATA TYPE VARCHAR(500);',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  { change: '@db.VarChar(191) to @db.VarChar(255)', sql: 'ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE VARCHAR(255);', measured: 'Post ACCESS EXCLUSIVE', rules: [] },
  {
    change: '@db.VarChar(191) to @db.VarChar(255), indexed',
    before: 'CREATE INDEX "Post_title_idx" ON "Post"("title");',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE VARCHAR(255);',
    measured: 'Post ACCESS EXCLUSIVE',
    rules: [],
  },
  {
    change: '@db.VarChar(191) to @db.VarChar(100)',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE VARCHAR(100);',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  { change: '@db.VarChar(191) to String', sql: 'ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE TEXT;', measured: 'Post ACCESS EXCLUSIVE', rules: [] },
  { change: 'Int to BigInt', sql: 'ALTER TABLE "Post" ALTER COLUMN "views" SET DATA TYPE BIGINT;', measured: 'Post ACCESS EXCLUSIVE rewrite', rules: ['changing-column-type'] },
  { change: 'Int to String', sql: 'ALTER TABLE "Post" ALTER COLUMN "views" SET DATA TYPE TEXT;', measured: 'Post ACCESS EXCLUSIVE rewrite', rules: ['changing-column-type'] },
  {
    change: 'Int @id to BigInt, with the relation field (Prisma changes both)',
    before: 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    sql: '-- AlterTable\nALTER TABLE "Post" ALTER COLUMN "authorId" SET DATA TYPE BIGINT;\n\n-- AlterTable\nALTER TABLE "User" ALTER COLUMN "id" SET DATA TYPE BIGINT;',
    measured: 'Post ACCESS EXCLUSIVE rewrite, User ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type', 'changing-column-type'],
  },
  {
    change: 'a referenced key to @db.VarChar(100), its relation field left alone (raw SQL)',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "id" SET DATA TYPE VARCHAR(100);',
    measured: 'Comment ACCESS EXCLUSIVE read, Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  { change: 'Decimal(10,2) to Decimal(12,2)', sql: 'ALTER TABLE "Comment" ALTER COLUMN "score" SET DATA TYPE DECIMAL(12,2);', measured: 'Comment ACCESS EXCLUSIVE', rules: [] },
  {
    change: 'Decimal(10,2) to Decimal(8,2)',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "score" SET DATA TYPE DECIMAL(8,2);',
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'Decimal(10,2) to Decimal(12,4)',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "score" SET DATA TYPE DECIMAL(12,4);',
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'Decimal to Decimal(10,2)',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "amount" SET DATA TYPE DECIMAL(10,2);',
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'Boolean to Int (Prisma drops and adds the column)',
    sql: 'ALTER TABLE "Post" DROP COLUMN "published",\nADD COLUMN     "published" INTEGER NOT NULL DEFAULT 0;',
    measured: 'Post ACCESS EXCLUSIVE',
    rules: ['recreating-column'],
  },
  {
    change: 'Boolean to Int, edited to convert in place',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "published" DROP DEFAULT,\nALTER COLUMN "published" SET DATA TYPE INTEGER USING ("published"::integer),\nALTER COLUMN "published" SET DEFAULT 0;',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'String to String, edited with a USING expression',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "content" SET DATA TYPE TEXT USING lower("content");',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'DateTime to @db.Timestamptz(3) (Prisma converts AT TIME ZONE)',
    sql: `ALTER TABLE "Comment" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3) USING "at" AT TIME ZONE 'UTC';`,
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'DateTime to @db.Timestamptz(3), without USING, in a UTC session',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3);',
    timeZone: 'UTC',
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'DateTime to @db.Timestamptz(6) in a UTC session',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(6);',
    timeZone: 'UTC',
    measured: 'Comment ACCESS EXCLUSIVE',
    rules: ['changing-column-type'],
  },
  {
    change: 'DateTime to @db.Timestamptz(6) in a session outside UTC',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(6);',
    timeZone: 'Europe/Berlin',
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  { change: '@db.Timestamp(3) to @db.Timestamp(6)', sql: 'ALTER TABLE "Comment" ALTER COLUMN "at" SET DATA TYPE TIMESTAMP(6);', measured: 'Comment ACCESS EXCLUSIVE', rules: [] },
  {
    change: '@db.Timestamp(3) to @db.Timestamp(1)',
    sql: 'ALTER TABLE "Comment" ALTER COLUMN "at" SET DATA TYPE TIMESTAMP(1);',
    measured: 'Comment ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'String[] @db.VarChar(10) to @db.VarChar(20)',
    before: 'ALTER TABLE "Post" ADD COLUMN "tags" VARCHAR(10)[];',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "tags" SET DATA TYPE VARCHAR(20)[];',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'String[] to @db.VarChar[]',
    before: 'ALTER TABLE "Post" ADD COLUMN "tags" TEXT[];',
    sql: 'ALTER TABLE "Post" ALTER COLUMN "tags" SET DATA TYPE VARCHAR[];',
    measured: 'Post ACCESS EXCLUSIVE rewrite',
    rules: ['changing-column-type'],
  },
  {
    change: 'an indexed String to @db.Citext',
    before: 'CREATE EXTENSION IF NOT EXISTS "citext";',
    sql: 'ALTER TABLE "User" ALTER COLUMN "email" SET DATA TYPE CITEXT;',
    measured: 'User ACCESS EXCLUSIVE read',
    rules: ['changing-column-type'],
  },
  {
    change: 'a String without index to @db.Citext',
    before: 'CREATE EXTENSION IF NOT EXISTS "citext";',
    sql: 'ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE CITEXT;',
    measured: 'User ACCESS EXCLUSIVE',
    rules: [],
  },

  // Enums
  { change: 'add a value to an enum', sql: `ALTER TYPE "Role" ADD VALUE 'MODERATOR';`, measured: '', rules: [] },
  {
    change: "remove a value from an enum (Prisma's type swap)",
    sql: `-- AlterEnum
BEGIN;
CREATE TYPE "Role_new" AS ENUM ('USER');
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
COMMIT;`,
    measured: 'User ACCESS EXCLUSIVE rewrite',
    rules: ['removing-enum-value'],
  },
  { change: 'rename an enum value (raw SQL)', sql: `ALTER TYPE "Role" RENAME VALUE 'ADMIN' TO 'OWNER';`, measured: '', rules: ['renaming-enum-value'] },

  // Indexes and constraints
  { change: 'add @unique', sql: 'CREATE UNIQUE INDEX "User_name_key" ON "User"("name");', measured: 'User SHARE read', rules: ['require-concurrent-index-creation'] },
  { change: 'remove @unique', sql: 'DROP INDEX "User_email_key";', measured: 'User ACCESS EXCLUSIVE', rules: ['dropping-unique-index', 'require-concurrent-index-deletion'] },
  { change: 'add @@index', sql: 'CREATE INDEX "Post_title_idx" ON "Post"("title");', measured: 'Post SHARE read', rules: ['require-concurrent-index-creation'] },
  { change: 'remove @@index', sql: 'DROP INDEX "Post_authorId_idx";', measured: 'Post ACCESS EXCLUSIVE', rules: ['require-concurrent-index-deletion'] },
  {
    change: "rename an index (@@index's map)",
    sql: 'ALTER INDEX "Post_authorId_idx" RENAME TO "Post_author_idx";',
    measured: 'index Post_authorId_idx SHARE UPDATE EXCLUSIVE',
    rules: [],
  },
  {
    change: '@@index built CONCURRENTLY, alone in its migration',
    sql: 'CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");',
    concurrently: true,
    measured: 'Post SHARE UPDATE EXCLUSIVE',
    rules: [],
  },
  {
    change: '@@index dropped CONCURRENTLY, alone in its migration',
    sql: 'DROP INDEX CONCURRENTLY "Post_authorId_idx";',
    concurrently: true,
    measured: 'Post SHARE UPDATE EXCLUSIVE',
    rules: [],
  },
  {
    change: 'add a relation',
    sql: 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    measured: 'Post SHARE ROW EXCLUSIVE read, User SHARE ROW EXCLUSIVE read',
    rules: ['constraint-missing-not-valid'],
  },
  {
    change: 'add a relation with a new optional field',
    sql: '-- AlterTable\nALTER TABLE "Post" ADD COLUMN "editorId" INTEGER;\n\n-- AddForeignKey\nALTER TABLE "Post" ADD CONSTRAINT "Post_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;',
    measured: 'Post ACCESS EXCLUSIVE read, User SHARE ROW EXCLUSIVE',
    rules: ['constraint-missing-not-valid'],
  },
  {
    change: 'validate a relation added NOT VALID',
    before: 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID;',
    sql: 'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";',
    measured: 'Post SHARE UPDATE EXCLUSIVE read',
    rules: [],
  },
  {
    change: 'remove a relation',
    sql: 'ALTER TABLE "Comment" DROP CONSTRAINT "Comment_postId_fkey";',
    measured: 'Comment ACCESS EXCLUSIVE, Post ACCESS EXCLUSIVE',
    rules: [],
  },
  {
    change: 'change the @@id',
    sql: 'ALTER TABLE "User" DROP CONSTRAINT "User_pkey",\nADD CONSTRAINT "User_pkey" PRIMARY KEY ("id", "email");',
    measured: 'User ACCESS EXCLUSIVE read',
    rules: ['dropping-unique-index', 'disallowed-unique-constraint'],
  },
  {
    change: 'add a UNIQUE constraint (raw SQL)',
    sql: 'ALTER TABLE "User" ADD CONSTRAINT "User_name_key" UNIQUE ("name");',
    measured: 'User ACCESS EXCLUSIVE read',
    rules: ['disallowed-unique-constraint'],
  },
  {
    change: 'add a UNIQUE constraint USING an index built before',
    before: 'CREATE UNIQUE INDEX "User_name_key" ON "User"("name");',
    sql: 'ALTER TABLE "User" ADD CONSTRAINT "User_name_key" UNIQUE USING INDEX "User_name_key";',
    measured: 'User ACCESS EXCLUSIVE',
    rules: [],
  },
  {
    change: 'add an EXCLUDE constraint (raw SQL)',
    sql: 'ALTER TABLE "User" ADD CONSTRAINT "User_email_excl" EXCLUDE USING btree ("email" WITH =);',
    measured: 'User ACCESS EXCLUSIVE read',
    rules: ['adding-exclusion-constraint'],
  },
  {
    change: 'add a CHECK constraint (raw SQL)',
    sql: 'ALTER TABLE "Post" ADD CONSTRAINT "Post_views_check" CHECK ("views" >= 0);',
    measured: 'Post ACCESS EXCLUSIVE read',
    rules: ['constraint-missing-not-valid'],
  },
  { change: 'add a CHECK constraint NOT VALID', sql: 'ALTER TABLE "Post" ADD CONSTRAINT "Post_views_check" CHECK ("views" >= 0) NOT VALID;', measured: 'Post ACCESS EXCLUSIVE', rules: [] },
  {
    change: 'validate a CHECK constraint',
    before: 'ALTER TABLE "Post" ADD CONSTRAINT "Post_views_check" CHECK ("views" >= 0) NOT VALID;',
    sql: 'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_views_check";',
    measured: 'Post SHARE UPDATE EXCLUSIVE read',
    rules: [],
  },

  // Models
  {
    change: 'add a model',
    sql: '-- CreateTable\nCREATE TABLE "Tag" (\n    "id" SERIAL NOT NULL,\n    "name" TEXT NOT NULL,\n\n    CONSTRAINT "Tag_pkey" PRIMARY KEY ("id")\n);\n\n-- CreateIndex\nCREATE UNIQUE INDEX "Tag_name_key" ON "Tag"("name");',
    measured: '',
    rules: [],
  },
  {
    change: 'add a model with a relation',
    sql: '-- CreateTable\nCREATE TABLE "Like" (\n    "id" SERIAL NOT NULL,\n    "postId" TEXT NOT NULL,\n\n    CONSTRAINT "Like_pkey" PRIMARY KEY ("id")\n);\n\n-- AddForeignKey\nALTER TABLE "Like" ADD CONSTRAINT "Like_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    measured: 'Post SHARE ROW EXCLUSIVE',
    rules: [],
  },
  {
    change: 'remove a model with a relation (Prisma drops the key first)',
    sql: '-- DropForeignKey\nALTER TABLE "Comment" DROP CONSTRAINT "Comment_postId_fkey";\n\n-- DropTable\nDROP TABLE "Comment";',
    measured: 'Comment ACCESS EXCLUSIVE, Post ACCESS EXCLUSIVE',
    rules: ['ban-drop-table'],
  },
  { change: 'remove a model (DROP TABLE)', sql: 'DROP TABLE "Comment";', measured: 'Comment ACCESS EXCLUSIVE, Post ACCESS EXCLUSIVE', rules: ['ban-drop-table'] },
  { change: "rename a model's table (raw SQL)", sql: 'ALTER TABLE "Post" RENAME TO "Article";', measured: 'Post ACCESS EXCLUSIVE', rules: ['renaming-table'] },

  // Data and maintenance
  { change: 'empty a table', sql: 'TRUNCATE TABLE "Comment";', measured: 'Comment ACCESS EXCLUSIVE', rules: ['ban-truncate'] },
  {
    change: 'backfill a new field',
    sql: 'ALTER TABLE "Post" ADD COLUMN "slug" TEXT;\nUPDATE "Post" SET "slug" = "id";',
    measured: 'Post ACCESS EXCLUSIVE read',
    rules: ['unbatched-backfill'],
  },
  { change: 'LOCK TABLE (raw SQL)', sql: 'LOCK TABLE "Post" IN SHARE MODE;', measured: 'Post SHARE', rules: ['ban-lock-table'] },
  { change: 'REINDEX (raw SQL)', sql: 'REINDEX INDEX "Post_authorId_idx";', measured: 'Post SHARE read', rules: ['blocking-maintenance'] },
  { change: 'CLUSTER (raw SQL)', sql: 'CLUSTER "Post" USING "Post_pkey";', measured: 'Post ACCESS EXCLUSIVE rewrite', rules: ['blocking-maintenance'] },
];

// ---------------------------------------------------------------------------------------
// Measuring

type Effect = 'rewrite' | 'read';

interface Held {
  readonly mode: LockMode;
  /** Tables only. */
  readonly effect?: Effect;
  readonly index: boolean;
  /** Not measured (a CONCURRENTLY statement, read while it waits). */
  readonly effectUnknown?: boolean;
}

/** What one statement did, by relation name (the tables and indexes of `public` before it ran). */
type Measurement = Map<string, Held>;

/** What each statement of a file did (none for BEGIN/COMMIT), and the relations there were before the file. */
interface Run {
  readonly statements: Array<Measurement | undefined>;
  readonly existing: ReadonlySet<string>;
}

const PG_MODES: Record<string, LockMode> = {
  AccessShareLock: 'ACCESS SHARE',
  RowShareLock: 'ROW SHARE',
  RowExclusiveLock: 'ROW EXCLUSIVE',
  ShareUpdateExclusiveLock: 'SHARE UPDATE EXCLUSIVE',
  ShareLock: 'SHARE',
  ShareRowExclusiveLock: 'SHARE ROW EXCLUSIVE',
  ExclusiveLock: 'EXCLUSIVE',
  AccessExclusiveLock: 'ACCESS EXCLUSIVE',
};

const RELATIONS = `SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, c.relfilenode::int AS file, c.relpages AS pages,
                          pg_stat_get_xact_blocks_fetched(c.oid)::int AS blocks, i.indrelid::int AS table
                     FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
                    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'i')`;

interface Relation {
  oid: number;
  name: string;
  kind: string;
  file: number;
  blocks: number;
  /** Size in pages at the last ANALYZE. */
  pages: number;
  /** An index's table. */
  table: number | null;
}

function stronger(a: LockMode | undefined, b: LockMode): LockMode {
  return a === undefined || lockRank(b) > lockRank(a) ? b : a;
}

/** The measurement from the relations before and after and the backend's locks. */
function measurement(before: Relation[], after: Relation[], locks: Array<{ relation: number; mode: string }>, effectUnknown = false): Measurement {
  const now = new Map(after.map((r) => [r.oid, r]));
  const modes = new Map<number, LockMode>();
  for (const l of locks) modes.set(l.relation, stronger(modes.get(l.relation), PG_MODES[l.mode]!));
  // Blocks read of each table, its indexes included.
  const reads = new Map<number, number>();
  for (const r of before) {
    const read = (now.get(r.oid)?.blocks ?? r.blocks) - r.blocks;
    const table = r.kind === 'i' ? r.table! : r.oid;
    reads.set(table, (reads.get(table) ?? 0) + read);
  }
  const out: Measurement = new Map();
  for (const r of before) {
    const mode = modes.get(r.oid);
    if (!mode) continue;
    const next = now.get(r.oid);
    // At least as many blocks as the table has (planning alone peeks at a few index and
    // heap pages); a table without pages (new, or emptied) has nothing to read.
    const read = next !== undefined && r.pages > 0 && (reads.get(r.oid) ?? 0) >= r.pages;
    // A TRUNCATE gives a table a new, empty file without reading it: not a rewrite.
    const effect: Effect | undefined = r.kind === 'i' || !read ? undefined : next.file !== r.file ? 'rewrite' : 'read';
    out.set(r.name, { mode, index: r.kind === 'i', ...(effect ? { effect } : {}), ...(effectUnknown ? { effectUnknown } : {}) });
  }
  return out;
}

/** Runs `sql` in a transaction of its own and reads what it did; commits or rolls back. */
async function measure(c: pg.Client, sql: string, opts: { commit: boolean; timeZone?: string }): Promise<Measurement> {
  await c.query('BEGIN');
  try {
    if (opts.timeZone) await c.query(`SELECT set_config('TimeZone', $1, true)`, [opts.timeZone]);
    const before = (await c.query<Relation>(RELATIONS)).rows;
    await c.query(sql);
    const { rows: locks } = await c.query<{ relation: number; mode: string }>(
      `SELECT relation::int AS relation, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted`,
    );
    const after = (await c.query<Relation>(RELATIONS)).rows;
    return measurement(before, after, locks);
  } finally {
    await c.query(opts.commit ? 'COMMIT' : 'ROLLBACK');
  }
}

/**
 * A CONCURRENTLY statement cannot run in a transaction: it runs on its own session
 * while another one holds ROW EXCLUSIVE on "Post", and its locks are read while it
 * waits for that transaction (the build has not started; the locks are the ones it
 * keeps to the end).
 */
async function measureConcurrently(url: string, sql: string): Promise<Measurement> {
  const [watcher, blocker, runner] = [url, url, url].map((u) => new pg.Client({ connectionString: u }));
  await Promise.all([watcher!.connect(), blocker!.connect(), runner!.connect()]);
  try {
    const before = (await watcher!.query<Relation>(RELATIONS)).rows;
    await blocker!.query('BEGIN');
    await blocker!.query('LOCK TABLE "Post" IN ROW EXCLUSIVE MODE');
    const pid = (await runner!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const done = runner!.query(sql);
    let locks: Array<{ relation: number; mode: string }> = [];
    for (let i = 0; i < 500; i++) {
      const { rows } = await watcher!.query<{ relation: number | null; mode: string; granted: boolean }>(
        `SELECT relation::int AS relation, mode, granted FROM pg_locks WHERE pid = $1`,
        [pid],
      );
      if (rows.some((r) => !r.granted)) {
        locks = rows.filter((r) => r.granted && r.relation !== null) as Array<{ relation: number; mode: string }>;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await blocker!.query('COMMIT');
    await done;
    expect(locks, `${sql} never waited`).not.toEqual([]);
    return measurement(before, before, locks, true);
  } finally {
    await Promise.all([watcher!.end(), blocker!.end(), runner!.end()]);
  }
}

/** A server with the base schema and rows, and copies of it for cases that commit. */
class Lab {
  private template = '';
  private shared!: pg.Client;
  private readonly copies: string[] = [];

  constructor(readonly server: { major: number; url(db?: string): string }) {}

  async start(): Promise<void> {
    this.template = await createTemplate(
      this.server,
      async (url) => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          for (const sql of [...HISTORY, ROWS]) await c.query(sql);
        } finally {
          await c.end();
        }
      },
      'zd_locks_tpl',
    );
    this.shared = await this.connect(await this.copy());
  }

  async stop(): Promise<void> {
    await this.shared?.end();
    await withAdmin(this.server, async (c) => {
      for (const name of [...this.copies, this.template]) if (name) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  }

  /** A new copy of the base database; returns its URL. */
  async copy(): Promise<string> {
    const db = await createDatabase(this.server, { template: this.template, prefix: 'zd_locks' });
    this.copies.push(db.name);
    return db.url;
  }

  async connect(url: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }

  /**
   * Each statement of `sql` measured in a transaction of its own (BEGIN/COMMIT of the
   * file are the measurement's). A one-statement file runs on the shared database and is
   * rolled back; anything else on a copy (or the database `url`), after `setup`.
   */
  async run(sql: string, opts: { setup?: string[]; timeZone?: string; concurrently?: boolean; url?: string } = {}): Promise<Run> {
    const statements = parseSql(sql).statements;
    const setup = opts.setup ?? [];
    const zone = opts.timeZone ? { timeZone: opts.timeZone } : {};
    const existing = async (c: pg.Client) => new Set((await c.query<Relation>(RELATIONS)).rows.map((r) => r.name));
    if (statements.length === 1 && setup.length === 0 && !opts.url && !opts.concurrently) {
      return { statements: [await measure(this.shared, sql, { commit: false, ...zone })], existing: await existing(this.shared) };
    }
    const url = opts.url ?? (await this.copy());
    const c = await this.connect(url);
    try {
      for (const s of setup) await c.query(s);
      const before = await existing(c);
      if (opts.concurrently) return { statements: [await measureConcurrently(url, sql)], existing: before };
      const out: Array<Measurement | undefined> = [];
      for (const s of statements) out.push(s.kind === 'TransactionStmt' ? undefined : await measure(c, s.text, { commit: true, ...zone }));
      return { statements: out, existing: before };
    } finally {
      await c.end();
    }
  }

  /** Runs `sql` on a copy with rows (after `setup`) and gives its error message. */
  async failure(sql: string, setup: string[]): Promise<string | undefined> {
    const c = await this.connect(await this.copy());
    try {
      for (const s of setup) await c.query(s);
      await c.query(sql);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    } finally {
      await c.end();
    }
  }
}

// ---------------------------------------------------------------------------------------
// What prisma-zd says

interface Modelled {
  readonly mode: LockMode;
  readonly cost?: LockCost;
}

const MIGRATION = '20990101000000_change';

function historyOf(c: Case): string[] {
  return c.before ? [...HISTORY, c.before] : HISTORY;
}

/** The lock model's locks for each statement of `sql` (by relation name), after `history`. */
function modelled(history: readonly string[], sql: string, major: number): Array<Map<string, Modelled>> {
  const files = [...history, sql].map((text, i) => (i === history.length ? { name: MIGRATION, text } : { name: `2000010100000${i}_history`, text }));
  const views = files.map((f) => ({ name: f.name, parsed: parseSql(f.text) })).map((f) => ({ ...f, view: unmanagedView(f.parsed) }));
  const facts = replay(views.map((v) => ({ name: v.name, parsed: v.view.parsed })));
  const last = views.at(-1)!;
  const mf = facts.at(-1)!;
  return last.parsed.statements.map((s) => {
    const j = last.view.source.indexOf(s.index);
    const before = j === -1 ? mf.before : (mf.statements[j]?.before ?? mf.before);
    const out = new Map<string, Modelled>();
    for (const l of statementLocks(s, { before, migration: MIGRATION, postgresVersion: major }).locks) {
      out.set(l.name, { mode: l.mode, ...(l.cost ? { cost: l.cost } : {}) });
    }
    return out;
  });
}

/** The finding's statement: the one whose text holds the finding's start. */
function statementOf(statements: readonly Statement[], d: Diagnostic): number {
  return statements.findIndex((s) => d.range.start >= s.range.start && d.range.start < s.range.end);
}

const UTC_NOTE = /\(PostgreSQL 12\+ skips the rewrite[^)]*UTC\.\)/;

/** What a finding's message says PostgreSQL does to the table it names. */
function claims(d: Diagnostic, timeZone: string | undefined): { rewrite: boolean; read: boolean } {
  const utcSkip = UTC_NOTE.test(d.message) && timeZone === 'UTC';
  const message = d.message.replace(UTC_NOTE, '');
  const rewrite = /\b(rewrites|rewritten)\b/.test(message) && !utcSkip;
  const read = rewrite || /\b(scans|checks every row|index is built|builds (its|the) index|is built)\b/.test(message);
  return { rewrite, read };
}

// ---------------------------------------------------------------------------------------
// Comparing

const REVEALING = lockRank('ROW EXCLUSIVE');

/** "Post ACCESS EXCLUSIVE rewrite, User SHARE read": the strongest lock per table over the statements (tables there were before). */
function summary(run: Run): string {
  const tables = new Map<string, { mode: LockMode; effect?: Effect }>();
  const indexes = new Map<string, LockMode>();
  for (const m of run.statements) {
    for (const [name, h] of m ?? []) {
      if (!run.existing.has(name)) continue;
      if (h.index) {
        indexes.set(name, stronger(indexes.get(name), h.mode));
        continue;
      }
      if (lockRank(h.mode) < REVEALING) continue;
      const prev = tables.get(name);
      const effect = prev?.effect === 'rewrite' || h.effect === 'rewrite' ? 'rewrite' : (prev?.effect ?? h.effect);
      tables.set(name, { mode: stronger(prev?.mode, h.mode), ...(effect ? { effect } : {}) });
    }
  }
  const parts = [...tables].sort(([a], [b]) => a.localeCompare(b)).map(([n, t]) => `${n} ${t.mode}${t.effect ? ` ${t.effect}` : ''}`);
  if (parts.length === 0) for (const [n, mode] of [...indexes].sort()) if (lockRank(mode) >= lockRank('SHARE UPDATE EXCLUSIVE')) parts.push(`index ${n} ${mode}`);
  return parts.join(', ');
}

/** Where the lock model and PostgreSQL disagree about one statement. */
function modelMismatches(where: string, measured: Measurement, model: Map<string, Modelled>): string[] {
  const out: string[] = [];
  for (const [name, h] of measured) {
    const m = model.get(name);
    if (!h.index && lockRank(h.mode) >= REVEALING && m?.mode !== h.mode) out.push(`${where}: ${name} is locked ${h.mode}; the lock model says ${m?.mode ?? 'nothing'}`);
    if (h.index || h.effectUnknown || !m) continue;
    if ((m.cost === 'rewrite') !== (h.effect === 'rewrite')) out.push(`${where}: ${name} ${h.effect === 'rewrite' ? 'is' : 'is not'} rewritten; the lock model says ${m.cost ?? 'no cost'}`);
    if ((m.cost === 'scan' || m.cost === 'build') && h.effect === undefined) out.push(`${where}: ${name} is not read; the lock model says ${m.cost}`);
    if (h.effect === 'read' && m.cost === undefined && lockRank(h.mode) >= lockRank('SHARE UPDATE EXCLUSIVE')) out.push(`${where}: ${name} is read under ${h.mode}; the lock model says no cost`);
  }
  for (const [name, m] of model) {
    if (measured.get(name)?.mode !== m.mode) out.push(`${where}: the lock model says ${m.mode} on ${name}; PostgreSQL takes ${measured.get(name)?.mode ?? 'no lock'}`);
  }
  return out;
}

/** Tables the rewritten file locks harder than the original does. */
function weaker(rewritten: Run, original: Run): string[] {
  const strongest = (run: Run) => {
    const out = new Map<string, LockMode>();
    for (const m of run.statements) for (const [name, h] of m ?? []) if (!h.index && run.existing.has(name)) out.set(name, stronger(out.get(name), h.mode));
    return out;
  };
  const before = strongest(original);
  return [...strongest(rewritten)].filter(([name, mode]) => lockRank(mode) > lockRank(before.get(name) ?? 'ACCESS SHARE')).map(([name, mode]) => `${name}: ${mode}, was ${before.get(name) ?? 'no lock'}`);
}

/** Where `check`'s findings and PostgreSQL disagree. */
function findingMismatches(c: Case, statements: readonly Statement[], run: Run, diagnostics: readonly Diagnostic[]): string[] {
  const measured = run.statements;
  const out: string[] = [];
  const byStatement = new Map<number, Diagnostic[]>();
  for (const d of diagnostics) {
    const i = statementOf(statements, d);
    byStatement.set(i, [...(byStatement.get(i) ?? []), d]);
    const table = d.table?.name;
    const m = measured[i];
    if (table === undefined || m === undefined) continue;
    const h = m.get(table);
    if (d.lock !== undefined && d.lock !== h?.mode) out.push(`${d.ruleId}: says ${d.lock} on ${table}; PostgreSQL takes ${h?.mode ?? 'no lock'}`);
    if (d.lock === undefined) continue;
    const said = claims(d, c.timeZone);
    if (said.rewrite !== (h?.effect === 'rewrite')) out.push(`${d.ruleId}: says ${table} is ${said.rewrite ? '' : 'not '}rewritten; it ${h?.effect === 'rewrite' ? 'is' : 'is not'}`);
    if (said.read && h?.effect === undefined) out.push(`${d.ruleId}: says ${table} is read (scan, check or index build); it is not`);
  }
  // A write-blocking lock held while a table is read or rewritten: some finding must be about that table.
  measured.forEach((m, i) => {
    for (const [name, h] of m ?? []) {
      if (h.index || h.effect === undefined || lockRank(h.mode) < lockRank('SHARE')) continue;
      const named = (byStatement.get(i) ?? []).some((d) => d.table?.name === name || d.message.includes(`"${name}"`));
      if (!named && run.existing.has(name)) out.push(`statement ${i + 1} holds ${h.mode} on ${name} while it is ${h.effect === 'rewrite' ? 'rewritten' : 'read'}, and no finding names it`);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------

const labs: Lab[] = [];
let pg14: PgServer | undefined;

beforeAll(async () => {
  const main = testServer();
  const second =
    main.major === 14
      ? undefined
      : await startEmbedded({ major: 14 }).catch((e: unknown) => {
          console.warn(`[locks-empirical] PostgreSQL 14 is not available, measuring on ${main.major} only: ${String(e)}`);
          return undefined;
        });
  pg14 = second;
  labs.push(new Lab(main), ...(second ? [new Lab(second)] : []));
  await Promise.all(labs.map((l) => l.start()));
}, 120_000);

afterAll(async () => {
  await Promise.all(labs.map((l) => l.stop()));
  await pg14?.stop();
}, 60_000);

describe('locks and rewrites: prisma-zd against PostgreSQL', () => {
  for (const c of CASES) {
    it(c.change, async () => {
      const statements = parseSql(c.sql).statements;
      const history = historyOf(c);
      const setup = [...(c.before ? [c.before] : []), ...(c.fails ? ['TRUNCATE "User", "Post", "Comment"'] : [])];
      await Promise.all(
        labs.map(async (lab) => {
          const major = lab.server.major;
          const at = `PostgreSQL ${major}`;
          if (c.fails) expect(await lab.failure(c.sql, c.before ? [c.before] : []), at).toContain(c.fails);
          const measured = await lab.run(c.sql, { setup, ...(c.timeZone ? { timeZone: c.timeZone } : {}), ...(c.concurrently ? { concurrently: true } : {}) });
          expect(summary(measured), at).toBe(c.measured);

          const model = modelled(history, c.sql, major);
          const mismatches = measured.statements.flatMap((m, i) => (m ? modelMismatches(`${at}, statement ${i + 1}`, m, model[i]!) : []));
          // The lock model assumes a session outside UTC: its rewrite is the worst case.
          const utcSkipped = (s: string) => c.timeZone === 'UTC' && /is not rewritten; the lock model says rewrite/.test(s);
          expect(mismatches.filter((s) => !utcSkipped(s))).toEqual([]);

          const report = checkSql(c.sql, { history, execution: 'whole-file', postgresVersion: major });
          expect(report.diagnostics.map((d) => d.ruleId), at).toEqual(c.rules);
          expect(findingMismatches(c, statements, measured, report.diagnostics), at).toEqual([]);

          if (!report.diagnostics.some((d) => d.fixedBy === 'rewrite')) return;
          const files = [...history, c.sql].map((sql, i) => ({ name: i === history.length ? MIGRATION : `2000010100000${i}_history`, sql }));
          const rewritten = rewriteHistory(files, { select: (n) => n === MIGRATION }).at(-1)!.text;
          expect(rewritten).not.toBe(c.sql);
          // Unmanaged (a shadow or fresh database): the original's locks and work.
          expect(weaker(await lab.run(rewritten, { setup }), measured), `${at}, rewritten, unmanaged`).toEqual([]);
          // Managed: nothing read or rewritten during the migration, and the lock model still right.
          const managedUrl = await lab.copy();
          await setUp(managedUrl);
          const managed = await lab.run(rewritten, { setup, url: managedUrl });
          const rewrittenModel = modelled(history, rewritten, major);
          expect(managed.statements.flatMap((m, i) => (m ? modelMismatches(`${at}, rewritten, managed, statement ${i + 1}`, m, rewrittenModel[i]!) : []))).toEqual([]);
          expect(summary(managed).match(/\b(read|rewrite)\b/g) ?? [], `${at}, rewritten, managed: ${summary(managed)}`).toEqual([]);
        }),
      );
    });
  }
});
