import { beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../check/check.js';
import { initParser, parseSql } from '../sql/parse.js';
import { pendingAfter, rewriteHistory, type MigrationSource } from './rewrite.js';
import { unmanagedView } from './view.js';

const BASE: MigrationSource = {
  name: '20260101000000_init',
  sql: `CREATE TYPE "Role" AS ENUM ('A', 'B');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "bio" TEXT, "age" INTEGER NOT NULL, "role" "Role" NOT NULL DEFAULT 'A', "score" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "authorId" INTEGER, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE INDEX "Post_title_idx" ON "Post"("title");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
`,
};

function history(...sqls: string[]) {
  const h = [BASE, ...sqls.map((sql, i) => ({ name: `2026010200000${i}_m${i}`, sql }))];
  return rewriteHistory(h, { select: (n) => n !== BASE.name });
}

function rewrite(sql: string) {
  return history(sql).at(-1)!;
}

const view = (text: string) => unmanagedView(parseSql(text)).parsed.statements.map((s) => s.text);

beforeAll(() => initParser());

describe('rewrite: DROP COLUMN deferred to contract', () => {
  it('defers the drop of a nullable column: inline where prisma-zd is not set up, queued where it is', () => {
    const sql = `-- AlterTable\nALTER TABLE "User" DROP COLUMN "bio";\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object, c.line, c.message])).toEqual([['defer-drop-column', '"User"."bio"', 2, 'column "User"."bio": dropped at contract']]);
    expect(r.text).toContain(`  IF to_regclass('prisma_zd.queue') IS NULL THEN\nALTER TABLE "User" DROP COLUMN "bio";\n  ELSE\n    INSERT INTO prisma_zd.queue`);
    expect(r.text).toContain(`$s$ALTER TABLE "User" DROP COLUMN "bio"$s$`);
    expect(r.text).not.toMatch(/SET DEFAULT|DROP NOT NULL/);
    expect(view(r.text)).toEqual(['ALTER TABLE "User" DROP COLUMN "bio"']);
    // Idempotent (I4).
    expect(rewriteHistory([BASE, { name: '20260102000000_m0', sql: r.text }], { select: () => true })[1]!.changed).toBe(false);
  });

  it('check finds nothing in the rewritten migration, and reports the original with rewrite as the fix', () => {
    const sqls = [`-- AlterTable\nALTER TABLE "User" DROP COLUMN "age",\nADD COLUMN     "about" TEXT;\n`, `ALTER TABLE "User" DROP COLUMN "bio";\n`];
    for (const sql of sqls) {
      const original = [BASE, { name: '20260102000000_m0', sql }];
      const before = checkHistory(original.map((m, i) => ({ ...m, report: i === 1 })), { execution: 'whole-file' }).diagnostics;
      expect(before.map((d) => [d.ruleId, d.fixedBy]), sql).toEqual([['ban-drop-column', 'rewrite']]);
      const rewritten = rewriteHistory(original, { select: () => true }).map((r) => ({ name: r.name, sql: r.text }));
      const after = checkHistory(rewritten.map((m, i) => ({ ...m, report: i === 1 })), { execution: 'whole-file' }).diagnostics;
      expect(after.map((d) => `${d.ruleId}: ${d.message}`), sql).toEqual([]);
    }
  });

  it('gives a required column without a default a placeholder of its type where prisma-zd is set up (the new app version inserts without it; old ones read it)', () => {
    const r = rewrite(`ALTER TABLE "User" DROP COLUMN "age";\n`);
    expect(r.changes.map((c) => c.message)).toEqual(['column "User"."age": dropped at contract (new rows get 0 until then)']);
    expect(r.text).toContain(`  ELSE\n    ALTER TABLE "User" ALTER COLUMN "age" SET DEFAULT 0;\n    INSERT INTO prisma_zd.queue`);
    expect(view(r.text)).toEqual(['ALTER TABLE "User" DROP COLUMN "age"']);
    // Text, an enum (its first value), an array, a timestamp.
    const placeholders = (ddl: string) => {
      const base = { name: '20260101000000_init', sql: `CREATE TYPE "E" AS ENUM ('x', 'y');\nCREATE TABLE "T" ("id" INTEGER NOT NULL, "c" ${ddl} NOT NULL);\n` };
      const out = rewriteHistory([base, { name: '20260102000000_m', sql: `ALTER TABLE "T" DROP COLUMN "c";\n` }], { select: (n) => n !== base.name });
      return /SET DEFAULT ([^;]+);|DROP NOT NULL/.exec(out[1]!.text)?.[1] ?? 'DROP NOT NULL';
    };
    expect(['TEXT', '"E"', 'TEXT[]', 'TIMESTAMP(3)', 'BOOLEAN', 'JSONB', 'UUID', 'DECIMAL(65,30)', 'TSVECTOR'].map(placeholders)).toEqual([
      "''",
      "'x'",
      "'{}'",
      'CURRENT_TIMESTAMP',
      'false',
      "'{}'",
      "'00000000-0000-0000-0000-000000000000'",
      '0',
      // A type without a placeholder: NULL is allowed instead.
      'DROP NOT NULL',
    ]);
    // A default already fills it: nothing to do.
    expect(rewrite(`ALTER TABLE "User" DROP COLUMN "score";\n`).text).not.toMatch(/SET DEFAULT|DROP NOT NULL/);
  });

  it('splits a statement that drops one column and adds another (Prisma renaming a field)', () => {
    const sql = `-- AlterTable\nALTER TABLE "User" DROP COLUMN "bio",\nADD COLUMN     "about" TEXT;\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => c.kind)).toEqual(['defer-drop-column']);
    expect(view(r.text)).toEqual(['ALTER TABLE "User" ADD COLUMN     "about" TEXT', 'ALTER TABLE "User" DROP COLUMN "bio"']);
  });

  it('queues the drop for contract, with the column type among what it depends on', () => {
    const h = [BASE, { name: '20260102000000_m0', sql: `ALTER TABLE "User" DROP COLUMN "role";\n` }];
    const pending = pendingAfter(rewriteHistory(h, { select: () => true }).map((r) => ({ name: r.name, sql: r.text })));
    expect(pending.map((e) => [e.kind, e.objectName, e.statement, e.dropColumn, e.dependsOn])).toEqual([
      ['contract', 'role', 'ALTER TABLE "User" DROP COLUMN "role"', true, ['"public"."Role"']],
    ]);
  });

  it('leaves alone a column something depends on, with the reason', () => {
    const cases: Array<[string, string]> = [
      [`ALTER TABLE "User" DROP COLUMN "email";\n`, 'index "User_email_key" depends on it'],
      [`ALTER TABLE "Post" DROP COLUMN "authorId";\n`, 'constraint "Post_authorId_fkey" depends on it'],
      [`ALTER TABLE "User" DROP COLUMN "id";\n`, 'the column draws from a sequence (serial or identity), which goes with it'],
      [`ALTER TABLE "User" DROP COLUMN "bio" CASCADE;\n`, 'CASCADE drops what depends on the column with it'],
      [`ALTER TABLE "User" DROP COLUMN "role";\nDROP TYPE "Role" CASCADE;\n`, 'line 2 drops enum "public"."Role", which the column uses'],
      [`ALTER TABLE "User" DROP COLUMN "role";\nALTER TYPE "Role" RENAME TO "Role_old";\n`, 'line 2 renames enum "public"."Role", which the column uses'],
      [`ALTER TABLE "User" DROP COLUMN "bio";\nALTER TABLE "User" ADD COLUMN "bio" INTEGER;\n`, 'line 2 adds column "public"."User"."bio" again'],
      [`ALTER TABLE "User" DROP COLUMN "bio";\nCREATE VIEW "V" AS SELECT * FROM "User";\n`, 'line 2 depends on the columns of "User" (a `*`, an INSERT without a column list, LIKE): the column must be gone by then'],
      [`ALTER TABLE "User" DROP COLUMN "bio";\nINSERT INTO "User" VALUES (1, 'a', 3, 'A', 0);\n`, 'line 2 depends on the columns of "User" (a `*`, an INSERT without a column list, LIKE): the column must be gone by then'],
      [`ALTER TABLE "User" DROP COLUMN "bio";\nDO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN "bio" INT', 'User'); END $$;\n`, 'what line 2 does to the schema is not known, and it may need the column gone'],
      [`ALTER TABLE "User" DROP COLUMN "bio";\nDO $$ BEGIN ALTER TABLE "User" ADD COLUMN "x" INT; END $$;\n`, 'what line 2 does to the schema is not known, and it may need the column gone'],
      [`ALTER TABLE "User" DROP COLUMN "bio";\nDO $$ BEGIN INSERT INTO "User" SELECT * FROM "User"; END $$;\n`, 'line 2 depends on the columns of "User" (a `*`, an INSERT without a column list, LIKE): the column must be gone by then'],
    ];
    for (const [sql, why] of cases) {
      const r = rewrite(sql);
      expect(r.changes.filter((c) => c.kind === 'defer-drop-column'), sql).toEqual([]);
      expect(r.notes.map((n) => n.message), sql).toContain(`left alone: DROP COLUMN ${/"(User|Post)"/.exec(sql)![0]}.${/DROP COLUMN ("[^"]+")/.exec(sql)![1]}: ${why}`);
    }
    // Harmless later statements: an INSERT naming its columns, an UPDATE, a plain SELECT *.
    const fine = rewrite(
      `ALTER TABLE "User" DROP COLUMN "bio";\nINSERT INTO "User" ("email", "age") VALUES ('a', 1);\nUPDATE "User" SET "score" = 1;\nSELECT * FROM "User";\n` +
        // A data migration's loop: its statements are read, and none depends on the column list.
        `DO $$ DECLARE r RECORD; BEGIN FOR r IN SELECT "id" FROM "User" LOOP UPDATE "User" SET "score" = r."id" WHERE "id" = r."id"; END LOOP; END $$;\n`,
    );
    expect(fine.changes.map((c) => c.kind)).toEqual(['defer-drop-column']);
  });

  it('defers the drop after Prisma dropped the foreign key and index on the column first', () => {
    const sql = `-- DropForeignKey\nALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\n\n-- AlterTable\nALTER TABLE "Post" DROP COLUMN "authorId";\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object])).toEqual([['defer-drop-column', '"Post"."authorId"']]);
  });

  it('maintains the queue in later migrations: the name taken again drops it first; the table renamed carries the entry; the table dropped cancels it', () => {
    const [, first, again] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `ALTER TABLE "User" ADD COLUMN "bio" INTEGER;\n`);
    expect(first!.changes.map((c) => c.kind)).toEqual(['defer-drop-column']);
    expect(again!.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'apply contract "bio"']]);
    expect(again!.text).toContain('ALTER TABLE "User" DROP COLUMN "bio"');

    const [, , renamed] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `ALTER TABLE "User" RENAME TO "Person";\n`);
    expect(renamed!.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'update contract "bio"']]);
    const afterRename = pendingAfter([BASE, { name: 'a', sql: history(`ALTER TABLE "User" DROP COLUMN "bio";\n`)[1]!.text }, { name: 'b', sql: `ALTER TABLE "User" RENAME TO "Person";\n` }]);
    expect(afterRename.map((e) => e.statement)).toEqual(['ALTER TABLE "Person" DROP COLUMN "bio"']);

    const [, , dropped] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `DROP TABLE "User" CASCADE;\n`);
    expect(dropped!.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'cancel contract "bio"']]);

    const [, , star] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `CREATE TABLE "Copy" AS SELECT * FROM "User";\n`);
    expect(star!.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'apply contract "bio"']]);

    const [, , unrelated] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `ALTER TABLE "User" ADD COLUMN "nick" TEXT;\nUPDATE "User" SET "nick" = "email";\n`);
    expect(unrelated!.changes).toEqual([]);
    // A later DO block: plain data statements leave the entry; one whose SQL is not known drops the column first.
    const [, , loop] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `DO $$ BEGIN UPDATE "User" SET "score" = 2; END $$;\n`);
    expect(loop!.changes).toEqual([]);
    const [, , dynamic] = history(`ALTER TABLE "User" DROP COLUMN "bio";\n`, `DO $$ BEGIN EXECUTE 'UPDATE "User" SET "score" = ' || 2; END $$;\n`);
    expect(dynamic!.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'apply contract "bio"']]);
  });

  it('moves the DROP TYPE of the removed field\'s enum to contract, after the column (Prisma removes an enum with its last field)', () => {
    const sql = `-- AlterTable\nALTER TABLE "User" DROP COLUMN "role";\n\n-- DropEnum\nDROP TYPE "Role";\n`;
    const r = rewrite(sql);
    expect(r.changes.map((c) => [c.kind, c.object, c.line])).toEqual([
      ['defer-drop-column', '"User"."role"', 2],
      ['defer-drop-type', '"Role"', 5],
    ]);
    expect(view(r.text)).toEqual(['ALTER TABLE "User" DROP COLUMN "role"', 'DROP TYPE "Role"']);
    const h = [BASE, { name: '20260102000000_m0', sql: r.text }];
    expect(rewriteHistory(h, { select: () => true })[1]!.changed).toBe(false);
    expect(pendingAfter(h).map((e) => [e.objectName, e.statement])).toEqual([
      ['role', 'ALTER TABLE "User" DROP COLUMN "role"'],
      ['Role', 'DROP TYPE "Role"'],
    ]);
    // A later migration that creates a type of that name drops the column, then the type, first.
    const [, , again] = history(sql, `CREATE TYPE "Role" AS ENUM ('X');\n`);
    expect(again!.changes.map((c) => [c.kind, c.object])).toEqual([['maintenance', 'apply contract "role", apply contract "Role"']]);
    // A type that another column still uses, or one dropped with CASCADE, stays: the column's drop stays with it.
    const cascade = rewrite(`ALTER TABLE "User" DROP COLUMN "role";\nDROP TYPE "Role" CASCADE;\n`);
    expect(cascade.changes).toEqual([]);
  });
});
