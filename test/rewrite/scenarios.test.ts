/**
 * I2 — managed convergence, case by case (DESIGN §3 "cases seen in real histories"):
 * each scenario's rewritten history, deployed to a managed database in several
 * batchings (together; apart without the queue running between; apart with it running
 * between) and in both of Prisma's execution models, then `postponed run` and
 * `contract`, gives the fingerprint of the original history on an unmanaged database.
 */
import { describe, it } from 'vitest';
import { applyLikePrisma, withConnection, type ExecMode } from '../support/apply.js';
import { templateDatabase } from '../support/db.js';
import { BATCHINGS, expectScenarioConverges } from '../support/managed.js';

const BASE = `CREATE TYPE "Status" AS ENUM ('A', 'B');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "name" TEXT, "status" "Status" NOT NULL DEFAULT 'A', "score" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "authorEmail" TEXT, "views" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
INSERT INTO "User" ("email") VALUES ('a@example.com'), ('b@example.com');
INSERT INTO "Post" ("title", "authorEmail") VALUES ('first', 'a@example.com'), ('second', NULL);
`;

const POST_TITLE_IDX = `-- CreateIndex\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n`;
const POST_VIEWS_CHECK = `ALTER TABLE "Post" ADD CONSTRAINT "Post_views_check" CHECK ("views" >= 0 AND "title" <> '');\n`;
// Prisma's "make it required" after a backfill: SET NOT NULL postponed (a NOT VALID check, validated, then NOT NULL).
const USER_NAME_REQUIRED = `UPDATE "User" SET "name" = 'anon' WHERE "name" IS NULL;\n-- AlterTable\nALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\n`;
const EV_PARTITIONED = `CREATE TABLE "Ev" ("id" INTEGER NOT NULL, "at" DATE NOT NULL, "kind" TEXT) PARTITION BY RANGE ("at");
CREATE TABLE "Ev_2026" PARTITION OF "Ev" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO "Ev" VALUES (1, '2026-05-01', 'a');
CREATE TABLE "Ev_2027" ("id" INTEGER NOT NULL, "at" DATE NOT NULL, "kind" TEXT NOT NULL);
`;
const USER_EMAIL_KEY = `-- CreateIndex\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`;

const scenarios: Array<{ name: string; steps: string[] }> = [
  { name: 'index created, then dropped', steps: [POST_TITLE_IDX, `-- DropIndex\nDROP INDEX "Post_title_idx";\n`] },
  { name: 'index created, then dropped by a lone DROP INDEX CONCURRENTLY IF EXISTS', steps: [POST_TITLE_IDX, `DROP INDEX CONCURRENTLY IF EXISTS "Post_title_idx";\n`] },
  { name: 'index created, then renamed (@@index map:)', steps: [POST_TITLE_IDX, `-- RenameIndex\nALTER INDEX "Post_title_idx" RENAME TO "Post_headline_idx";\n`] },
  { name: 'index created, then its table dropped', steps: [POST_TITLE_IDX, `-- DropTable\nDROP TABLE "Post";\n`] },
  { name: 'index created, then its column dropped', steps: [POST_TITLE_IDX, `-- AlterTable\nALTER TABLE "Post" DROP COLUMN "title";\n`] },
  { name: 'index created, then its column renamed', steps: [POST_TITLE_IDX, `ALTER TABLE "Post" RENAME COLUMN "title" TO "headline";\n`] },
  { name: 'index created, then its table renamed', steps: [POST_TITLE_IDX, `ALTER TABLE "Post" RENAME TO "Article";\n`] },
  {
    name: 'unique index, then a foreign key onto its column',
    steps: [USER_EMAIL_KEY, `-- AddForeignKey\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES "User"("email") ON DELETE SET NULL ON UPDATE CASCADE;\n`],
  },
  {
    name: 'foreign key on an existing table, then dropped before validation',
    steps: [
      `ALTER TABLE "Post" ADD COLUMN "authorId" INTEGER;\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;\n`,
      `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\n`,
    ],
  },
  { name: 'CHECK on an existing table, then its column dropped', steps: [POST_VIEWS_CHECK, `ALTER TABLE "Post" DROP COLUMN "views";\n`] },
  { name: 'CHECK on an existing table, then renamed', steps: [POST_VIEWS_CHECK, `ALTER TABLE "Post" RENAME CONSTRAINT "Post_views_check" TO "Post_views_positive";\n`] },
  { name: 'CHECK on an existing table, then its column and its table renamed', steps: [POST_VIEWS_CHECK, `ALTER TABLE "Post" RENAME COLUMN "views" TO "viewCount";\nALTER TABLE "Post" RENAME TO "Article";\n`] },
  { name: 'CHECK on an existing table, then dropped', steps: [POST_VIEWS_CHECK, `ALTER TABLE "Post" DROP CONSTRAINT "Post_views_check";\n`] },
  { name: 'SET NOT NULL on an existing table, then its column and its table renamed', steps: [USER_NAME_REQUIRED, `ALTER TABLE "User" RENAME COLUMN "name" TO "fullName";\nALTER TABLE "User" RENAME TO "Person";\n`] },
  { name: 'SET NOT NULL on an existing table, then DROP NOT NULL', steps: [USER_NAME_REQUIRED, `ALTER TABLE "User" ALTER COLUMN "name" DROP NOT NULL;\n`] },
  { name: 'SET NOT NULL on an existing table, then its column dropped', steps: [USER_NAME_REQUIRED, `ALTER TABLE "User" DROP COLUMN "name";\n`] },
  { name: 'SET NOT NULL on an existing table, then the table dropped', steps: [USER_NAME_REQUIRED, `DROP TABLE "User";\n`] },
  {
    name: 'SET NOT NULL on a partitioned table, then a partition attached',
    steps: [EV_PARTITIONED, `ALTER TABLE "Ev" ALTER COLUMN "kind" SET NOT NULL;\n`, `ALTER TABLE "Ev" ATTACH PARTITION "Ev_2027" FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');\n`],
  },
  {
    name: 'SET NOT NULL on a partitioned table, then a partition detached',
    steps: [EV_PARTITIONED, `ALTER TABLE "Ev" ALTER COLUMN "kind" SET NOT NULL;\n`, `ALTER TABLE "Ev" DETACH PARTITION "Ev_2026";\n`],
  },
  {
    name: 'SET NOT NULL on an existing column, then made an identity',
    steps: [
      `ALTER TABLE "Post" ADD COLUMN "rank" INTEGER;\nUPDATE "Post" SET "rank" = "id";\n`,
      `ALTER TABLE "Post" ALTER COLUMN "rank" SET NOT NULL;\n`,
      `ALTER TABLE "Post" ALTER COLUMN "rank" ADD GENERATED BY DEFAULT AS IDENTITY;\n`,
    ],
  },
  {
    name: 'SET NOT NULL in one ALTER TABLE with DROP DEFAULT and other sub-commands',
    steps: [`UPDATE "User" SET "name" = 'anon' WHERE "name" IS NULL;\nALTER TABLE "User" ADD COLUMN "bio" TEXT, ALTER COLUMN "score" DROP DEFAULT,\n  ALTER COLUMN "name" SET NOT NULL;\n`],
  },
  { name: 'DROP DEFAULT, then SET DEFAULT', steps: [`ALTER TABLE "User" ALTER COLUMN "score" DROP DEFAULT;\n`, `ALTER TABLE "User" ALTER COLUMN "score" SET DEFAULT 5;\n`] },
  {
    name: 'DROP DEFAULT, then an enum swap of the same column',
    steps: [
      `-- AlterTable\nALTER TABLE "User" ALTER COLUMN "status" DROP DEFAULT;\n`,
      `-- AlterEnum\nBEGIN;\nCREATE TYPE "Status_new" AS ENUM ('A', 'C');\nALTER TABLE "User" ALTER COLUMN "status" TYPE "Status_new" USING ("status"::text::"Status_new");\nALTER TYPE "Status" RENAME TO "Status_old";\nALTER TYPE "Status_new" RENAME TO "Status";\nDROP TYPE "Status_old";\nCOMMIT;\n`,
    ],
  },
  {
    name: 'DROP DEFAULT with its sequence (autoincrement removed), then the column dropped',
    steps: [`ALTER TABLE "Post" ALTER COLUMN "views" DROP DEFAULT;\n`, `ALTER TABLE "Post" ALTER COLUMN "id" DROP DEFAULT;\nDROP SEQUENCE "Post_id_seq";\n`, `ALTER TABLE "Post" DROP COLUMN "views";\n`],
  },
  {
    name: 'one ALTER TABLE with DROP DEFAULT and other sub-commands',
    steps: [`ALTER TABLE "User" ADD COLUMN "bio" TEXT, ALTER COLUMN "score" DROP DEFAULT,\n  ALTER COLUMN "name" SET NOT NULL;\n`.replace('ALTER COLUMN "name" SET NOT NULL', 'ALTER COLUMN "name" SET DEFAULT \'anon\'')],
  },
  {
    name: 'enum swap in the same migration as its DROP DEFAULT (left alone)',
    steps: [
      `BEGIN;\nCREATE TYPE "Status_new" AS ENUM ('A', 'C');\nALTER TABLE "User" ALTER COLUMN "status" DROP DEFAULT;\nALTER TABLE "User" ALTER COLUMN "status" TYPE "Status_new" USING ("status"::text::"Status_new");\nALTER TYPE "Status" RENAME TO "Status_old";\nALTER TYPE "Status_new" RENAME TO "Status";\nDROP TYPE "Status_old";\nALTER TABLE "User" ALTER COLUMN "status" SET DEFAULT 'C';\nCOMMIT;\n`,
    ],
  },
];


let template: Promise<string> | undefined;
// The base migration is applied like Prisma applies it (with its _prisma_migrations row).
const base = () =>
  (template ??= templateDatabase((url) => withConnection(url, (c) => applyLikePrisma(c, { name: '20260101000000_base', sql: BASE })), 'zd_scn'));

describe('I2: managed convergence, scenario by scenario', () => {
  for (const s of scenarios) {
    describe(s.name, () => {
      for (const mode of ['whole-file', 'per-statement'] as ExecMode[]) {
        for (const b of BATCHINGS) {
          it(`${mode}, ${b.name}`, () =>
            expectScenarioConverges({ base: BASE, template: base, steps: s.steps, mode, batching: b }),
          );
        }
      }
    });
  }
});
