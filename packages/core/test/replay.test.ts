import { describe, expect, it } from 'vitest';
import { initParser, parseSql, replay, replayMigration, emptySchemaState } from '../src/index.js';
import { last, replaySql, touches } from './helpers.js';

await initParser();

const INIT = `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" TEXT NOT NULL,
    "title" VARCHAR(191) NOT NULL,
    "authorId" INTEGER NOT NULL,
    "score" DECIMAL(65,30),
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`;

describe('replay: what existed before vs what this migration created', () => {
  const facts = replaySql([
    INIT,
    `CREATE TABLE "Comment" ("id" TEXT NOT NULL, "postId" TEXT NOT NULL);
CREATE INDEX "Comment_postId_idx" ON "Comment"("postId");
CREATE INDEX "Post_title_idx" ON "Post"("title");
ALTER TABLE "Comment" ADD CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"("id");
ALTER TABLE "Post" ADD COLUMN "views" INTEGER NOT NULL DEFAULT 0;`,
  ]);
  const [m0, m1] = facts;

  it('models the first migration', () => {
    const user = m0!.after.tables.get('"public"."User"');
    expect(user?.columns.map((c) => [c.name, c.type.text, c.notNull, c.default])).toEqual([
      ['id', 'integer', true, `nextval('"User_id_seq"'::regclass)`],
      ['email', 'text', true, undefined],
      ['role', '"Role"', true, "'USER'"],
      ['createdAt', 'timestamp(3) without time zone', true, 'CURRENT_TIMESTAMP'],
    ]);
    expect(user?.columns[0]?.defaultSequence).toBe('"public"."User_id_seq"');
    expect(m0!.after.sequences.get('"public"."User_id_seq"')?.ownedBy).toEqual({ table: '"public"."User"', column: 'id' });
    expect(m0!.after.tables.get('"public"."Post"')?.columns.map((c) => c.type.text)).toEqual([
      'text',
      'character varying(191)',
      'integer',
      'numeric(65,30)',
    ]);
    expect(m0!.after.indexes.get('"public"."User_email_key"')).toMatchObject({
      table: '"public"."User"',
      unique: true,
      primary: false,
      keys: [{ column: 'email' }],
      partial: false,
      createdIn: 'm0',
    });
    expect(m0!.after.indexes.get('"public"."User_email_key"')?.constraint).toBeUndefined();
    expect(m0!.after.indexes.get('"public"."User_pkey"')).toMatchObject({ primary: true, constraint: 'User_pkey' });
    expect(m0!.after.tables.get('"public"."Post"')?.constraints.find((c) => c.contype === 'f')).toMatchObject({
      name: 'Post_authorId_fkey',
      columns: ['authorId'],
      references: { table: '"public"."User"', columns: ['id'] },
      onDelete: 'r',
      onUpdate: 'c',
      notValid: false,
    });
    expect(m0!.after.enums.get('"public"."Role"')?.values).toEqual(['USER', 'ADMIN']);
    expect(m0!.notUnderstood).toBe(0);
  });

  it('tells objects created in the migration from those that existed before', () => {
    expect(m1!.before).toBe(m0!.after);
    expect([...m1!.created.tables]).toEqual(['"public"."Comment"']);
    expect([...m1!.created.indexes]).toEqual(['"public"."Comment_postId_idx"', '"public"."Post_title_idx"']);
    expect([...m1!.created.columns]).toEqual(['"public"."Post"."views"', '"public"."Comment"."id"', '"public"."Comment"."postId"']);
    expect([...m1!.created.constraints]).toEqual(['"public"."Comment"."Comment_postId_fkey"']);
    expect(m1!.before.tables.has('"public"."Comment"')).toBe(false);
    expect(touches(m1!, 1)).toEqual([
      'alter table "public"."Comment" add-index [new]',
      'create index "public"."Comment_postId_idx" [new]',
    ]);
    expect(touches(m1!, 2)).toEqual([
      'alter table "public"."Post" add-index',
      'create index "public"."Post_title_idx" [new]',
    ]);
    expect(touches(m1!, 3)).toEqual([
      'alter table "public"."Comment" add-constraint [new]',
      'reference table "public"."Post"',
      'create constraint "public"."Comment"."Comment_postId_fkey" [new]',
    ]);
    expect(touches(m1!, 4)).toEqual([
      'alter table "public"."Post" add-column',
      'create column "public"."Post"."views" [new]',
    ]);
  });

  it('gives each statement the schema just before it', () => {
    expect(m1!.statements[0]!.before.tables.has('"public"."Comment"')).toBe(false);
    expect(m1!.statements[1]!.before.tables.has('"public"."Comment"')).toBe(true);
    expect(m1!.statements[2]!.before.indexes.has('"public"."Post_title_idx"')).toBe(false);
    expect(m1!.statements[3]!.before.indexes.has('"public"."Post_title_idx"')).toBe(true);
    // Snapshots are immutable: later statements never change an earlier snapshot.
    expect(m0!.after.tables.has('"public"."Comment"')).toBe(false);
  });

  it('counts a table dropped and re-created in the migration as created in it', () => {
    const [, again] = replaySql([INIT, 'DROP TABLE "Post"; CREATE TABLE "Post" ("id" TEXT); CREATE INDEX "Post_id_idx" ON "Post"("id");']);
    expect(again!.after.tables.get('"public"."Post"')?.createdIn).toBe('m1');
    expect(touches(again!, 2)[0]).toBe('alter table "public"."Post" add-index [new]');
  });
});

describe('replay: renames and drops', () => {
  it('follows a table rename: indexes, constraints, foreign keys elsewhere, creation migration', () => {
    const [, m1] = replaySql([INIT, 'ALTER TABLE "User" RENAME TO "Person";\nCREATE INDEX "Person_role_idx" ON "Person"("role");']);
    const person = m1!.after.tables.get('"public"."Person"');
    expect(m1!.after.tables.has('"public"."User"')).toBe(false);
    expect(person?.createdIn).toBe('m0');
    expect(person?.constraints.map((c) => c.name)).toEqual(['User_pkey']); // PostgreSQL keeps the old names
    expect(m1!.after.indexes.get('"public"."User_email_key"')?.table).toBe('"public"."Person"');
    expect(m1!.after.tables.get('"public"."Post"')?.constraints[1]?.references?.table).toBe('"public"."Person"');
    expect(m1!.after.sequences.get('"public"."User_id_seq"')?.ownedBy?.table).toBe('"public"."Person"');
    expect(touches(m1!, 0)).toEqual(['rename table "public"."User" -> "public"."Person"']);
    expect(touches(m1!, 1)[0]).toBe('alter table "public"."Person" add-index');
    expect(m1!.created.tables.size).toBe(0);
  });

  it('renames columns everywhere they are used', () => {
    const [, m1] = replaySql([INIT, 'ALTER TABLE "User" RENAME COLUMN "id" TO "userId";']);
    expect(m1!.after.indexes.get('"public"."User_pkey"')?.keys).toEqual([{ column: 'userId' }]);
    expect(m1!.after.tables.get('"public"."User"')?.constraints[0]?.columns).toEqual(['userId']);
    expect(m1!.after.tables.get('"public"."Post"')?.constraints[1]?.references?.columns).toEqual(['userId']);
    expect(m1!.after.sequences.get('"public"."User_id_seq"')?.ownedBy?.column).toBe('userId');
    expect(touches(m1!, 0)[1]).toBe('rename column "public"."User"."id" -> "public"."User"."userId"');
  });

  it('renames an index together with its constraint, and the other way round', () => {
    const [, m1] = replaySql([
      INIT,
      'ALTER INDEX "User_pkey" RENAME TO "User_pk";\nALTER TABLE "Post" RENAME CONSTRAINT "Post_pkey" TO "Post_pk";\nALTER INDEX "User_email_key" RENAME TO "User_email_uq";',
    ]);
    expect(m1!.after.tables.get('"public"."User"')?.constraints[0]).toMatchObject({ name: 'User_pk', index: '"public"."User_pk"' });
    expect(m1!.after.indexes.get('"public"."Post_pk"')?.constraint).toBe('Post_pk');
    expect(m1!.after.indexes.has('"public"."User_email_uq"')).toBe(true);
    expect(touches(m1!, 0)).toEqual([
      'rename index "public"."User_pkey" -> "public"."User_pk"',
      'rename constraint "public"."User"."User_pkey" -> "public"."User"."User_pk" (implicit)',
    ]);
  });

  it('drops what depends on a dropped column', () => {
    const [, m1] = replaySql([INIT, 'ALTER TABLE "User" DROP COLUMN "id";\nALTER TABLE "User" DROP COLUMN "email";']);
    const user = m1!.after.tables.get('"public"."User"');
    expect(user?.columns.map((c) => c.name)).toEqual(['role', 'createdAt']);
    expect(user?.constraints).toEqual([]);
    expect(m1!.after.indexes.has('"public"."User_pkey"')).toBe(false);
    expect(m1!.after.indexes.has('"public"."User_email_key"')).toBe(false);
    expect(m1!.after.sequences.size).toBe(0);
    expect(m1!.after.tables.get('"public"."Post"')?.constraints.map((c) => c.name)).toEqual(['Post_pkey']);
    expect(touches(m1!, 0)).toEqual([
      'alter table "public"."User" drop-column',
      'drop column "public"."User"."id"',
      'drop constraint "public"."User"."User_pkey" (implicit)',
      'drop index "public"."User_pkey" (implicit)',
      'drop constraint "public"."Post"."Post_authorId_fkey" (implicit)',
      'drop sequence "public"."User_id_seq" (implicit)',
    ]);
  });

  it('drops a table with its indexes, owned sequences and the foreign keys pointing at it (CASCADE)', () => {
    const [, m1] = replaySql([INIT, 'DROP TABLE "User" CASCADE;']);
    expect(m1!.after.tables.has('"public"."User"')).toBe(false);
    expect([...m1!.after.indexes.keys()]).toEqual(['"public"."Post_pkey"']);
    expect(m1!.after.sequences.size).toBe(0);
    expect(m1!.after.tables.get('"public"."Post"')?.constraints.map((c) => c.name)).toEqual(['Post_pkey']);
    expect(touches(m1!, 0)).toContain('drop constraint "public"."Post"."Post_authorId_fkey" (implicit)');
  });

  it('drops indexes, with IF EXISTS and CONCURRENTLY', () => {
    const [, m1] = replaySql([INIT, 'DROP INDEX CONCURRENTLY IF EXISTS "User_email_key";']);
    const [, m2] = replaySql([INIT, 'DROP INDEX IF EXISTS "nope";\nDROP INDEX "public"."User_email_key";']);
    expect(m1!.after.indexes.has('"public"."User_email_key"')).toBe(false);
    expect(touches(m1!, 0)).toEqual(['drop index "public"."User_email_key"']);
    expect(m2!.statements[0]!.notes).toEqual([]);
    expect(m2!.after.indexes.has('"public"."User_email_key"')).toBe(false);
  });

  it('moves a table to another schema with its indexes', () => {
    const [, m1] = replaySql([INIT, 'CREATE SCHEMA "archive";\nALTER TABLE "Post" SET SCHEMA "archive";']);
    expect(m1!.after.tables.has('"archive"."Post"')).toBe(true);
    expect(m1!.after.indexes.get('"archive"."Post_pkey"')?.table).toBe('"archive"."Post"');
    expect(m1!.after.tables.get('"archive"."Post"')?.constraints[0]?.index).toBe('"archive"."Post_pkey"');
    expect(touches(m1!, 1)).toEqual(['set-schema table "public"."Post" -> "archive"."Post"']);
  });
});

describe('replay: column changes and constraints', () => {
  it('tracks defaults, NOT NULL and types, split by sub-command', () => {
    const [, m1] = replaySql([
      INIT,
      `ALTER TABLE "Post" ALTER COLUMN "title" DROP NOT NULL, ALTER COLUMN "title" SET DEFAULT 'untitled', ALTER COLUMN "score" SET DATA TYPE DOUBLE PRECISION;
ALTER TABLE "User" ALTER COLUMN "createdAt" DROP DEFAULT;`,
    ]);
    const post = m1!.after.tables.get('"public"."Post"');
    expect(post?.columns.find((c) => c.name === 'title')).toMatchObject({ notNull: false, default: "'untitled'" });
    expect(post?.columns.find((c) => c.name === 'score')?.type.text).toBe('double precision');
    expect(m1!.after.tables.get('"public"."User"')?.columns.find((c) => c.name === 'createdAt')?.default).toBeUndefined();
    expect(touches(m1!, 0)).toEqual([
      'alter table "public"."Post" drop-not-null',
      'alter column "public"."Post"."title" drop-not-null',
      'alter table "public"."Post" set-default',
      'alter column "public"."Post"."title" set-default',
      'alter table "public"."Post" column-type',
      'alter column "public"."Post"."score" type',
    ]);
    expect(touches(m1!, 1)).toEqual([
      'alter table "public"."User" drop-default',
      'alter column "public"."User"."createdAt" drop-default',
    ]);
  });

  it('follows Prisma\'s enum swap', () => {
    const [, m1] = replaySql([
      INIT,
      `BEGIN;
CREATE TYPE "Role_new" AS ENUM ('USER', 'OWNER');
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
COMMIT;`,
    ]);
    expect([...m1!.after.enums.values()].map((e) => [e.name, e.values])).toEqual([['Role', ['USER', 'OWNER']]]);
    expect(m1!.after.tables.get('"public"."User"')?.columns.find((c) => c.name === 'role')).toMatchObject({
      type: { name: 'Role', schema: 'public', text: '"Role"' },
      default: "'USER'",
    });
    expect(m1!.notUnderstood).toBe(0);
    expect(m1!.statements.flatMap((s) => s.notes)).toEqual([]);
  });

  it('adds enum values in place and renames them', () => {
    const [, m1] = replaySql([
      INIT,
      "ALTER TYPE \"Role\" ADD VALUE 'GUEST' BEFORE 'ADMIN';\nALTER TYPE \"Role\" ADD VALUE IF NOT EXISTS 'USER';\nALTER TYPE \"Role\" RENAME VALUE 'ADMIN' TO 'ROOT';\nALTER TYPE \"Role\" ADD VALUE 'Z' AFTER 'USER';",
    ]);
    expect(m1!.after.enums.get('"public"."Role"')?.values).toEqual(['USER', 'Z', 'GUEST', 'ROOT']);
    expect(touches(m1!, 0)).toEqual(['alter enum "public"."Role" add-value']);
  });

  it('marks foreign keys added NOT VALID until validated', () => {
    const [, m1] = replaySql([
      INIT,
      'ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;',
    ]);
    const [, , m2] = replaySql([INIT, 'ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") NOT VALID;', 'ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";']);
    expect(m1!.after.tables.get('"public"."Post"')?.constraints.find((c) => c.contype === 'f')?.notValid).toBe(true);
    expect(m2!.after.tables.get('"public"."Post"')?.constraints.find((c) => c.contype === 'f')?.notValid).toBe(false);
    expect(touches(m2!, 0)).toEqual([
      'alter table "public"."Post" validate-constraint',
      'validate constraint "public"."Post"."Post_authorId_fkey"',
    ]);
  });

  it('records partial and expression indexes and partitioned tables', () => {
    const [m0] = replaySql([
      `CREATE TABLE "Event" ("id" INT, "at" DATE, "email" TEXT, PRIMARY KEY ("id", "at")) PARTITION BY RANGE ("at");
CREATE TABLE "Event_2024" PARTITION OF "Event" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE UNIQUE INDEX "Event_email_lower" ON "Event" (lower("email"), "at") WHERE "email" IS NOT NULL;`,
    ]);
    expect(m0!.after.tables.get('"public"."Event"')?.partitioned).toBe(true);
    expect(m0!.after.tables.get('"public"."Event_2024"')?.partitionOf).toBe('"public"."Event"');
    expect(m0!.after.indexes.get('"public"."Event_email_lower"')).toMatchObject({
      unique: true,
      partial: true,
      where: '"email" IS NOT NULL',
      keys: [{ expression: 'lower("email")' }, { column: 'at' }],
      columnsReferenced: ['email', 'at'],
    });
    expect([...m0!.after.indexes.keys()]).toEqual([
      '"public"."Event_pkey"',
      '"public"."Event_2024_pkey"',
      '"public"."Event_email_lower"',
      '"public"."Event_2024_lower_at_idx"', // named after the parent index's column "lower", as PostgreSQL does
    ]);
  });
});

describe('replay: what it does not understand', () => {
  it('flags DO blocks and function bodies as opaque and unknown statements as not understood', () => {
    const [m0] = replaySql([
      `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'x') THEN CREATE TYPE x AS ENUM ('a'); END IF; END $$;
CREATE FUNCTION touch() RETURNS trigger AS $fn$ BEGIN NEW.at = now(); RETURN NEW; END; $fn$ LANGUAGE plpgsql;
CREATE TABLE t (at timestamp);
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE PUBLICATION p FOR ALL TABLES;
CREATE FOREIGN DATA WRAPPER w;
UPDATE t SET at = now();`,
    ]);
    const s = m0!.statements;
    expect(s.map((x) => [x.kind, x.understood, x.opaque])).toEqual([
      ['DoStmt', false, 'do-block'],
      ['CreateFunctionStmt', true, 'function-body'],
      ['CreateStmt', true, undefined],
      ['CreateTrigStmt', true, undefined],
      ['CreatePublicationStmt', true, undefined],
      ['CreateFdwStmt', false, undefined],
      ['UpdateStmt', true, undefined],
    ]);
    expect(m0!.notUnderstood).toBe(2);
    expect(m0!.after.functions.has('"public"."touch"')).toBe(true);
    expect(m0!.after.tables.get('"public"."t"')?.triggers).toEqual(['t_touch']);
    expect(touches(m0!, 6)).toEqual(['write table "public"."t" [new]']);
  });

  it('notes statements about objects it does not know, without failing', () => {
    const [m0] = replaySql(['ALTER TABLE "Ghost" ADD COLUMN "x" INT;\nCREATE INDEX "g" ON "Ghost"("x");\nALTER TABLE IF EXISTS "Ghost" DROP COLUMN "x";']);
    expect(m0!.statements.map((s) => s.understood)).toEqual([false, false, true]);
    expect(m0!.statements[0]!.notes).toEqual(['table "Ghost" is not in the replayed schema']);
  });

  it('replays only the statements before a syntax error and says so', () => {
    const [m0] = replay([{ name: 'bad', parsed: parseSql('CREATE TABLE a (id int);\nCREATE TABL b ();') }]);
    expect(m0!.parseError).toBe('syntax error at or near "TABL" (line 2, column 8)');
    expect(m0!.after.tables.has('"public"."a"')).toBe(true);
  });
});

describe('replay: search_path, schemas and temporary tables', () => {
  it('resolves unqualified names through SET search_path for the rest of the migration', () => {
    const [m0, m1] = replaySql([
      'CREATE SCHEMA app;\nSET search_path TO app, public;\nCREATE TABLE t (id int);\nCREATE TABLE public.u (id int);',
      'CREATE TABLE t (id int);',
    ]);
    expect([...m0!.after.tables.keys()]).toEqual(['"app"."t"', '"public"."u"']);
    expect(m1!.after.tables.has('"public"."t"')).toBe(true);
  });

  it('uses the defaultSchema option', () => {
    const [m0] = replaySql(['CREATE TABLE t (id int);'], { defaultSchema: 'tenant' });
    expect([...m0!.after.tables.keys()]).toEqual(['"tenant"."t"']);
  });

  it('keeps temporary tables out of the schema after the migration', () => {
    const [m0] = replaySql([
      'CREATE TABLE t (id int);\nCREATE TEMP TABLE scratch (id int);\nINSERT INTO scratch SELECT id FROM t;\nSELECT * INTO TEMP TABLE more FROM t;\nDROP TABLE scratch;',
    ]);
    expect([...m0!.after.tables.keys()]).toEqual(['"public"."t"']);
    expect(m0!.statements.map((s) => s.understood)).toEqual([true, true, true, true, true]);
    expect(m0!.statements[3]!.touches.map((t) => `${t.action} ${t.key}`)).toEqual(['create "pg_temp"."more"']);
  });

  it('replays one migration on a given state', () => {
    const f = replayMigration(emptySchemaState(), { name: 'x', parsed: parseSql('CREATE TABLE t (id int);') });
    expect(f.after.tables.get('"public"."t"')?.createdIn).toBe('x');
  });
});
