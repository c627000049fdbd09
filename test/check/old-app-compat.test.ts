/*
 * Old app compatibility, measured (I3). For each common Prisma schema change, the migration
 * Prisma writes for it (or the usual hand-written one) is rewritten by prisma-zd and applied
 * to a managed database holding data, as `prisma-zd deploy` does; then the OLD app version's
 * queries run as Prisma Client 6 sends them (every scalar column named, parameters typed as
 * the old model's fields) — after the migration (queue pending), after `postponed run`, and
 * after `contract`. What fails is compared with `prisma-zd check` on the original migration:
 * a change that breaks the old app before `contract` needs a finding that says old app
 * versions break; one that breaks only after `contract` needs such a finding fixed by
 * `rewrite`; a change that breaks nothing must not have one.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory, initParser, rewriteHistory, type Diagnostic } from '../../packages/core/src/index.js';
import { runContract } from '../../packages/cli/src/queue/contract.js';
import { runPostponed } from '../../packages/cli/src/queue/runner.js';
import { installSchema } from '../../packages/cli/src/queue/schema.js';
import { applyLikePrisma, withConnection } from '../support/apply.js';
import { freshDatabase, templateDatabase } from '../support/db.js';
import { writeMigrationsFolder } from '../support/managed.js';

const BASE_NAME = '20260101000000_init';
const CHANGE_NAME = '20260102000000_change';

/** The old app's schema.prisma, as Prisma 6.19 migrates it. */
const BASE_SQL = `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN', 'GUEST');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "age" INTEGER NOT NULL,
    "bio" TEXT,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Tag" (
    "id" TEXT NOT NULL,
    "label" TEXT NOT NULL,

    CONSTRAINT "Tag_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`;

/** Rows: users 1-3 have posts, 4 is updated, 8 cleared, 5-7 deleted (one per phase); no user has role GUEST; every name is set and unique. */
const DATA_SQL = `
INSERT INTO "User" ("email", "name", "age", "bio", "role") VALUES
  ('u1@x.io', 'Ann', 21, 'bio', 'ADMIN'), ('u2@x.io', 'Bob', 22, NULL, 'USER'), ('u3@x.io', 'Cy', 23, 'bio', 'USER'),
  ('u4@x.io', 'Dee', 24, NULL, 'USER'), ('u5@x.io', 'Eve', 25, NULL, 'USER'), ('u6@x.io', 'Fay', 26, NULL, 'USER'),
  ('u7@x.io', 'Gus', 27, NULL, 'USER'), ('u8@x.io', 'Hal', 28, NULL, 'USER');
INSERT INTO "Post" ("title", "authorId", "updatedAt") VALUES
  ('p1', 1, now()), ('p2', 1, now()), ('p3', 2, now()), ('p4', 2, now()), ('p5', 3, now()), ('p6', 3, now());
INSERT INTO "Tag" ("id", "label") VALUES
  ('t1', 'a'), ('t2', 'b'), ('t3', 'c'), ('t4', 'd'), ('t5', 'e'), ('t6', 'f');
`;

// ---------------------------------------------------------------------------------------
// The old app: its models, and the queries Prisma Client 6 sends for them.

type ScalarType = 'Int' | 'String' | 'Boolean' | 'DateTime' | 'Role';
interface Field {
  readonly name: string;
  readonly type: ScalarType;
  readonly optional?: boolean;
  readonly id?: boolean;
  /** `@default(autoincrement())` / `dbgenerated(…)`: the database fills it in, the client leaves the column out of INSERTs. */
  readonly dbDefault?: boolean;
  /**
   * `@default(uuid())`, `@updatedAt`: the client makes the value and sends it. `static`: a
   * constant or `now()` @default, which Prisma Client also evaluates and sends itself in a
   * create that gives none (seen in its query log: test/deploy/live-load.test.ts).
   */
  readonly clientDefault?: 'uuid' | 'updatedAt' | 'static';
}
interface Model {
  readonly table: string;
  readonly fields: readonly Field[];
}

const ROLE_VALUES = ['USER', 'ADMIN', 'GUEST'];

const OLD_MODELS: readonly Model[] = [
  {
    table: 'User',
    fields: [
      { name: 'id', type: 'Int', id: true, dbDefault: true },
      { name: 'email', type: 'String' },
      { name: 'name', type: 'String', optional: true },
      { name: 'age', type: 'Int' },
      { name: 'bio', type: 'String', optional: true },
      { name: 'role', type: 'Role', clientDefault: 'static' },
      { name: 'active', type: 'Boolean', clientDefault: 'static' },
      { name: 'createdAt', type: 'DateTime', clientDefault: 'static' },
    ],
  },
  {
    table: 'Post',
    fields: [
      { name: 'id', type: 'Int', id: true, dbDefault: true },
      { name: 'title', type: 'String' },
      { name: 'authorId', type: 'Int' },
      { name: 'updatedAt', type: 'DateTime', clientDefault: 'updatedAt' },
    ],
  },
  {
    table: 'Tag',
    fields: [
      { name: 'id', type: 'String', id: true, clientDefault: 'uuid' },
      { name: 'label', type: 'String' },
    ],
  },
];

type Phase = 'migrated' | 'postponed' | 'contracted';
const PHASE_NO: Record<Phase, number> = { migrated: 0, postponed: 1, contracted: 2 };

/** Which row each query touches, per table. */
const ROWS: Record<string, { update: unknown; clear?: unknown; delete: unknown[]; where: Record<string, unknown> }> = {
  User: { update: 4, clear: 8, delete: [5, 6, 7], where: { email: 'u1@x.io', name: 'Ann', age: 21, bio: 'bio', active: true, createdAt: new Date('2020-01-01') } },
  Post: { update: 1, delete: [4, 5, 6], where: { title: 'p1', authorId: 1, updatedAt: new Date('2020-01-01') } },
  Tag: { update: 't1', delete: ['t4', 't5', 't6'], where: { label: 'a' } },
};

/** The value the old app writes into a field (create and update). */
function written(model: Model, f: Field, phase: Phase, op: 'create' | 'update'): unknown {
  if (f.clientDefault === 'uuid') return randomUUID();
  // The app gives none: the client sends the @default value.
  if (f.clientDefault === 'static' && op === 'create') return f.type === 'Role' ? 'USER' : f.type === 'Boolean' ? true : new Date();
  if (f.type === 'DateTime') return new Date();
  if (f.type === 'Boolean') return false;
  if (f.type === 'Int') return f.name === 'authorId' ? 2 : 40 + PHASE_NO[phase];
  if (f.type === 'Role') return 'GUEST';
  // Emails longer than 20 characters; the name of another user (not unique in the old schema).
  if (f.name === 'email') return `old-app-${op}-${phase}@example.com`;
  if (f.name === 'name') return 'Ann';
  return `old ${model.table}.${f.name} ${op} ${phase}`;
}

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const col = (m: Model, f: Field) => `${q('public')}.${q(m.table)}.${q(f.name)}`;
const SQL_TYPE: Record<ScalarType, string> = { Int: 'int4', String: 'text', Boolean: 'bool', DateTime: 'timestamptz', Role: 'text' };
/** A parameter as Prisma's engine binds it: typed by the field (prepare_typed), an enum through a cast. */
const param = (f: Field, n: number) => (f.type === 'Role' ? `CAST($${n}::text AS ${q('public')}.${q('Role')})` : `$${n}::${SQL_TYPE[f.type]}`);

/** What Prisma Client itself rejects in a row it reads: values its schema does not know. */
function clientErrors(m: Model, rows: Array<Record<string, unknown>>): string | undefined {
  for (const row of rows) {
    for (const f of m.fields) {
      const v = row[f.name];
      if (v === null && !f.optional) return `client: Error converting field "${f.name}" of expected non-nullable type, found incompatible value of "null"`;
      if (f.type === 'Role' && v !== null && !ROLE_VALUES.includes(String(v))) return `client: Value '${String(v)}' not found in enum 'Role'`;
    }
  }
  return undefined;
}

interface OldQuery {
  readonly label: string;
  readonly text: string;
  readonly values: unknown[];
  readonly model: Model;
}

function oldQueries(phase: Phase): OldQuery[] {
  const out: OldQuery[] = [];
  for (const m of OLD_MODELS) {
    const table = `${q('public')}.${q(m.table)}`;
    const all = m.fields.map((f) => col(m, f)).join(', ');
    const id = m.fields.find((f) => f.id)!;
    const rows = ROWS[m.table]!;
    out.push({ label: `${m.table}.findMany`, text: `SELECT ${all} FROM ${table} WHERE 1=1 OFFSET $1`, values: [0], model: m });
    // create: what the client knows and the database does not fill in (optional fields left out).
    const created = m.fields.filter((f) => f.clientDefault || (!f.dbDefault && !f.optional));
    out.push({
      label: `${m.table}.create`,
      text: `INSERT INTO ${table} (${created.map((f) => q(f.name)).join(',')}) VALUES (${created.map((f, i) => param(f, i + 1)).join(',')}) RETURNING ${all}`,
      values: created.map((f) => written(m, f, phase, 'create')),
      model: m,
    });
    // update by id: every field the app writes (not the id, not the creation timestamp).
    const set = m.fields.filter((f) => !f.id && !(f.clientDefault === 'static' && f.type === 'DateTime'));
    out.push({
      label: `${m.table}.update`,
      text: `UPDATE ${table} SET ${set.map((f, i) => `${q(f.name)} = ${param(f, i + 1)}`).join(', ')} WHERE (${col(m, id)} = ${param(id, set.length + 1)} AND 1=1) RETURNING ${all}`,
      values: [...set.map((f) => written(m, f, phase, 'update')), rows.update],
      model: m,
    });
    // update that clears the optional fields (Prisma sends null, typed as the field).
    const optional = m.fields.filter((f) => f.optional);
    if (optional.length) {
      out.push({
        label: `${m.table}.clear`,
        text: `UPDATE ${table} SET ${optional.map((f, i) => `${q(f.name)} = ${param(f, i + 1)}`).join(', ')} WHERE (${col(m, id)} = ${param(id, optional.length + 1)} AND 1=1) RETURNING ${all}`,
        values: [...optional.map(() => null), rows.clear],
        model: m,
      });
    }
    out.push({
      label: `${m.table}.delete`,
      text: `DELETE FROM ${table} WHERE (${col(m, id)} = ${param(id, 1)} AND 1=1) RETURNING ${all}`,
      values: [rows.delete[PHASE_NO[phase]]],
      model: m,
    });
    // findMany with a filter on each scalar field; the enum with every value the old app knows.
    for (const f of m.fields) {
      if (f.id) continue;
      if (f.type === 'Role') {
        out.push({
          label: `${m.table}.where.${f.name}`,
          text: `SELECT ${all} FROM ${table} WHERE ${col(m, f)} IN (${ROLE_VALUES.map((_, i) => param(f, i + 1)).join(',')}) OFFSET $${ROLE_VALUES.length + 1}`,
          values: [...ROLE_VALUES, 0],
          model: m,
        });
        continue;
      }
      out.push({ label: `${m.table}.where.${f.name}`, text: `SELECT ${all} FROM ${table} WHERE ${col(m, f)} = ${param(f, 1)} OFFSET $2`, values: [rows.where[f.name], 0], model: m });
    }
  }
  return out;
}

/** Runs the old app's queries; returns the failures by query label. */
async function runOldApp(url: string, phase: Phase): Promise<Record<string, string>> {
  return withConnection(url, async (c) => {
    const failures: Record<string, string> = {};
    for (const query of oldQueries(phase)) {
      try {
        const r = await c.query(query.text, query.values);
        const bad = clientErrors(query.model, r.rows);
        if (bad) failures[query.label] = bad;
      } catch (e) {
        failures[query.label] = `${(e as pg.DatabaseError).code ?? ''} ${(e as Error).message}`.trim();
      }
    }
    return failures;
  });
}

// ---------------------------------------------------------------------------------------
// The changes.

/** A finding says that old app versions break (fail, cannot read, store NULL …). */
const OLD_APP_BREAKS = /old app versions?\b[^.]*?\b(fail|fails|break|breaks|cannot|store NULL|rejects?)\b/i;

interface Scenario {
  readonly change: string;
  readonly sql: string;
  /** Tables emptied before the migration (Prisma's required column without default needs that). */
  readonly empty?: readonly string[];
  /** The migration itself fails on the data: the deploy stops, the old app is not affected. */
  readonly migrationFails?: RegExp;
  /** Old-app queries that fail after the migration or after `postponed run` (label → error). */
  readonly breaks?: Readonly<Record<string, RegExp>>;
  /** `postponed run` fails (what the old app wrote in between). */
  readonly postponedFails?: RegExp;
  /** Old-app queries that fail after `contract` besides `breaks`. */
  readonly afterContract?: Readonly<Record<string, RegExp>>;
  /** check's findings on the original migration: rule id → 'breaks' (message says old app versions break) or 'lock' (it does not); `+rewrite` when fixed by rewrite. */
  readonly findings: Readonly<Record<string, 'breaks' | 'lock' | 'breaks+rewrite' | 'lock+rewrite'>>;
}

const NOT_EXIST = /42703 column .* does not exist/;
const NO_RELATION = /42P01 relation .* does not exist/;
const NOT_NULL = /23502 null value in column/;
const BAD_ENUM = /22P02 invalid input value for enum "?Role"?: "(GUEST|ADMIN)"/;

/** Every query of a model fails (the table or a column it selects is gone). */
function allOf(table: string, error: RegExp): Record<string, RegExp> {
  const m = OLD_MODELS.find((x) => x.table === table)!;
  const labels = ['findMany', 'create', 'update', ...(m.fields.some((f) => f.optional) ? ['clear'] : []), 'delete', ...m.fields.filter((f) => !f.id).map((f) => `where.${f.name}`)];
  return Object.fromEntries(labels.map((l) => [`${table}.${l}`, error]));
}

const SCENARIOS: readonly Scenario[] = [
  {
    change: 'add optional field',
    sql: `-- AlterTable\nALTER TABLE "User" ADD COLUMN     "nickname" TEXT;\n`,
    findings: {},
  },
  {
    change: 'add required field with @default(0)',
    sql: `-- AlterTable\nALTER TABLE "User" ADD COLUMN     "score" INTEGER NOT NULL DEFAULT 0;\n`,
    findings: {},
  },
  {
    change: 'add required field with @default(dbgenerated("gen_random_uuid()"))',
    sql: `-- AlterTable\nALTER TABLE "Tag" ADD COLUMN     "publicId" TEXT NOT NULL DEFAULT gen_random_uuid();\n`,
    findings: { 'adding-field-with-default': 'lock' },
  },
  {
    // @default(cuid()) writes the same SQL.
    change: 'add required field with @default(uuid()) (table has rows)',
    sql: `-- AlterTable\nALTER TABLE "Tag" ADD COLUMN     "publicId" TEXT NOT NULL;\n`,
    migrationFails: /column "publicId" of relation "Tag" contains null values \(SQLSTATE 23502\)/,
    findings: { 'adding-required-field': 'breaks' },
  },
  {
    change: 'add required field with @default(uuid()) (empty table)',
    sql: `-- AlterTable\nALTER TABLE "Tag" ADD COLUMN     "publicId" TEXT NOT NULL;\n`,
    empty: ['Tag'],
    breaks: { 'Tag.create': NOT_NULL },
    findings: { 'adding-required-field': 'breaks' },
  },
  {
    change: 'add @updatedAt field (empty table)',
    sql: `-- AlterTable\nALTER TABLE "Tag" ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL;\n`,
    empty: ['Tag'],
    breaks: { 'Tag.create': NOT_NULL },
    findings: { 'adding-required-field': 'breaks' },
  },
  {
    change: 'add @updatedAt field, hand-edited: temporary default then DROP DEFAULT',
    sql: `-- AlterTable\nALTER TABLE "Tag" ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;\nALTER TABLE "Tag" ALTER COLUMN "updatedAt" DROP DEFAULT;\n`,
    afterContract: { 'Tag.create': NOT_NULL },
    findings: { 'dropping-column-default': 'breaks+rewrite' },
  },
  {
    change: 'remove a field',
    sql: `-- AlterTable\nALTER TABLE "User" DROP COLUMN "bio";\n`,
    breaks: allOf('User', NOT_EXIST),
    findings: { 'ban-drop-column': 'breaks' },
  },
  {
    change: 'rename a field (Prisma: drop and add)',
    sql: `-- AlterTable\nALTER TABLE "User" DROP COLUMN "bio",\nADD COLUMN     "about" TEXT;\n`,
    breaks: allOf('User', NOT_EXIST),
    findings: { 'ban-drop-column': 'breaks' },
  },
  {
    change: 'rename a field by hand (RENAME COLUMN)',
    sql: `-- AlterTable\nALTER TABLE "User" RENAME COLUMN "bio" TO "about";\n`,
    breaks: allOf('User', NOT_EXIST),
    findings: { 'renaming-column': 'breaks' },
  },
  {
    change: '@map change of a required field (Prisma: drop and add)',
    sql: `-- AlterTable\nALTER TABLE "User" DROP COLUMN "age",\nADD COLUMN     "user_age" INTEGER NOT NULL;\n`,
    migrationFails: /column "user_age" of relation "User" contains null values \(SQLSTATE 23502\)/,
    findings: { 'ban-drop-column': 'breaks', 'adding-required-field': 'breaks' },
  },
  {
    change: 'optional → required',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\n`,
    breaks: { 'User.create': NOT_NULL, 'User.clear': NOT_NULL },
    findings: { 'adding-not-nullable-field': 'breaks' },
  },
  {
    change: 'optional → required with @default',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL,\nALTER COLUMN "name" SET DEFAULT 'anon';\n`,
    breaks: { 'User.clear': NOT_NULL },
    findings: { 'adding-not-nullable-field': 'breaks' },
  },
  {
    // The old app breaks only on rows the new app writes with NULL (Prisma Client rejects a null required field).
    change: 'required → optional',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "age" DROP NOT NULL;\n`,
    findings: {},
  },
  {
    // Prisma Client sends @default(true) itself: its create keeps working, even after contract.
    // The warning is about raw SQL and other writers, and does not say old app versions break.
    change: 'remove @default',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "active" DROP DEFAULT;\n`,
    findings: { 'dropping-column-default': 'lock+rewrite' },
  },
  {
    change: 'remove @default(autoincrement())',
    sql: `-- AlterTable\nALTER TABLE "Post" ALTER COLUMN "id" DROP DEFAULT;\nDROP SEQUENCE "Post_id_seq";\n`,
    afterContract: { 'Post.create': /23502 null value in column "id"/ },
    // The DROP SEQUENCE waits for contract with the default: no rule of its own reports it.
    findings: { 'dropping-column-default': 'breaks+rewrite', 'migration-not-rewritten': 'lock+rewrite' },
  },
  {
    change: 'change @default value',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "active" SET DEFAULT false;\n`,
    findings: {},
  },
  {
    change: 'Int → BigInt',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "age" SET DATA TYPE BIGINT;\n`,
    findings: { 'changing-column-type': 'lock' },
  },
  {
    change: 'String → @db.VarChar(20)',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "email" SET DATA TYPE VARCHAR(20);\n`,
    breaks: {
      'User.create': /22001 value too long for type character varying\(20\)/,
      'User.update': /22001 value too long for type character varying\(20\)/,
    },
    findings: { 'changing-column-type': 'breaks' },
  },
  {
    change: 'Int → String',
    sql: `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "age" SET DATA TYPE TEXT;\n`,
    breaks: { 'User.where.age': /42883 operator does not exist: text = integer/ },
    findings: { 'changing-column-type': 'breaks' },
  },
  {
    change: 'String → Int (Prisma: drop and add)',
    sql: `/*
  Warnings:

  - The \`bio\` column on the \`User\` table would be dropped and recreated. This will lead to data loss if there is data in the column.

*/
-- AlterTable
ALTER TABLE "User" DROP COLUMN "bio",
ADD COLUMN     "bio" INTEGER;
`,
    breaks: {
      'User.update': /42804 column "bio" is of type integer but expression is of type text/,
      'User.clear': /42804 column "bio" is of type integer but expression is of type text/,
      'User.where.bio': /42883 operator does not exist: integer = text/,
    },
    findings: { 'recreating-column': 'breaks' },
  },
  {
    change: 'add enum value',
    sql: `-- AlterEnum\nALTER TYPE "Role" ADD VALUE 'OWNER';\n`,
    findings: {},
  },
  {
    change: 'remove enum value (Prisma: enum swap)',
    sql: `/*
  Warnings:

  - The values [GUEST] on the enum \`Role\` will be removed. If these variants are still used in the database, this will fail.

*/
-- AlterEnum
BEGIN;
CREATE TYPE "Role_new" AS ENUM ('USER', 'ADMIN');
ALTER TABLE "public"."User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "public"."Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
COMMIT;
`,
    breaks: { 'User.update': BAD_ENUM, 'User.where.role': BAD_ENUM },
    findings: { 'removing-enum-value': 'breaks' },
  },
  {
    change: 'rename enum value by hand (RENAME VALUE)',
    sql: `-- AlterEnum\nALTER TYPE "Role" RENAME VALUE 'ADMIN' TO 'ADMINISTRATOR';\n`,
    breaks: {
      'User.findMany': /client: Value 'ADMINISTRATOR' not found in enum 'Role'/,
      'User.where.email': /client: Value 'ADMINISTRATOR' not found in enum 'Role'/,
      'User.where.name': /client: Value 'ADMINISTRATOR' not found in enum 'Role'/,
      'User.where.age': /client: Value 'ADMINISTRATOR' not found in enum 'Role'/,
      'User.where.bio': /client: Value 'ADMINISTRATOR' not found in enum 'Role'/,
      'User.where.role': BAD_ENUM,
      'User.where.active': /client: Value 'ADMINISTRATOR' not found in enum 'Role'/,
    },
    findings: { 'renaming-enum-value': 'breaks' },
  },
  {
    change: 'add @unique (the old app writes a duplicate before the index is built)',
    sql: `-- CreateIndex\nCREATE UNIQUE INDEX "User_name_key" ON "User"("name");\n`,
    postponedFails: /could not create unique index "User_name_key"/,
    findings: { 'require-concurrent-index-creation': 'lock+rewrite' },
  },
  {
    change: 'add @unique (no duplicates written)',
    sql: `-- CreateIndex\nCREATE UNIQUE INDEX "Tag_label_key" ON "Tag"("label");\n`,
    findings: { 'require-concurrent-index-creation': 'lock+rewrite' },
  },
  {
    change: 'add @@index',
    sql: `-- CreateIndex\nCREATE INDEX "User_age_idx" ON "User"("age");\n`,
    findings: { 'require-concurrent-index-creation': 'lock+rewrite' },
  },
  {
    change: 'add a relation, required foreign key (table has rows)',
    sql: `-- AlterTable\nALTER TABLE "Post" ADD COLUMN     "editorId" INTEGER NOT NULL;\n\n-- AddForeignKey\nALTER TABLE "Post" ADD CONSTRAINT "Post_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;\n`,
    migrationFails: /column "editorId" of relation "Post" contains null values \(SQLSTATE 23502\)/,
    findings: { 'adding-required-field': 'breaks', 'constraint-missing-not-valid': 'lock+rewrite' },
  },
  {
    change: 'add a relation, required foreign key (empty table)',
    sql: `-- AlterTable\nALTER TABLE "Post" ADD COLUMN     "editorId" INTEGER NOT NULL;\n\n-- AddForeignKey\nALTER TABLE "Post" ADD CONSTRAINT "Post_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;\n`,
    empty: ['Post'],
    breaks: { 'Post.create': NOT_NULL },
    findings: { 'adding-required-field': 'breaks', 'constraint-missing-not-valid': 'lock+rewrite' },
  },
  {
    change: 'add a relation, optional foreign key',
    sql: `-- AlterTable\nALTER TABLE "Post" ADD COLUMN     "editorId" INTEGER;\n\n-- AddForeignKey\nALTER TABLE "Post" ADD CONSTRAINT "Post_editorId_fkey" FOREIGN KEY ("editorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;\n`,
    findings: { 'constraint-missing-not-valid': 'lock+rewrite' },
  },
  {
    change: 'remove a relation',
    sql: `-- DropForeignKey\nALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\n\n-- AlterTable\nALTER TABLE "Post" DROP COLUMN "authorId";\n`,
    breaks: allOf('Post', NOT_EXIST),
    findings: { 'ban-drop-column': 'breaks' },
  },
  {
    change: 'rename a model (Prisma: drop and create)',
    sql: `-- DropTable\nDROP TABLE "Tag";\n\n-- CreateTable\nCREATE TABLE "Label" (\n    "id" TEXT NOT NULL,\n    "label" TEXT NOT NULL,\n\n    CONSTRAINT "Label_pkey" PRIMARY KEY ("id")\n);\n`,
    breaks: allOf('Tag', NO_RELATION),
    findings: { 'ban-drop-table': 'breaks' },
  },
  {
    change: 'rename a table by hand (RENAME TO)',
    sql: `-- RenameTable\nALTER TABLE "Tag" RENAME TO "Label";\n\n-- RenamePrimaryKey\nALTER TABLE "Label" RENAME CONSTRAINT "Tag_pkey" TO "Label_pkey";\n`,
    breaks: allOf('Tag', NO_RELATION),
    findings: { 'renaming-table': 'breaks' },
  },
  {
    change: 'drop a model',
    sql: `-- DropTable\nDROP TABLE "Tag";\n`,
    breaks: allOf('Tag', NO_RELATION),
    findings: { 'ban-drop-table': 'breaks' },
  },
  {
    change: 'add a CHECK by hand',
    sql: `ALTER TABLE "User" ADD CONSTRAINT "User_age_check" CHECK ("age" >= 0);\n`,
    findings: { 'constraint-missing-not-valid': 'lock' },
  },
  {
    change: 'add a CHECK (… IS NOT NULL) NOT VALID by hand',
    sql: `ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;\n`,
    breaks: {
      'User.create': /23514 new row for relation "User" violates check constraint "User_name_not_null"/,
      'User.clear': /23514 new row for relation "User" violates check constraint "User_name_not_null"/,
    },
    findings: { 'adding-not-nullable-field': 'breaks' },
  },
];

// ---------------------------------------------------------------------------------------

interface Observed {
  migrationError?: string;
  migrated: Record<string, string>;
  postponedError?: string;
  postponed: Record<string, string>;
  contractError?: string;
  contracted: Record<string, string>;
  findings: Diagnostic[];
}

let template: Promise<string> | undefined;
const base = () =>
  (template ??= templateDatabase(
    (url) =>
      withConnection(url, async (c) => {
        await applyLikePrisma(c, { name: BASE_NAME, sql: BASE_SQL });
        await installSchema(c);
        await c.query(DATA_SQL);
      }),
    'zd_compat',
  ));

async function observe(s: Scenario): Promise<Observed> {
  const history = [
    { name: BASE_NAME, sql: BASE_SQL },
    { name: CHANGE_NAME, sql: s.sql },
  ];
  const report = checkHistory(
    history.map((m, i) => ({ ...m, report: i === 1 })),
    { execution: 'whole-file' },
  );
  const rewritten = rewriteHistory(history, { select: (n) => n === CHANGE_NAME }).map((r) => ({ name: r.name, sql: r.text }));
  const folder = writeMigrationsFolder(rewritten);
  const db = await freshDatabase({ template: await base(), prefix: 'zd_compat' });
  const out: Observed = { migrated: {}, postponed: {}, contracted: {}, findings: [...report.diagnostics] };
  try {
    await withConnection(db.url, async (c) => {
      for (const t of s.empty ?? []) await c.query(`DELETE FROM ${q(t)}`);
      try {
        await applyLikePrisma(c, rewritten[1]!);
      } catch (e) {
        out.migrationError = `${(e as pg.DatabaseError).code ?? ''} ${(e as Error).message}`.trim();
      }
    });
    if (out.migrationError) return out;
    out.migrated = await runOldApp(db.url, 'migrated');
    const run = await runPostponed({ url: db.url, migrationsDir: folder.dir });
    const failed = run.outcomes.filter((o) => o.status !== 'built' && o.status !== 'validated' && o.status !== 'already');
    if (failed.length) out.postponedError = failed.map((o) => `${o.label}: ${o.error ?? o.status}`).join('; ');
    out.postponed = await runOldApp(db.url, 'postponed');
    const contract = await runContract({ url: db.url, migrationsDir: folder.dir });
    const refused = contract.outcomes.filter((o) => o.status !== 'applied');
    if (refused.length) out.contractError = refused.map((o) => `${o.label}: ${o.error ?? o.status}`).join('; ');
    out.contracted = await runOldApp(db.url, 'contracted');
    return out;
  } finally {
    folder.cleanup();
    await db.drop();
  }
}

const observed = new Map<string, Observed>();

function kindOf(d: Diagnostic): string {
  return `${OLD_APP_BREAKS.test(d.message) ? 'breaks' : 'lock'}${d.fixedBy === 'rewrite' ? '+rewrite' : ''}`;
}

/** One line per change, for the report. */
function matrixLine(s: Scenario, o: Observed): string {
  const before = [...new Set([...Object.keys(o.migrated), ...Object.keys(o.postponed)])];
  const after = Object.keys(o.contracted).filter((k) => !before.includes(k));
  const fmt = (labels: string[], from: Record<string, string>) =>
    labels.length ? labels.map((l) => `${l} (${(from[l] ?? o.migrated[l] ?? '').slice(0, 70)})`).join(', ') : '-';
  return [
    s.change,
    o.migrationError ? `MIGRATION FAILS: ${o.migrationError.slice(0, 80)}` : fmt(before, { ...o.migrated, ...o.postponed }),
    o.postponedError ? `postponed run fails: ${o.postponedError.slice(0, 80)}` : '',
    `after contract: ${fmt(after, o.contracted)}`,
    `check: ${o.findings.map((d) => `${d.ruleId} [${kindOf(d)}]`).join(', ') || '-'}`,
  ]
    .filter(Boolean)
    .join(' | ');
}

beforeAll(async () => {
  await initParser();
});

afterAll(() => {
  if (observed.size === 0) return;
  const lines = SCENARIOS.filter((s) => observed.has(s.change)).map((s) => matrixLine(s, observed.get(s.change)!));
  process.stdout.write(`\nold app compatibility matrix:\n${lines.map((l) => `- ${l}`).join('\n')}\n`);
});

describe.concurrent('old app compatibility, measured against check', () => {
  it.each(SCENARIOS.map((s) => [s.change, s] as const))('%s', async (_change, s) => {
    const o = await observe(s);
    observed.set(s.change, o);
    const line = matrixLine(s, o);

    // What happened on the database.
    if (s.migrationFails) {
      expect(o.migrationError, line).toMatch(s.migrationFails);
    } else {
      expect(o.migrationError, line).toBeUndefined();
      const before = { ...o.migrated, ...o.postponed };
      expect(Object.keys(before).sort(), line).toEqual(Object.keys(s.breaks ?? {}).sort());
      for (const [label, error] of Object.entries(s.breaks ?? {})) expect(before[label], `${label}: ${line}`).toMatch(error);
      if (s.postponedFails) expect(o.postponedError, line).toMatch(s.postponedFails);
      else expect(o.postponedError, line).toBeUndefined();
      expect(o.contractError, line).toBeUndefined();
      const after = { ...(s.breaks ?? {}), ...(s.afterContract ?? {}) };
      expect(Object.keys(o.contracted).sort(), line).toEqual(Object.keys(after).sort());
      for (const [label, error] of Object.entries(s.afterContract ?? {})) expect(o.contracted[label], `${label}: ${line}`).toMatch(error);
    }

    // What check says about the original migration.
    expect(Object.fromEntries(o.findings.map((d) => [d.ruleId, kindOf(d)])), line).toEqual(s.findings);

    // And that the two agree.
    const breaking = o.findings.filter((d) => OLD_APP_BREAKS.test(d.message));
    const brokeBefore = Boolean(o.migrationError) || Object.keys(o.migrated).length + Object.keys(o.postponed).length > 0;
    const brokeAfter = Object.keys(o.contracted).some((k) => !(k in o.migrated) && !(k in o.postponed));
    if (brokeBefore) {
      // Something breaks during the rollout: a finding says so (rewrite does not make it safe).
      expect(breaking.length, line).toBeGreaterThan(0);
    } else {
      // Nothing breaks until contract: no finding claims otherwise, except ones rewrite fixes.
      expect(breaking.filter((d) => d.fixedBy !== 'rewrite'), line).toEqual([]);
    }
    if (brokeAfter) expect(breaking.some((d) => d.fixedBy === 'rewrite'), line).toBe(true);
    if (!brokeBefore && !brokeAfter) expect(breaking, line).toEqual([]);
    // A postponed build that fails stops the deploy (exit 5) before the rollout: the finding's help says when that happens.
    if (o.postponedError) expect(o.findings.some((d) => d.fixedBy === 'rewrite' && /old app versions may still write duplicates/.test(d.help)), line).toBe(true);
  });
});
