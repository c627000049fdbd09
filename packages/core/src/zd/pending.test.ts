import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, isStatement, parseSql } from '../sql/parse.js';
import { indexColumnsFrom, renameInIndexStatement } from './pending.js';
import { pendingHistory, rewriteHistory, type MigrationSource } from './rewrite.js';

const INIT: MigrationSource = {
  name: '20260101000000_init',
  sql: `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "name" TEXT, "deletedAt" TIMESTAMP(3), CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n`,
};

const INDEXES: MigrationSource = {
  name: '20260102000000_indexes',
  sql:
    `CREATE INDEX "User_email_lower_idx" ON "User"(lower("email"));\n` +
    `CREATE INDEX "User_email_live_idx" ON "User"("email") WHERE "deletedAt" IS NULL;\n` +
    `CREATE INDEX "User_name_cover_idx" ON "User"("name") INCLUDE ("email");\n`,
};

/** The history as `rewrite` leaves it (every migration but the first rewritten), then the work pending after it. */
function pendingAfter(...later: MigrationSource[]) {
  const history = [INIT, INDEXES, ...later];
  const rewritten = rewriteHistory(history, { select: (n) => n !== INIT.name });
  const sources = rewritten.map((r, i) => ({ name: history[i]!.name, sql: r.text }));
  return { rewritten, ...pendingHistory(sources) };
}

beforeAll(() => initParser());

describe('pending index entries and column renames', () => {
  it('covers every column an index statement references: expressions, the predicate, INCLUDE', () => {
    const { pending } = pendingAfter();
    const columns = Object.fromEntries(pending.map((e) => [e.objectName, [...e.columns].sort()]));
    expect(columns).toEqual({
      User_email_lower_idx: ['email'],
      User_email_live_idx: ['deletedAt', 'email'],
      User_name_cover_idx: ['email', 'name'],
    });
  });

  it('renames the column everywhere in a pending index: expression, WHERE predicate and INCLUDE', () => {
    const renames: MigrationSource = {
      name: '20260103000000_renames',
      sql: `ALTER TABLE "User" RENAME COLUMN "email" TO "mail";\nALTER TABLE "User" RENAME COLUMN "deletedAt" TO "removedAt";\n`,
    };
    const { pending, rewritten } = pendingAfter(renames);
    expect(pending.map((e) => [e.objectName, e.statement])).toEqual([
      ['User_email_lower_idx', `CREATE INDEX "User_email_lower_idx" ON "User"(lower("mail"))`],
      ['User_email_live_idx', `CREATE INDEX "User_email_live_idx" ON "User"("mail") WHERE "removedAt" IS NULL`],
      ['User_name_cover_idx', `CREATE INDEX "User_name_cover_idx" ON "User"("name") INCLUDE ("mail")`],
    ]);
    expect(Object.fromEntries(pending.map((e) => [e.objectName, [...e.columns].sort()]))).toEqual({
      User_email_lower_idx: ['mail'],
      User_email_live_idx: ['mail', 'removedAt'],
      User_name_cover_idx: ['mail', 'name'],
    });
    // The migration that renames carries the maintenance (the queue's rows are updated in its transaction).
    const maint = rewritten[2]!.text;
    expect(maint).toContain(`CREATE INDEX "User_email_lower_idx" ON "User"(lower("mail"))`);
    expect(maint).toContain(`CREATE INDEX "User_email_live_idx" ON "User"("mail") WHERE "deletedAt" IS NULL`);
    expect(maint).toContain(`CREATE INDEX "User_email_live_idx" ON "User"("mail") WHERE "removedAt" IS NULL`);
    expect(maint).toContain(`CREATE INDEX "User_name_cover_idx" ON "User"("name") INCLUDE ("mail")`);
  });

  it('cancels a pending index when a column only its predicate or expression uses is dropped', () => {
    const { pending, removed } = pendingAfter({ name: '20260103000000_drop', sql: `ALTER TABLE "User" DROP COLUMN "deletedAt";\n` });
    expect(pending.map((e) => e.objectName)).toEqual(['User_email_lower_idx', 'User_name_cover_idx']);
    expect(removed.map((r) => r.entry.objectName)).toEqual(['User_email_live_idx']);
  });

  it('splices by location: every other byte stays, qualified and odd-cased references included', () => {
    const sql = `CREATE UNIQUE INDEX "i" ON public."User" USING btree (lower(email) text_pattern_ops, ("User"."email") DESC, (email || 'é')) INCLUDE (email, "name") WHERE email <> '' /* email */ AND "deletedAt" IS NULL`;
    expect(renameInIndexStatement(sql, { column: { from: 'email', to: 'Mail' } })).toBe(
      `CREATE UNIQUE INDEX "i" ON public."User" USING btree (lower("Mail") text_pattern_ops, ("User"."Mail") DESC, ("Mail" || 'é')) INCLUDE ("Mail", "name") WHERE "Mail" <> '' /* email */ AND "deletedAt" IS NULL`,
    );
    // A string literal or a function that shares the column's name is not a reference.
    expect(renameInIndexStatement(`CREATE INDEX "j" ON "T"(email(x)) WHERE x <> 'email'`, { column: { from: 'email', to: 'm' } })).toBe(
      `CREATE INDEX "j" ON "T"(email(x)) WHERE x <> 'email'`,
    );
    expect(renameInIndexStatement(sql, { index: 'k', table: { name: 'Person' } })).toBe(
      `CREATE UNIQUE INDEX "k" ON "Person" USING btree (lower(email) text_pattern_ops, ("Person"."email") DESC, (email || 'é')) INCLUDE (email, "name") WHERE email <> '' /* email */ AND "deletedAt" IS NULL`,
    );
  });
});

describe('index entry columns', () => {
  it('reads the same columns from the parsed statement’s node as from its text parsed again', () => {
    const sql = [
      INDEXES.sql,
      `CREATE UNIQUE INDEX "a" ON "public"."User" USING btree ("email" DESC NULLS LAST, (lower("name")), ("User"."id")) INCLUDE ("deletedAt", "email");`,
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "b" ON ONLY "User" (coalesce("name", "email"), "id") WHERE "User"."deletedAt" IS NULL AND "name" <> 'x';`,
      `CREATE INDEX "c" ON "User" (("email" || '-' || "name")) WHERE (SELECT 1) = 1;`,
      `CREATE INDEX ON "User" ("Ünïcödé", "e""q");`,
    ].join('\n');
    const parsed = parseSql(sql);
    expect(parsed.error).toBeUndefined();
    // And every index statement of the corpus (../shared/corpus beside the repository), when present.
    const corpus = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/corpus');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name === 'migration.sql') files.push(join(d, e.name));
      }
    };
    if (existsSync(corpus)) walk(corpus);
    let compared = 0;
    for (const file of [undefined, ...files]) {
      const p = file === undefined ? parsed : parseSql(readFileSync(file, 'utf8'));
      for (const s of p.statements) {
        if (!isStatement(s, 'IndexStmt')) continue;
        expect(indexColumnsFrom.node(s.node), s.text).toEqual(indexColumnsFrom.text(s.text));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(4);
  });
});

describe('a pending unique index that a later INSERT … ON CONFLICT needs', () => {
  const unique: MigrationSource = { name: '20260103000000_unique', sql: `CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n` };
  it('is built inline first, whether the INSERT stands alone or in a WITH clause of a data migration (inbox-zero, 2025-10)', () => {
    for (const sql of [
      `INSERT INTO "User" ("email") VALUES ('a@example.com') ON CONFLICT ("email") DO NOTHING;\n`,
      `WITH moved AS (INSERT INTO "User" ("email") SELECT 'b@example.com' ON CONFLICT ("email") DO NOTHING RETURNING "id") SELECT count(*) FROM moved;\n`,
      `WITH a AS (SELECT 1), b AS (INSERT INTO "User" ("email") VALUES ('c@example.com') ON CONFLICT ("email") DO UPDATE SET "name" = NULL RETURNING "id") UPDATE "User" SET "name" = 'x' WHERE "id" IN (SELECT "id" FROM b);\n`,
    ]) {
      const { rewritten, pending } = pendingAfter(unique, { name: '20260104000000_data', sql });
      expect(rewritten[3]!.changes.map((c) => c.object), sql).toEqual(['apply index "User_email_key"']);
      expect(pending.map((p) => p.objectName), sql).not.toContain('User_email_key');
    }
    // Without ON CONFLICT on its columns, nothing to build.
    const { rewritten } = pendingAfter(unique, { name: '20260104000000_data', sql: `WITH a AS (INSERT INTO "User" ("email") VALUES ('d') RETURNING "id") SELECT 1;\n` });
    expect(rewritten[3]!.changes).toEqual([]);
  });
});
