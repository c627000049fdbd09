import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql } from '../sql/parse.js';
import { rewriteHistory, type MigrationSource } from './rewrite.js';
import { unmanagedView } from './view.js';

const BASE: MigrationSource = {
  name: '20260101000000_init',
  sql: `CREATE TYPE "Role" AS ENUM ('A', 'B');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "role" "Role" NOT NULL DEFAULT 'A', "score" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "authorId" INTEGER, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
`,
};

function rewrite(sql: string, extra: MigrationSource[] = []) {
  const history = [BASE, ...extra, { name: '20260102000000_next', sql }];
  const out = rewriteHistory(history, { select: (n) => n !== BASE.name });
  return out[out.length - 1]!;
}

beforeAll(() => initParser());

describe('rewrite', () => {
  it('postpones CREATE INDEX on an existing table, keeping every other byte', () => {
    const sql = `-- CreateIndex\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n\n-- trailing comment\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object, c.line])).toEqual([['postpone-index', '"Post_title_idx"', 2]]);
    expect(r.text.startsWith('-- CreateIndex\n-- prisma-zd: postponed: index "Post_title_idx" is built CONCURRENTLY')).toBe(true);
    expect(r.text.endsWith(`$zd$;\n\n-- trailing comment\n`)).toBe(true);
    // The original statement stands verbatim inside the block (what unmanaged databases run).
    expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text)).toEqual([
      'CREATE INDEX "Post_title_idx" ON "Post"("title")',
    ]);
  });

  it('leaves indexes on tables created in the same migration, and CONCURRENTLY ones', () => {
    const sql = `CREATE TABLE "Tag" ("id" SERIAL NOT NULL, "name" TEXT NOT NULL);\nCREATE UNIQUE INDEX "Tag_name_key" ON "Tag"("name");\nCREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");\n`;
    const r = rewrite(sql);
    expect(r.changed).toBe(false);
    expect(r.text).toBe(sql);
  });

  it('adds a foreign key on an existing table NOT VALID and postpones its validation', () => {
    const sql = `-- AddForeignKey\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => c.kind)).toEqual(['validate-later']);
    expect(r.text).toContain('ON DELETE SET NULL ON UPDATE CASCADE NOT VALID;\n-- prisma-zd: postponed: foreign key "Post_authorId_fkey"');
    expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.kind)).toEqual(['AlterTableStmt', 'AlterTableStmt']);
  });

  it('adds a named CHECK on an existing table NOT VALID and postpones its validation; leaves an unnamed one', () => {
    const sql = `ALTER TABLE "Post" ADD CONSTRAINT "Post_title_check" CHECK (length("title") > 0);\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object, c.message])).toEqual([['validate-later', '"Post_title_check"', 'check constraint "Post_title_check" on "Post": NOT VALID now, validated later']]);
    expect(r.text).toContain('CHECK (length("title") > 0) NOT VALID;\n-- prisma-zd: postponed: check constraint "Post_title_check" is added NOT VALID');
    expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text)).toEqual([
      'ALTER TABLE "Post" ADD CONSTRAINT "Post_title_check" CHECK (length("title") > 0) NOT VALID',
      'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_title_check"',
    ]);
    expect(rewrite(`ALTER TABLE "Post" ADD CHECK (length("title") > 0);\n`).changed).toBe(false);
  });

  it('leaves a foreign key on a partitioned table alone (PostgreSQL before 18 refuses NOT VALID there), with a note', () => {
    const parted: MigrationSource = {
      name: '20260101500000_events',
      sql: `CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" DATE NOT NULL, "authorId" INTEGER) PARTITION BY RANGE ("at");\n`,
    };
    const sql = `ALTER TABLE "Event" ADD CONSTRAINT "Event_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");\nALTER TABLE "Event" ADD CONSTRAINT "Event_at_check" CHECK ("at" > '2000-01-01');\n`;
    const r = rewrite(sql, [parted]);
    expect(r.changes.map((c) => c.object)).toEqual(['"Event_at_check"']);
    expect(r.notes).toContainEqual({ line: 1, message: 'left alone: "Event" is partitioned (PostgreSQL before 18 cannot add a NOT VALID foreign key to a partitioned table)' });
    expect(r.text.startsWith('ALTER TABLE "Event" ADD CONSTRAINT "Event_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");\n')).toBe(true);
  });

  it('defers DROP DEFAULT, splitting a multi-command ALTER TABLE so the rest keeps its bytes', () => {
    const sql = `ALTER TABLE "User" ADD COLUMN "bio" TEXT,\n  ALTER COLUMN "score" DROP DEFAULT,\n  ALTER COLUMN "email" SET DEFAULT 'x';\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object])).toEqual([['defer-drop-default', '"User"."score"']]);
    const view = unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text);
    expect(view).toEqual([
      `ALTER TABLE "User" ADD COLUMN "bio" TEXT,\n  ALTER COLUMN "email" SET DEFAULT 'x'`,
      `ALTER TABLE "User" ALTER COLUMN "score" DROP DEFAULT`,
    ]);
  });

  it('defers the DROP DEFAULT of Prisma\'s "make it optional" (DROP NOT NULL and DROP DEFAULT on one column, one statement)', () => {
    const sql = `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "score" DROP NOT NULL,\nALTER COLUMN "score" DROP DEFAULT;\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object])).toEqual([['defer-drop-default', '"User"."score"']]);
    expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text)).toEqual([
      'ALTER TABLE "User" ALTER COLUMN "score" DROP NOT NULL',
      'ALTER TABLE "User" ALTER COLUMN "score" DROP DEFAULT',
    ]);
  });

  it('leaves a DROP DEFAULT whose statement also changes the column\'s type (the default must be gone for it)', () => {
    const sql = `ALTER TABLE "User" ALTER COLUMN "score" DROP DEFAULT,\nALTER COLUMN "score" SET DATA TYPE BIGINT;\n`;
    expect(rewrite(sql).changed).toBe(false);
  });

  it("leaves Prisma's enum swap alone: a later statement in the migration needs the default gone", () => {
    const sql = `BEGIN;\nCREATE TYPE "Role_new" AS ENUM ('A', 'C');\nALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;\nALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");\nALTER TYPE "Role" RENAME TO "Role_old";\nALTER TYPE "Role_new" RENAME TO "Role";\nDROP TYPE "Role_old";\nALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'A';\nCOMMIT;\n`;
    const r = rewrite(sql);
    expect(r.changed).toBe(false);
  });

  it('moves the DROP SEQUENCE of a deferred autoincrement default with it', () => {
    const r = rewrite(`ALTER TABLE "Post" ALTER COLUMN "id" DROP DEFAULT;\nDROP SEQUENCE "Post_id_seq";\n`);
    expect(r.changes.map((c) => c.kind)).toEqual(['defer-drop-default', 'defer-drop-sequence']);
  });

  it('maintains the queue before a later statement that drops a pending unique index', () => {
    const first: MigrationSource = { name: '20260101500000_idx', sql: `CREATE UNIQUE INDEX "Post_title_key" ON "Post"("title");\n` };
    const r = rewrite(`DROP INDEX "Post_title_key";\n`, [first]);
    expect(r.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'cancel index "Post_title_key"']]);
    // The DROP runs only where the index exists (a pending index was never built).
    expect(r.text).toContain(`OR to_regclass('"Post_title_key"') IS NOT NULL THEN\nDROP INDEX "Post_title_key";`);
  });

  it('defers the drop of a plain index an earlier migration postponed: its build cancelled where it has not run, the drop queued where it stands', () => {
    const first: MigrationSource = { name: '20260101500000_idx', sql: `CREATE INDEX "Post_title_idx" ON "Post"("title");\n` };
    const r = rewrite(`DROP INDEX "Post_title_idx";\n`, [first]);
    expect(r.changes.map((c) => [c.kind, c.message])).toEqual([['defer-drop-index', 'index "Post_title_idx" on "Post": dropped CONCURRENTLY at contract (its postponed build is cancelled where it has not run)']]);
    expect(r.text).toContain(`  IF to_regclass('prisma_zd.queue') IS NULL THEN\nDROP INDEX "Post_title_idx";\n  ELSE\n    UPDATE prisma_zd.queue SET status = 'cancelled'`);
    expect(r.text).toContain(`    IF to_regclass('"Post_title_idx"') IS NOT NULL THEN\n      INSERT INTO prisma_zd.queue`);
    expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text)).toEqual(['DROP INDEX "Post_title_idx"']);
    expect(rewrite(r.text, [first]).changed).toBe(false);
  });

  it('builds a pending unique index inline before a foreign key onto its column needs it', () => {
    const first: MigrationSource = { name: '20260101500000_idx', sql: `CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n` };
    const r = rewrite(`ALTER TABLE "Post" ADD COLUMN "authorEmail" TEXT;\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES "User"("email");\n`, [first]);
    expect(r.changes.map((c) => c.kind)).toEqual(['maintenance', 'validate-later']);
    expect(r.text).toContain(`CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n      UPDATE prisma_zd.queue SET status = 'done'`);
  });

  it('respects -- prisma-zd-ignore and -- prisma-zd-ignore-file', () => {
    const one = rewrite(`-- prisma-zd-ignore: small table\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n`);
    expect(one.changed).toBe(false);
    expect(one.notes.map((n) => n.message)).toEqual(['left alone: -- prisma-zd-ignore']);
    const file = rewrite(`-- prisma-zd-ignore-file\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n`);
    expect(file.changed).toBe(false);
  });

  it('honours -- squawk-ignore and -- squawk-ignore-file as check does (check and rewrite --check agree)', () => {
    const index = 'CREATE INDEX "Post_title_idx" ON "Post"("title");\n';
    for (const sql of [`-- squawk-ignore require-concurrent-index-creation\n${index}`, `-- squawk-ignore-file\n${index}`]) expect(rewrite(sql).changed).toBe(false);
    expect(rewrite(`-- squawk: not a suppression\n${index}`).changed).toBe(true);
  });

  it('keeps a CRLF file CRLF: what it inserts takes the file\'s line endings; a second run changes nothing', () => {
    const sql = `-- CreateIndex\r\nCREATE INDEX "Post_title_idx" ON "Post"(\r\n  "title");\r\n\r\n-- AddForeignKey\r\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");\r\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => c.kind)).toEqual(['postpone-index', 'validate-later']);
    expect(r.text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text)).toEqual([
      'CREATE INDEX "Post_title_idx" ON "Post"(\r\n  "title")',
      'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID',
      'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey"',
    ]);
    const again = rewriteHistory([BASE, { name: '20260102000000_next', sql: r.text }], { select: (n) => n !== BASE.name }).at(-1)!;
    expect(again.changed).toBe(false);
  });

  it("defers the DROP DEFAULT of a column added in the same migration to an existing table (Prisma's required column): old versions insert without it", () => {
    const sql = `ALTER TABLE "User" ADD COLUMN "plan" TEXT NOT NULL DEFAULT 'free';\nALTER TABLE "User" ALTER COLUMN "plan" DROP DEFAULT;\n`;
    expect(rewrite(sql).changes.map((c) => [c.kind, c.object])).toEqual([['defer-drop-default', '"User"."plan"']]);
    // A new table: no old version writes to it.
    expect(rewrite(`CREATE TABLE "Plan" ("name" TEXT NOT NULL DEFAULT 'free');\nALTER TABLE "Plan" ALTER COLUMN "name" DROP DEFAULT;\n`).changed).toBe(false);
  });

  it('leaves a DROP DEFAULT inline when the migration then drops a function or extension (what the default may call)', () => {
    const history: MigrationSource[] = [{ name: '20260101500000_fn', sql: `CREATE FUNCTION gen_code() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;\nALTER TABLE "User" ADD COLUMN "code" TEXT DEFAULT gen_code();\n` }];
    expect(rewrite(`ALTER TABLE "User" ALTER COLUMN "code" DROP DEFAULT;\nDROP FUNCTION gen_code();\n`, history).changed).toBe(false);
    expect(rewrite(`ALTER TABLE "User" ALTER COLUMN "code" DROP DEFAULT;\n`, history).changed).toBe(true);
  });

  it('adds IF EXISTS to a DROP INDEX that a pending index\'s cancel cannot guard (CONCURRENTLY, several names)', () => {
    const indexes: MigrationSource = { name: '20260101500000_idx', sql: `CREATE INDEX "Post_title_idx" ON "Post"("title");\nCREATE INDEX "Post_authorId_idx" ON "Post"("authorId");\n` };
    const history = (sql: string) => {
      const out = rewriteHistory([BASE, indexes, { name: '20260102000000_next', sql }], { select: (n) => n !== BASE.name });
      return out[out.length - 1]!;
    };
    expect(history(`DROP INDEX CONCURRENTLY "Post_title_idx";\n`).text).toBe(`DROP INDEX CONCURRENTLY IF EXISTS "Post_title_idx";\n`);
    const several = history(`DROP INDEX "Post_title_idx", "Post_authorId_idx";\n`);
    expect(several.text.endsWith(`DROP INDEX IF EXISTS "Post_title_idx", "Post_authorId_idx";\n`)).toBe(true);
    expect(unmanagedView(parseSql(several.text)).parsed.statements.map((s) => s.text)).toEqual(['DROP INDEX IF EXISTS "Post_title_idx", "Post_authorId_idx"']);
    // Already IF EXISTS: nothing to add.
    expect(history(`DROP INDEX CONCURRENTLY IF EXISTS "Post_title_idx";\n`).changed).toBe(false);
  });

  it('builds a pending index inline before what needs it by name or by key (USING INDEX, REPLICA IDENTITY, an inline REFERENCES)', () => {
    const unique: MigrationSource = { name: '20260101500000_key', sql: `CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n` };
    const next = (sql: string) => {
      const out = rewriteHistory([BASE, unique, { name: '20260102000000_next', sql }], { select: (n) => n !== BASE.name });
      return out[out.length - 1]!;
    };
    for (const sql of [
      `ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE USING INDEX "User_email_key";\n`,
      `ALTER TABLE "User" REPLICA IDENTITY USING INDEX "User_email_key";\n`,
      `ALTER TABLE "Post" ADD COLUMN "authorEmail" TEXT REFERENCES "User"("email") ON DELETE SET NULL;\n`,
    ]) {
      const r = next(sql);
      expect(r.changes.map((c) => c.message), sql).toEqual(['queue maintenance before this statement: apply index "User_email_key"']);
      expect(r.text.endsWith(sql), sql).toBe(true);
    }
  });

  it('applies a deferred DROP DEFAULT before a later migration drops a function or extension (the default may call it)', () => {
    const ext: MigrationSource = { name: '20260101500000_ext', sql: `CREATE EXTENSION IF NOT EXISTS "uuid-ossp";\nALTER TABLE "User" ADD COLUMN "u" UUID DEFAULT uuid_generate_v4();\n` };
    const out = rewriteHistory([BASE, ext, { name: '20260102000000_drop_default', sql: `ALTER TABLE "User" ALTER COLUMN "u" DROP DEFAULT;\n` }, { name: '20260103000000_drop_ext', sql: `DROP EXTENSION "uuid-ossp";\n` }], { select: (n) => n !== BASE.name });
    expect(out[2]!.changes.map((c) => c.kind)).toEqual(['defer-drop-default']);
    expect(out[3]!.changes.map((c) => c.message)).toEqual(['queue maintenance before this statement: apply contract "u"']);
    expect(out[3]!.text).toContain('which drops extension "uuid-ossp" (the default may use it)');
  });

  it('is idempotent: a second run changes nothing', () => {
    const sql = `CREATE INDEX "Post_title_idx" ON "Post"("title");\nALTER TABLE "User" ALTER COLUMN "score" DROP DEFAULT;\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");\n`;
    const once = rewrite(sql);
    const twice = rewrite(once.text);
    expect(once.changes).toHaveLength(3);
    expect(twice.changed).toBe(false);
    expect(twice.text).toBe(once.text);
  });

  it('is idempotent for a CHECK too (I4): a second run changes nothing', () => {
    const once = rewrite(`ALTER TABLE "Post" ADD CONSTRAINT "Post_title_check" CHECK (length("title") > 0) NO INHERIT;\n`);
    expect(once.changes.map((c) => c.kind)).toEqual(['validate-later']);
    const twice = rewrite(once.text);
    expect(twice.changed).toBe(false);
    expect(twice.text).toBe(once.text);
  });

  it('postpones SET NOT NULL on an existing table: a NOT VALID check in the migration, the original where prisma-zd is not set up; a second run changes nothing', () => {
    const sql = `-- AlterTable\nALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;\n`;
    const once = rewrite(sql);
    expect(once.changes.map((c) => [c.kind, c.object, c.line])).toEqual([['postpone-not-null', '"Post"."authorId"', 2]]);
    expect(once.text).toContain(`ALTER TABLE "Post" DROP CONSTRAINT IF EXISTS "Post_authorId_zd_not_null", ADD CONSTRAINT "Post_authorId_zd_not_null" CHECK ("authorId" IS NOT NULL) NOT VALID;`);
    expect(once.text).toContain(`VALUES ('not-null', '20260102000000_next'`);
    expect(unmanagedView(parseSql(once.text)).parsed.statements.map((s) => s.text)).toEqual(['ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL']);
    const twice = rewrite(once.text);
    expect(twice.changed).toBe(false);
    expect(twice.text).toBe(once.text);
  });

  it('splits SET NOT NULL out of a multi-command ALTER TABLE, keeping the rest; the unmanaged view runs the same sub-commands', () => {
    const r = rewrite(`ALTER TABLE "Post" ADD COLUMN "slug" TEXT,\nALTER COLUMN "authorId" SET NOT NULL;\n`);
    expect(r.changes.map((c) => c.kind)).toEqual(['postpone-not-null']);
    const view = unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text);
    expect(view).toEqual(['ALTER TABLE "Post" ADD COLUMN "slug" TEXT', 'ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL']);
  });

  it('leaves SET NOT NULL alone where postponing it gains nothing or would change what the migration does', () => {
    const left = (sql: string, extra: MigrationSource[] = []) => {
      const r = rewrite(sql, extra);
      expect(r.changes.filter((c) => c.kind === 'postpone-not-null')).toEqual([]);
      return r.notes.map((n) => n.message);
    };
    // A table created in the same migration, a column added in it (no app version uses it yet), a column already NOT NULL.
    expect(left(`ALTER TABLE "Post" ADD COLUMN "rank" INTEGER;\nUPDATE "Post" SET "rank" = "id";\nALTER TABLE "Post" ALTER COLUMN "rank" SET NOT NULL;\n`)).toEqual([]);
    expect(left(`CREATE TABLE "Tag" ("id" INTEGER, "name" TEXT);\nALTER TABLE "Tag" ALTER COLUMN "name" SET NOT NULL;\n`)).toEqual([]);
    expect(left(`ALTER TABLE "Post" ALTER COLUMN "title" SET NOT NULL;\n`)).toEqual([]);
    // A type change in the same statement rewrites the table anyway.
    expect(left(`ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL, ALTER COLUMN "title" TYPE VARCHAR(200);\n`)).toEqual([]);
    // Proven by a valid check already: no scan.
    expect(left(`ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;\n`, [
      { name: '20260101000001_check', sql: `ALTER TABLE "Post" ADD CONSTRAINT "a" CHECK ("authorId" IS NOT NULL);\n` },
    ])).toEqual([]);
    expect(left(`ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;\nALTER TABLE "Post" ALTER COLUMN "authorId" DROP NOT NULL;\n`)).toEqual([
      'left alone: SET NOT NULL on "Post"."authorId": a later statement of this migration changes the column again',
    ]);
    expect(left(`ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;\nALTER TABLE "Post" RENAME TO "Article";\n`)).toEqual([
      'left alone: SET NOT NULL on "Post"."authorId": a later statement of this migration drops or renames the table',
    ]);
    expect(left(`ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL, ALTER COLUMN "authorId" SET STATISTICS 100;\n`)).toEqual([
      'left alone: SET NOT NULL on "Post"."authorId": the statement changes the column otherwise too',
    ]);
    const event = { name: '20260101000001_event', sql: `CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" TIMESTAMP(3) NOT NULL, "kind" TEXT) PARTITION BY RANGE ("at");\nCREATE TABLE "Event_2026" (LIKE "Event");\n` };
    expect(left(`ALTER TABLE "Event" ALTER COLUMN "kind" SET NOT NULL;\nALTER TABLE "Event" ATTACH PARTITION "Event_2026" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n`, [event])).toEqual([
      'left alone: SET NOT NULL on "Event"."kind": a later statement of this migration attaches or detaches a partition',
    ]);
    // A partitioned table's own: its partitions inherit the check (each proven by it: measured on PostgreSQL 14 and 18).
    expect(rewrite(`ALTER TABLE "Event" ALTER COLUMN "kind" SET NOT NULL;\n`, [event]).changes.map((c) => c.kind)).toEqual(['postpone-not-null']);
    // Attaching a partition later: NOT NULL is set first (the partition lacks the temporary check its parent has).
    const attach = rewrite(`ALTER TABLE "Event" ATTACH PARTITION "Event_2026" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n`, [
      event,
      { name: '20260101000002_kind_required', sql: `ALTER TABLE "Event" ALTER COLUMN "kind" SET NOT NULL;\n` },
    ]);
    expect(attach.changes.map((c) => c.object)).toEqual(['apply not-null "Event_kind_zd_not_null"']);
  });

  it('keeps a postponed NOT NULL in step with later migrations: rename (column, table), DROP NOT NULL and DROP COLUMN (its check dropped), identity (set first)', () => {
    const first = { name: '20260101000001_required', sql: `ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;\n` };
    const steps = (sql: string) => {
      const r = rewrite(sql, [first]);
      return r.changes.map((c) => c.object);
    };
    expect(steps(`ALTER TABLE "Post" RENAME COLUMN "authorId" TO "writerId";\n`)).toEqual(['update not-null "Post_authorId_zd_not_null"']);
    expect(rewrite(`ALTER TABLE "Post" RENAME COLUMN "authorId" TO "writerId";\n`, [first]).text).toContain(
      `statement = $s$ALTER TABLE "Post" ALTER COLUMN "writerId" SET NOT NULL$s$`,
    );
    expect(rewrite(`ALTER TABLE "Post" RENAME TO "Article";\n`, [first]).text).toContain(`table_name = 'Article', statement = $s$ALTER TABLE "Article" ALTER COLUMN "authorId" SET NOT NULL$s$`);
    for (const sql of [`ALTER TABLE "Post" ALTER COLUMN "authorId" DROP NOT NULL;\n`, `ALTER TABLE "Post" DROP COLUMN "authorId";\n`, `DROP TABLE "Post";\n`]) {
      const text = rewrite(sql, [first]).text;
      expect(text).toContain(`ALTER TABLE "Post" DROP CONSTRAINT IF EXISTS "Post_authorId_zd_not_null";\n      UPDATE prisma_zd.queue SET status = 'cancelled'`);
    }
    const identity = rewrite(`ALTER TABLE "Post" ALTER COLUMN "authorId" ADD GENERATED BY DEFAULT AS IDENTITY;\n`, [first]).text;
    expect(identity).toContain(`ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;\nALTER TABLE "Post" DROP CONSTRAINT IF EXISTS "Post_authorId_zd_not_null";\n      UPDATE prisma_zd.queue SET status = 'done'`);
  });

  it('names the temporary check within 63 bytes, with a hash past that', async () => {
    const { notNullCheckName } = await import('./pending.js');
    expect(notNullCheckName('User', 'name')).toBe('User_name_zd_not_null');
    const long = notNullCheckName('A'.repeat(40), 'é'.repeat(20));
    expect(Buffer.byteLength(long, 'utf8')).toBeLessThanOrEqual(63);
    expect(long).toMatch(/_[0-9a-f]{8}_zd_not_null$/);
    expect(notNullCheckName('A'.repeat(40), 'é'.repeat(20))).toBe(long);
    expect(notNullCheckName('A'.repeat(40), 'é'.repeat(21))).not.toBe(long);
  });

  it('reports a located parse error and changes nothing', () => {
    const r = rewrite(`CREATE INDEX "x" ON "Post"("title");\nCREATE TABLE oops (;\n`);
    expect(r.changed).toBe(false);
    expect(r.error).toMatchObject({ line: 2, message: 'syntax error at or near ";"' });
  });

  it('says why it leaves a DO block alone', () => {
    const r = rewrite(`DO $$ BEGIN CREATE INDEX "Post_title_idx" ON "Post"("title"); END $$;\n`);
    expect(r.changed).toBe(false);
    expect(r.notes.map((n) => n.message)).toEqual(['left alone: a DO block (its statements are not rewritten)']);
  });
  describe('DROP INDEX', () => {
    const indexed: MigrationSource = {
      name: '20260101120000_indexes',
      sql: `CREATE INDEX "Post_title_idx" ON "Post"("title");\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\nCREATE INDEX "Post_lower_idx" ON "Post"(lower("title")) WHERE "authorId" IS NOT NULL;\n`,
    };
    const later = (sql: string) => rewriteHistory([BASE, indexed, { name: '20260102000000_next', sql }, { name: '20260103000000_later', sql: laterSql }], { select: (n) => n === '20260102000000_next' || n === '20260103000000_later' });
    let laterSql = '';
    // The indexes were built before prisma-zd (their migration is not rewritten).
    const rewriteAfter = (sql: string) => {
      const out = rewriteHistory([BASE, indexed, { name: '20260102000000_next', sql }], { select: (n) => n === '20260102000000_next' });
      return out[out.length - 1]!;
    };

    it('defers a plain index\'s drop to contract, dropped CONCURRENTLY there; inline where prisma-zd is not set up', () => {
      const sql = `-- DropIndex\nDROP INDEX "Post_title_idx";\n`;
      const r = rewriteAfter(sql);
      expect(r.changes.map((c) => [c.kind, c.object, c.line, c.message])).toEqual([['defer-drop-index', '"Post_title_idx"', 2, 'index "Post_title_idx" on "Post": dropped CONCURRENTLY at contract']]);
      expect(r.text).toContain('-- DropIndex\n-- prisma-zd: deferred: index "Post_title_idx" is dropped CONCURRENTLY by `prisma-zd contract`');
      expect(r.text).toContain(`VALUES ('contract', '20260102000000_next'`);
      expect(unmanagedView(parseSql(r.text)).parsed.statements.map((s) => s.text)).toEqual(['DROP INDEX "Post_title_idx"']);
      // A second run changes nothing.
      expect(rewriteAfter(r.text).changed).toBe(false);
    });

    it('leaves a unique index, and one a later statement of the migration needs gone, with the reason', () => {
      const unique = rewriteAfter(`DROP INDEX "User_email_key";\n`);
      expect(unique.changed).toBe(false);
      expect(unique.notes.map((n) => n.message)).toEqual(['left alone: "User_email_key" is unique; the new app version may write what it rejects, so it goes with the migration']);
      for (const [next, why] of [
        [`CREATE INDEX "Post_title_idx" ON "Post"("title", "id");`, 'creates index "public"."Post_title_idx" again, under the same name'],
        [`ALTER TABLE "Post" ALTER COLUMN "title" TYPE VARCHAR(100);`, 'changes the type of column "public"."Post"."title": the index must be gone by then'],
        [`ALTER TABLE "Post" RENAME TO "Article";`, 'renames table "public"."Post": the index must be gone by then'],
        [`ALTER TABLE "Post" DROP COLUMN "title";`, 'drops column "public"."Post"."title" (the index goes with it)'],
      ]) {
        const r = rewriteAfter(`DROP INDEX "Post_title_idx";\n${next}\n`);
        expect(r.changes.map((c) => c.kind), next).not.toContain('defer-drop-index');
        expect(r.notes.map((n) => n.message), next).toContain(`left alone: line 2 ${why}`);
      }
      // Prisma's changed @@index: the old one dropped, a new one (another name) created on the same table.
      const changed = rewriteAfter(`DROP INDEX "Post_title_idx";\nCREATE INDEX "Post_title_id_idx" ON "Post"("title", "id");\nALTER TABLE "Post" ADD COLUMN "body" TEXT;\n`);
      expect(changed.changes.map((c) => c.kind)).toEqual(['defer-drop-index', 'postpone-index']);
    });

    it('a later migration that needs the index gone drops it first; one that drops its column or table cancels it', () => {
      const cases: Array<[string, string]> = [
        [`CREATE INDEX "Post_title_idx" ON "Post"("id");`, `DROP INDEX "Post_title_idx";\n      UPDATE prisma_zd.queue SET status = 'done'`],
        [`ALTER TABLE "Post" ALTER COLUMN "title" TYPE VARCHAR(100);`, `DROP INDEX "Post_title_idx";\n      UPDATE prisma_zd.queue SET status = 'done'`],
        [`ALTER TABLE "Post" DROP COLUMN "title";`, `UPDATE prisma_zd.queue SET status = 'cancelled'`],
        [`DROP TABLE "Post";`, `UPDATE prisma_zd.queue SET status = 'cancelled'`],
      ];
      for (const [sql, expected] of cases) {
        laterSql = `${sql}\n`;
        const out = later(`DROP INDEX "Post_title_idx";\n`);
        expect(out[2]!.changes.map((c) => c.kind), sql).toEqual(['defer-drop-index']);
        expect(out[3]!.changes.map((c) => c.kind), sql).toContain('maintenance');
        expect(out[3]!.text, sql).toContain(expected);
      }
      // A lone CREATE INDEX CONCURRENTLY under the name cannot carry maintenance (it must stay alone): a note says what to run first.
      laterSql = `CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("id");\n`;
      const lone = later(`DROP INDEX "Post_title_idx";\n`)[3]!;
      expect(lone.changed).toBe(false);
      expect(lone.notes.map((n) => n.message)).toEqual(['CREATE INDEX CONCURRENTLY cannot carry queue maintenance: where prisma-zd is set up, "Post_title_idx" still stands until `prisma-zd contract`; run it before this migration is deployed']);
      // What a lingering index neither hinders nor feels: nothing to do.
      laterSql = `ALTER TABLE "Post" ADD COLUMN "body" TEXT;\nCREATE INDEX "Post_body_idx" ON "Post"("body");\nALTER TABLE "Post" ALTER COLUMN "title" SET DEFAULT '';\n`;
      expect(later(`DROP INDEX "Post_title_idx";\n`)[3]!.changes.map((c) => c.kind)).toEqual(['postpone-index']);
    });
  });
});
