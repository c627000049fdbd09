import { describe, expect, it } from 'vitest';
import { replay } from '../facts/replay.js';
import { parseSql, initParser } from '../sql/parse.js';
import { conditionalBlock, maintenanceBlock } from '../zd/blocks.js';
import { statementLocks, strongerLock } from './locks.js';

await initParser();

/** `table mode (what)[ cost]` for each lock of each statement of `sql`. */
function locks(sql: string, history: string[] = []): string[][] {
  const facts = replay([...history, sql].map((text, i) => ({ name: `m${i}`, parsed: parseSql(text) })));
  const last = facts[facts.length - 1]!;
  return parseSql(sql).statements.map((s) => {
    const r = statementLocks(s, { before: last.statements[s.index]!.before, migration: `m${history.length}` });
    const out = r.locks.map((l) => `${l.name} ${l.mode} (${l.what})${l.cost ? ` ${l.cost}` : ''}`);
    if (r.zd) out.push(`zd:${r.zd.role}`);
    if (r.opaque) out.push(`opaque: ${r.opaque}`);
    return out;
  });
}

const BASE = `CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT);
CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "authorId" INTEGER, "title" TEXT);
CREATE INDEX "Post_title_idx" ON "Post"("title");`;

describe('statementLocks', () => {
  it('reads what Prisma generates', () => {
    expect(
      locks(
        `CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
CREATE INDEX CONCURRENTLY "Post_x_idx" ON "Post"("title");
ALTER TABLE "Post" ADD COLUMN "views" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Post" ALTER COLUMN "title" DROP DEFAULT;
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";
ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE VARCHAR(10);
DROP INDEX "Post_title_idx";
CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY, "postId" INTEGER REFERENCES "Post"("id"));
INSERT INTO "Tag" ("postId") SELECT "id" FROM "Post";`,
        [BASE],
      ),
    ).toEqual([
      ['Post SHARE (CREATE INDEX) build'],
      ['Post SHARE UPDATE EXCLUSIVE (CREATE INDEX CONCURRENTLY) build'],
      ['Post ACCESS EXCLUSIVE (ADD COLUMN)'],
      ['Post ACCESS EXCLUSIVE (DROP DEFAULT)'],
      ['Post SHARE ROW EXCLUSIVE (ADD FOREIGN KEY) scan', 'User SHARE ROW EXCLUSIVE (referenced by a foreign key) scan'],
      ['Post SHARE UPDATE EXCLUSIVE (VALIDATE CONSTRAINT) scan'],
      ['Post ACCESS EXCLUSIVE (ALTER COLUMN TYPE) rewrite'],
      ['Post ACCESS EXCLUSIVE (DROP INDEX)'],
      ['Post SHARE ROW EXCLUSIVE (referenced by a foreign key)'],
      ['Tag ROW EXCLUSIVE (INSERT)'],
    ]);
  });

  it('takes the strongest lock per table of a multi-command ALTER TABLE', () => {
    expect(locks(`ALTER TABLE "Post" VALIDATE CONSTRAINT "x", ADD COLUMN "y" uuid DEFAULT gen_random_uuid();`, [BASE])).toEqual([
      ['Post ACCESS EXCLUSIVE (ADD COLUMN) rewrite'],
    ]);
  });

  it('describes prisma-zd blocks by their managed branch', () => {
    const entry = { kind: 'index' as const, migration: 'm1', objectName: 'Post_authorId_idx', tableName: 'Post', columns: ['authorId'], statement: 'CREATE INDEX "Post_authorId_idx" ON "Post"("authorId")' };
    const sql = [
      conditionalBlock('postpone', entry.statement, entry),
      maintenanceBlock(
        [{ op: 'apply', kind: 'index', objectName: 'Post_title_idx', tableName: 'Post', statement: 'CREATE INDEX "Post_title_idx" ON "Post"("title")', reason: 'needed' }],
        'ALTER TABLE "Post" ADD CONSTRAINT "u" UNIQUE USING INDEX "Post_title_idx"', // runs after the block, as its own statement
      ),
    ].join(';\n') + ';';
    expect(locks(sql, [BASE])).toEqual([['zd:postpone'], ['Post ACCESS EXCLUSIVE (DROP INDEX) build', 'zd:maintain']]);
  });

  it('other statements', () => {
    expect(
      locks(
        `LOCK TABLE "Post" IN SHARE MODE;
TRUNCATE "Tag";
DROP TABLE "Tag";
ALTER TABLE "Post" RENAME COLUMN "title" TO "name";
ALTER INDEX "Post_title_idx" RENAME TO "Post_name_idx";
DROP INDEX CONCURRENTLY "Post_name_idx";
VACUUM "Post";
DO $$ BEGIN PERFORM 1; END $$;
CREATE TYPE "E" AS ENUM ('a');`,
        [BASE, `CREATE TABLE "Tag" ("id" INTEGER);`],
      ),
    ).toEqual([
      ['Post SHARE (LOCK TABLE)'],
      ['Tag ACCESS EXCLUSIVE (TRUNCATE)'],
      ['Tag ACCESS EXCLUSIVE (DROP TABLE)'],
      ['Post ACCESS EXCLUSIVE (RENAME COLUMN)'],
      ['Post_title_idx SHARE UPDATE EXCLUSIVE (RENAME INDEX)'],
      ['Post SHARE UPDATE EXCLUSIVE (DROP INDEX CONCURRENTLY)'],
      ['Post SHARE UPDATE EXCLUSIVE (VACUUM) scan'],
      ['opaque: a DO block (its statements are not analysed)'],
      [],
    ]);
  });

  // Each of these is measured on a real server in test/check/locks-empirical.test.ts.
  it('reads the foreign keys, types and constraints of the replayed schema', () => {
    const fk = `ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");`;
    // Each statement on its own, after the same history.
    const each = (...statements: string[]) => statements.map((sql) => locks(sql, [BASE, fk])[0]);
    expect(
      each(
        `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";`,
        `ALTER TABLE "Post" DROP COLUMN "authorId";`,
        `ALTER TABLE "Post" ALTER COLUMN "authorId" SET DATA TYPE BIGINT;`,
        `ALTER TABLE "User" ALTER COLUMN "id" SET DATA TYPE BIGINT;`,
        `ALTER TABLE "Post" ALTER COLUMN "authorId" SET DATA TYPE INTEGER;`,
        `ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE VARCHAR(10);`,
        `ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE TEXT USING lower("title");`,
        `DROP TABLE "Post";`,
        `DROP TABLE "User" CASCADE;`,
        `ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;`,
        `ALTER TABLE "User" ALTER COLUMN "id" SET NOT NULL;`,
      ),
    ).toEqual([
      ['Post ACCESS EXCLUSIVE (DROP CONSTRAINT)', 'User ACCESS EXCLUSIVE (referenced by a dropped foreign key)'],
      ['Post ACCESS EXCLUSIVE (DROP COLUMN)', 'User ACCESS EXCLUSIVE (referenced by a dropped foreign key)'],
      ['Post ACCESS EXCLUSIVE (ALTER COLUMN TYPE) rewrite', 'User ACCESS EXCLUSIVE (foreign key rebuilt by ALTER COLUMN TYPE) scan'],
      ['User ACCESS EXCLUSIVE (ALTER COLUMN TYPE) rewrite', 'Post ACCESS EXCLUSIVE (foreign key rebuilt by ALTER COLUMN TYPE) scan'],
      ['Post ACCESS EXCLUSIVE (ALTER COLUMN TYPE)', 'User ACCESS EXCLUSIVE (foreign key rebuilt by ALTER COLUMN TYPE)'],
      ['Post ACCESS EXCLUSIVE (ALTER COLUMN TYPE) rewrite'],
      ['Post ACCESS EXCLUSIVE (ALTER COLUMN TYPE) rewrite'],
      ['Post ACCESS EXCLUSIVE (DROP TABLE)', 'User ACCESS EXCLUSIVE (referenced by a dropped foreign key)'],
      ['User ACCESS EXCLUSIVE (DROP TABLE)', 'Post ACCESS EXCLUSIVE (its foreign key is dropped)'],
      ['User ACCESS EXCLUSIVE (SET NOT NULL) scan'],
      ['User ACCESS EXCLUSIVE (SET NOT NULL)'],
    ]);
  });

  it('checks no rows of a table the migration created', () => {
    expect(
      locks(
        `CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY, "postId" INTEGER);
ALTER TABLE "Tag" ADD CONSTRAINT "Tag_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id");
CREATE INDEX "Tag_postId_idx" ON "Tag"("postId");
ALTER TABLE "Post" ADD COLUMN "editorId" INTEGER;
ALTER TABLE "Post" ADD CONSTRAINT "Post_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"("id");`,
        [BASE],
      ),
    ).toEqual([
      [],
      ['Tag SHARE ROW EXCLUSIVE (ADD FOREIGN KEY)', 'Post SHARE ROW EXCLUSIVE (referenced by a foreign key)'],
      ['Tag SHARE (CREATE INDEX)'],
      ['Post ACCESS EXCLUSIVE (ADD COLUMN)'],
      // Every "editorId" is NULL: "Post" is scanned, "User" never looked up.
      ['Post SHARE ROW EXCLUSIVE (ADD FOREIGN KEY) scan', 'User SHARE ROW EXCLUSIVE (referenced by a foreign key)'],
    ]);
  });

  it('orders modes', () => {
    expect(strongerLock('SHARE', 'ACCESS EXCLUSIVE')).toBe('ACCESS EXCLUSIVE');
    expect(strongerLock('SHARE UPDATE EXCLUSIVE', 'ROW EXCLUSIVE')).toBe('SHARE UPDATE EXCLUSIVE');
  });
});
