/**
 * `rewrite` and pending-work tracking under a search_path the migration sets
 * (`SET [LOCAL] search_path`, `set_config('search_path', …)`): unqualified names resolve
 * with the path each statement was read with, as the replay records it, and what the
 * queue runs later (in another session) runs in the schema the original statement would
 * have used.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, parseSql } from '../sql/parse.js';
import { pendingHistory, rewriteHistory, type MigrationSource } from './rewrite.js';
import { unmanagedView } from './view.js';

/** `app."T"` and `app."User"` exist; so does a `public."Post"` (the default schema's own table). */
const INIT: MigrationSource = {
  name: '20260101000000_init',
  sql:
    `CREATE SCHEMA "app";\n` +
    `CREATE TABLE "app"."T" ("id" SERIAL NOT NULL, "c" TEXT, "d" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "T_pkey" PRIMARY KEY ("id"));\n` +
    `CREATE TABLE "app"."User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n` +
    `CREATE TABLE "app"."Post" ("id" SERIAL NOT NULL, "authorEmail" TEXT, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));\n` +
    `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n` +
    `CREATE TABLE "Post" ("id" SERIAL NOT NULL, "authorEmail" TEXT, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));\n`,
};

function history(...sqls: string[]): MigrationSource[] {
  return [INIT, ...sqls.map((sql, i) => ({ name: `2026010200000${i}_m${i}`, sql }))];
}

/** Every migration but INIT rewritten; the rewrites, and the work pending after the rewritten history. */
function run(...sqls: string[]) {
  const h = history(...sqls);
  const rewritten = rewriteHistory(h, { select: (n) => n !== INIT.name });
  const sources = h.map((m, i) => ({ name: m.name, sql: rewritten[i]!.text }));
  return { rewritten: rewritten.slice(1), ...pendingHistory(sources) };
}

const kinds = (r: { changes: Array<{ kind: string; object: string }> }) => r.changes.map((c) => [c.kind, c.object]);

beforeAll(() => initParser());

describe('rewrite under a search_path set by the migration', () => {
  for (const set of [`SET search_path TO app;`, `SET LOCAL search_path = "app";`, `SELECT set_config('search_path', 'app', true);`]) {
    it(`postpones CREATE INDEX on an existing table of that schema (${set})`, () => {
      const { rewritten, pending } = run(`${set}\nCREATE INDEX "T_c_idx" ON "T"("c");\n`);
      expect(kinds(rewritten[0]!)).toEqual([['postpone-index', '"T_c_idx"']]);
      expect(pending.map((p) => [p.key, p.tableKey])).toEqual([['"app"."T_c_idx"', '"app"."T"']]);
      // Unmanaged databases still run the original statement, under the same SET.
      expect(unmanagedView(parseSql(rewritten[0]!.text)).parsed.statements.map((s) => s.text)).toEqual([
        set.slice(0, -1),
        'CREATE INDEX "T_c_idx" ON "T"("c")',
      ]);
    });
  }

  it('leaves an index on a table the migration creates in the set schema, even when the default schema has one of that name', () => {
    const { rewritten, pending } = run(`SET search_path TO app;\nCREATE TABLE "User2" ("id" INT);\nCREATE TABLE "Tag" ("id" INT, "name" TEXT);\nCREATE INDEX "Post_id_idx" ON "Post"("id");\nDROP TABLE "Post";\nCREATE TABLE "Post" ("id" INT);\nCREATE INDEX "Post_id2_idx" ON "Post"("id");\n`);
    // app."Post" existed: its first index is postponed; the re-created app."Post" is new (public."Post" is not it).
    expect(kinds(rewritten[0]!)).toEqual([['postpone-index', '"Post_id_idx"'], ['maintenance', 'cancel index "Post_id_idx"']]);
    expect(pending).toEqual([]);
  });

  it('an index after RESET search_path is on the default schema again', () => {
    const { pending } = run(`SET search_path TO app;\nRESET search_path;\nCREATE INDEX "User_email_idx" ON "User"("email");\n`);
    expect(pending.map((p) => p.tableKey)).toEqual(['"public"."User"']);
  });

  it('defers DROP DEFAULT on a column of the set schema, and the queued statement names that schema', () => {
    const { rewritten, pending } = run(`SET search_path TO app;\nALTER TABLE "T" ALTER COLUMN "d" DROP DEFAULT;\n`);
    expect(kinds(rewritten[0]!)).toEqual([['defer-drop-default', '"T"."d"']]);
    expect(pending.map((p) => [p.kind, p.key, p.statement])).toEqual([
      ['contract', '"app"."T"."d"', 'ALTER TABLE "app"."T" ALTER COLUMN "d" DROP DEFAULT'],
    ]);
    // The block records the table's schema as the replay resolved it.
    expect(rewritten[0]!.text).toContain(`VALUES ('contract', '20260102000000_m0', 'app', 'T', 'd'`);
  });

  it('leaves a DROP DEFAULT inline when a later statement of the migration changes the column through the set path', () => {
    const { rewritten } = run(`SET search_path TO app;\nALTER TABLE "T" ALTER COLUMN "d" DROP DEFAULT;\nALTER TABLE "T" ALTER COLUMN "d" TYPE BIGINT;\n`);
    expect(rewritten[0]!.changed).toBe(false);
  });

  it('adds a foreign key NOT VALID on a table of the set schema and validates it later there', () => {
    const { rewritten, pending } = run(`SET search_path TO app;\nALTER TABLE "Post" ADD CONSTRAINT "Post_author_fkey" FOREIGN KEY ("id") REFERENCES "User"("id");\n`);
    expect(kinds(rewritten[0]!)).toEqual([['validate-later', '"Post_author_fkey"']]);
    expect(pending.map((p) => [p.tableKey, p.statement])).toEqual([['"app"."Post"', 'ALTER TABLE "app"."Post" VALIDATE CONSTRAINT "Post_author_fkey"']]);
  });
});

describe('rewrite and the queue under each execution', () => {
  // Run statement by statement (a driver adapter that runs them one by one), a SET LOCAL outside
  // BEGIN … COMMIT does nothing: the index is on public."User", as the migration itself builds it.
  const sql = `SET LOCAL search_path = "app";\nCREATE INDEX "User_email_idx" ON "User"("email");\n`;
  for (const [execution, table] of [['whole-file', '"app"."User"'], ['unknown', '"app"."User"'], ['per-statement', '"public"."User"']] as const) {
    it(`${execution}: queues the index on ${table}, and the queue's reading of the history agrees`, () => {
      const h = history(sql);
      const rewritten = rewriteHistory(h, { select: (n) => n !== INIT.name, execution });
      expect(kinds(rewritten[1]!)).toEqual([['postpone-index', '"User_email_idx"']]);
      const sources = h.map((m, i) => ({ name: m.name, sql: rewritten[i]!.text }));
      expect(pendingHistory(sources, 'public', execution).pending.map((p) => p.tableKey)).toEqual([table]);
    });
  }
});

describe('pending-work maintenance under a search_path set by the migration', () => {
  const APP_INDEX = `SET search_path TO app;\nCREATE INDEX "T_c_idx" ON "T"("c");\n`;

  it('cancels a pending index when a later migration drops its table through the set path', () => {
    const { rewritten, pending, removed } = run(APP_INDEX, `SET search_path TO app;\nDROP TABLE "T";\n`);
    expect(kinds(rewritten[1]!)).toEqual([['maintenance', 'cancel index "T_c_idx"']]);
    // The entry is matched in its own schema, not by the path of the statement that maintains it.
    expect(rewritten[1]!.text).toContain(`AND table_schema = 'app' AND status IN ('pending', 'failed')`);
    expect(pending).toEqual([]);
    expect(removed.map((r) => r.entry.objectName)).toEqual(['T_c_idx']);
  });

  it('cancels the pending index when a later migration on the default path drops app."T" by its qualified name', () => {
    const { rewritten } = run(APP_INDEX, `DROP TABLE "app"."T";\n`);
    expect(kinds(rewritten[1]!)).toEqual([['maintenance', 'cancel index "T_c_idx"']]);
    expect(rewritten[1]!.text).toContain(`AND table_schema = 'app' AND status IN ('pending', 'failed')`);
  });

  it('does not touch the pending app index when a later migration on the default path drops public."T"-less names', () => {
    const { rewritten, pending } = run(APP_INDEX, `DROP TABLE "Post";\n`);
    expect(rewritten[1]!.changed).toBe(false);
    expect(pending.map((p) => p.objectName)).toEqual(['T_c_idx']);
  });

  it('builds a pending unique index before a foreign key onto it, referenced through the set path', () => {
    const { rewritten } = run(
      `SET search_path TO app;\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`,
      `SET search_path TO app;\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES "User"("email");\n`,
    );
    expect(kinds(rewritten[1]!)).toEqual([
      ['maintenance', 'apply index "User_email_key"'],
      ['validate-later', '"Post_authorEmail_fkey"'],
    ]);
  });

  it('a foreign key onto public."User" under the app path does not build the app index of the same name and columns', () => {
    const { rewritten } = run(
      `SET search_path TO app;\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`,
      `SET search_path TO app;\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES public."User"("email");\n`,
    );
    expect(kinds(rewritten[1]!)).toEqual([['validate-later', '"Post_authorEmail_fkey"']]);
  });

  it('builds a pending index of the default schema, needed under a set path, with the search_path it was queued with', () => {
    const { rewritten } = run(
      `CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`,
      `SET search_path TO app;\nALTER TABLE public."Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES public."User"("email");\n`,
    );
    const text = rewritten[1]!.text;
    expect(kinds(rewritten[1]!)).toEqual([
      ['maintenance', 'apply index "User_email_key"'],
      ['validate-later', '"Post_authorEmail_fkey"'],
    ]);
    // Matched in public (not `current_schemas(false)`, which is app here), and built with the entry's own search_path.
    expect(text).toContain(`AND table_schema = 'public' AND status IN ('pending', 'failed')`);
    expect(text).not.toContain('current_schemas(false)');
    expect(text).toMatch(/set_config\('search_path', COALESCE\(\(SELECT search_path FROM prisma_zd\.queue WHERE [^)]*'User_email_key'/);
    expect(text.indexOf(`set_config('search_path', COALESCE((SELECT`)).toBeLessThan(text.indexOf('CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n'));
  });

  it('builds a pending index of the set schema, needed by a later migration on the default path, with the search_path it was queued with', () => {
    const { rewritten } = run(
      `SET search_path TO app;\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`,
      `ALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES app."User"("email");\n`,
    );
    const text = rewritten[1]!.text;
    expect(kinds(rewritten[1]!)).toEqual([
      ['maintenance', 'apply index "User_email_key"'],
      ['validate-later', '"Post_authorEmail_fkey"'],
    ]);
    expect(text).toContain(`AND table_schema = 'app' AND status IN ('pending', 'failed')`);
    expect(text).toMatch(/set_config\('search_path', COALESCE\(\(SELECT search_path FROM prisma_zd\.queue WHERE [^)]*'User_email_key'/);
  });

  it('applies a deferred DROP DEFAULT of the set schema before a later type change of the column there', () => {
    const { rewritten, pending } = run(`SET search_path TO app;\nALTER TABLE "T" ALTER COLUMN "d" DROP DEFAULT;\n`, `ALTER TABLE app."T" ALTER COLUMN "d" TYPE BIGINT;\n`);
    expect(kinds(rewritten[1]!)).toEqual([['maintenance', 'apply contract "d"']]);
    expect(rewritten[1]!.text).toContain(`AND table_schema = 'app' AND status IN ('pending', 'failed')) THEN`);
    expect(rewritten[1]!.text).toContain(`ALTER TABLE "app"."T" ALTER COLUMN "d" DROP DEFAULT;\n`);
    expect(pending).toEqual([]);
  });

  it('reads its own blocks back under the set path: a second run changes nothing and tracks the same work', () => {
    const first = run(APP_INDEX, `SET search_path TO app;\nALTER TABLE "T" ALTER COLUMN "d" DROP DEFAULT;\n`);
    const again = rewriteHistory(
      [INIT, ...first.rewritten.map((r) => ({ name: r.name, sql: r.text }))],
      { select: (n) => n !== INIT.name },
    );
    expect(again.slice(1).map((r) => r.changed)).toEqual([false, false]);
    expect(first.pending.map((p) => [p.kind, p.key, p.statement])).toEqual([
      ['index', '"app"."T_c_idx"', 'CREATE INDEX "T_c_idx" ON "T"("c")'],
      ['contract', '"app"."T"."d"', 'ALTER TABLE "app"."T" ALTER COLUMN "d" DROP DEFAULT'],
    ]);
  });
});
