import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = 'dropping-unique-index';
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);
const REMOVE_UNIQUE = '-- DropIndex\nDROP INDEX "User_email_key";\n';

describe(ID, () => {
  it("reports Prisma's DROP INDEX of a removed @unique: old app versions' upsert by the field fails", () => {
    expect(renderPretty(onlyRule(checkExample(REMOVE_UNIQUE), ID))).toMatchInlineSnapshot(`
      "warning[dropping-unique-index]: DROP INDEX "User_email_key" removes the unique index of "User" on "email": old app versions run \`upsert\` by the field on "email" as INSERT … ON CONFLICT ("email") DO UPDATE, which fails from then on ("there is no unique or exclusion constraint matching the ON CONFLICT specification") until the last old pod is gone.
        --> migration.sql:2:1
          |
        2 | DROP INDEX "User_email_key";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: remove the \`@unique\` (or \`@@unique\`) in the release after one whose code no longer calls \`upsert\` with \`where\` on the field on "email", once that release runs everywhere. If no app version upserts by it, say so above the statement: \`-- prisma-zd-ignore dropping-unique-index: no upsert by email\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/dropping-unique-index.md

      ! 0 errors, 1 warning in 1 of 1 migration."
    `);
  });

  it('reports a dropped UNIQUE constraint, and a primary key replaced by one on other columns', () => {
    const history = ['ALTER TABLE "User" ADD CONSTRAINT "User_name_key" UNIQUE ("name");\n'];
    expect(found('ALTER TABLE "User" DROP CONSTRAINT "User_name_key";\n', { history }).map((d) => d.message.split(':')[0])).toEqual(['DROP CONSTRAINT "User_name_key" removes the unique constraint of "User" on "name"']);
    const [pk] = found('ALTER TABLE "Post" DROP CONSTRAINT "Post_pkey",\nADD CONSTRAINT "Post_pkey" PRIMARY KEY ("id", "authorId");\n');
    expect(pk?.message).toMatch(/^DROP CONSTRAINT "Post_pkey" removes the primary key of "Post" on "id": .* ON CONFLICT \("id"\)/);
    expect(pk?.help).toContain('remove the `@id` (or `@@id`)');
  });

  it('accepts a plain index, a partial or expression one, one made in the same migration, and a table or column dropped or renamed anyway', () => {
    expect(found('DROP INDEX "Post_authorId_idx";\n')).toEqual([]);
    expect(found('DROP INDEX "User_name_lower_key";\n', { history: ['CREATE UNIQUE INDEX "User_name_lower_key" ON "User"(lower("name"));\n'] })).toEqual([]);
    expect(found('DROP INDEX "User_name_key";\n', { history: ['CREATE UNIQUE INDEX "User_name_key" ON "User"("name") WHERE "name" IS NOT NULL;\n'] })).toEqual([]);
    expect(found('CREATE UNIQUE INDEX "User_name_key" ON "User"("name");\nDROP INDEX "User_name_key";\n')).toEqual([]);
    expect(found('DROP INDEX "User_email_key";\nDROP TABLE "User" CASCADE;\n')).toEqual([]);
    expect(found('DROP INDEX "User_email_key";\nALTER TABLE "User" DROP COLUMN "email";\n')).toEqual([]);
    expect(found('DROP INDEX "User_email_key";\nALTER TABLE "User" RENAME COLUMN "email" TO "mail";\n')).toEqual([]);
  });

  it('accepts a unique index on the same columns that stays, or that the same transaction creates in its place', () => {
    const history = ['CREATE UNIQUE INDEX "User_email_lookup" ON "User"("email");\n'];
    expect(found(REMOVE_UNIQUE, { history })).toEqual([]);
    expect(found('DROP INDEX "User_email_key";\nCREATE UNIQUE INDEX "User_email_idx" ON "User"("email");\n', { execution: 'whole-file' })).toEqual([]);
    expect(found('ALTER TABLE "Post" DROP CONSTRAINT "Post_pkey",\nADD CONSTRAINT "Post_pkey" PRIMARY KEY ("id");\n')).toEqual([]);
  });

  it('reports the window until the replacement is built: a build rewrite postponed, or statements run one by one', () => {
    const sql = 'DROP INDEX "User_email_key";\nCREATE UNIQUE INDEX "User_email_idx" ON "User"("email");\n';
    const [postponed] = found(rewriteExample(sql));
    expect(postponed?.message).toContain('which fails until "User_email_idx", which this migration queues in its place, is built by `prisma-zd postponed run`');
    const [split] = found(sql, { execution: 'per-statement' });
    expect(split?.message).toContain('which fails until "User_email_idx", which a later statement creates in its place, is built (statements run one by one)');
  });

  it('is silenced by the suppression it offers', () => {
    expect(found(`-- prisma-zd-ignore dropping-unique-index: no upsert by email\n${REMOVE_UNIQUE}`)).toEqual([]);
  });
});
