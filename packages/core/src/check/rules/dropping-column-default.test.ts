import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "dropping-column-default";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports DROP DEFAULT of @default(autoincrement()) as an error: old Prisma Clients leave the id out (fixed by rewrite)", () => {
    const sql = "ALTER TABLE \"User\" ALTER COLUMN \"id\" DROP DEFAULT;\nDROP SEQUENCE \"User_id_seq\";";
    expect(renderPretty(onlyRule(checkExample(sql), ID))).toMatchInlineSnapshot(`
      "error[dropping-column-default]: DROP DEFAULT on "User"."id" (was nextval('"User_id_seq"'::regclass)): during the rollout, old app versions leave "id" out of their INSERTs into "User" (@default(autoincrement()) in their schema: the database numbers the rows) and fail with "null value in column … violates not-null constraint".
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "User" ALTER COLUMN "id" DROP DEFAULT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "User" (blocks every read and write)
        = help: Instead: run \`prisma-zd rewrite\`: it defers this DROP DEFAULT (and a DROP SEQUENCE that goes with it) to \`prisma-zd contract\`, which runs once no old app version is left.
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/dropping-column-default.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("reports DROP DEFAULT of a database-made value (dbgenerated) as an error", () => {
    const [d] = found("ALTER TABLE \"Post\" ALTER COLUMN \"id\" DROP DEFAULT;", { history: ["ALTER TABLE \"Post\" ALTER COLUMN \"id\" SET DEFAULT gen_random_uuid();"] });
    expect(d?.severity).toBe('error');
    expect(d?.message).toContain('old app versions leave "id" out of their INSERTs into "Post" (@default(dbgenerated(…)) in their schema: the database computes the value) and fail with "null value in column');
  });
  it("reports DROP DEFAULT of a literal or now() as a warning: Prisma Client sends those itself, raw SQL inserts break (fixed by rewrite)", () => {
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ALTER COLUMN \"published\" DROP DEFAULT;"), ID))).toMatchInlineSnapshot(`
      "warning[dropping-column-default]: DROP DEFAULT on "Post"."published" (was false): old app versions keep writing "published": their Prisma Client sends its @default value itself. During the rollout, INSERTs into "Post" that leave "published" out (raw SQL such as $executeRaw, other services, database functions) fail with "null value in column … violates not-null constraint".
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ALTER COLUMN "published" DROP DEFAULT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: run \`prisma-zd rewrite\`: it defers this DROP DEFAULT (and a DROP SEQUENCE that goes with it) to \`prisma-zd contract\`, which runs once no old app version is left. If only Prisma Client inserts into "Post", the DROP DEFAULT is safe as it is: \`-- prisma-zd-ignore dropping-column-default: only Prisma Client inserts\`.
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/dropping-column-default.md

      ! 0 errors, 1 warning in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
    for (const column of ['role', 'createdAt']) {
      const [d] = found(`ALTER TABLE "User" ALTER COLUMN "${column}" DROP DEFAULT;`);
      expect(d?.severity, column).toBe('warning');
      expect(d?.message, column).toContain('their Prisma Client sends its @default value itself');
    }
    for (const value of ["'{}'::jsonb", 'ARRAY[]::TEXT[]', '-1', 'now()', 'CURRENT_TIMESTAMP(3)']) {
      const [d] = found(`ALTER TABLE "Post" ALTER COLUMN "x" DROP DEFAULT;`, { history: [`ALTER TABLE "Post" ADD COLUMN "x" TEXT DEFAULT ${value};`] });
      expect(d?.severity, value).toBe('warning');
      expect(d?.message, value).toContain('store NULL instead of');
    }
    for (const value of ["(now() + '1 day'::interval)", 'CURRENT_DATE', "md5('x')", 'gen_random_uuid()']) {
      const [d] = found(`ALTER TABLE "Post" ALTER COLUMN "x" DROP DEFAULT;`, { history: [`ALTER TABLE "Post" ADD COLUMN "x" TEXT DEFAULT ${value};`] });
      expect(d?.severity, value).toBe('warning'); // nullable: NULL is stored, nothing fails
      expect(d?.message, value).toContain('old app versions leave "x" out of their INSERTs into "Post" (@default(dbgenerated(…)) in their schema');
    }
  });
  it("accepts after prisma-zd rewrite", () => {
    expect(found(rewriteExample("ALTER TABLE \"Post\" ALTER COLUMN \"published\" DROP DEFAULT;"))).toEqual([]);
  });
  it("accepts Prisma's enum swap (the default is set again)", () => {
    expect(found("BEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('USER');\nALTER TABLE \"User\" ALTER COLUMN \"role\" DROP DEFAULT;\nALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING (\"role\"::text::\"Role_new\");\nALTER TYPE \"Role\" RENAME TO \"Role_old\";\nALTER TYPE \"Role_new\" RENAME TO \"Role\";\nDROP TYPE \"Role_old\";\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'USER';\nCOMMIT;")).toEqual([]);
  });
  it("reports the DROP DEFAULT of a required column added in the same migration (old versions do not know it), fixed by rewrite", () => {
    const [d] = found("ALTER TABLE \"Post\" ADD COLUMN \"slug\" TEXT NOT NULL DEFAULT '';\nALTER TABLE \"Post\" ALTER COLUMN \"slug\" DROP DEFAULT;");
    expect(d?.message).toContain('old app versions, which do not know "slug", insert into "Post" without it and fail with "null value in column');
    expect(d?.fixedBy).toBe('rewrite');
    // On a new table nobody old writes to: nothing.
    expect(found("CREATE TABLE \"Tag\" (\"name\" TEXT NOT NULL DEFAULT '');\nALTER TABLE \"Tag\" ALTER COLUMN \"name\" DROP DEFAULT;")).toEqual([]);
  });
});
