import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "adding-field-with-default";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports a volatile default", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"uuid\" UUID NOT NULL DEFAULT gen_random_uuid();").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"uuid\" UUID NOT NULL DEFAULT gen_random_uuid();"), ID))).toMatchInlineSnapshot(`
      "error[adding-field-with-default]: ADD COLUMN "uuid" rewrites all of "Post" under an ACCESS EXCLUSIVE lock, because the default gen_random_uuid() is volatile (gen_random_uuid() gives each row its own value): every read and write of "Post" waits until the rewrite is done.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "uuid" UUID NOT NULL DEFAULT gen_random_uuid();
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: add "uuid" without a default (nullable), then \`ALTER TABLE "Post" ALTER COLUMN "uuid" SET DEFAULT …\` in a separate statement (it applies to new rows only, without a rewrite), and backfill the existing rows in batches outside the migration. In Prisma, \`@default(uuid())\` and \`@default(cuid())\` make the value in Prisma Client instead of the database.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-field-with-default.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports a serial column", () => {
    expect(found("ALTER TABLE \"User\" ADD COLUMN \"number\" SERIAL NOT NULL;").length).toBeGreaterThan(0);
  });
  it("reports a constant default before PostgreSQL 11", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"score\" INTEGER NOT NULL DEFAULT 0;", { postgresVersion: 10 }).length).toBeGreaterThan(0);
  });
  it("accepts a constant default", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"score\" INTEGER NOT NULL DEFAULT 0;")).toEqual([]);
  });
  it("accepts CURRENT_TIMESTAMP (stable, Prisma's now())", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"updatedAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;")).toEqual([]);
  });
  it("accepts a volatile default on a new table", () => {
    expect(found("CREATE TABLE \"Tag\" (\"id\" UUID NOT NULL DEFAULT gen_random_uuid());")).toEqual([]);
  });
  it("reports a column of a domain with a CHECK, whatever its default (PostgreSQL checks every row by rewriting the table)", () => {
    const history = ["CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);"];
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"score\" posint DEFAULT 1;", { history }).length).toBe(1);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"score\" posint;", { history }), ID))).toMatchInlineSnapshot(`
      "error[adding-field-with-default]: ADD COLUMN "score" rewrites all of "Post" under an ACCESS EXCLUSIVE lock, because its type "posint" is a domain with CHECK (VALUE > 0), which PostgreSQL checks on every existing row by rewriting the table: every read and write of "Post" waits until the rewrite is done.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "score" posint;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: add "score" with the domain's base type (\`ADD COLUMN "score" integer\`, no rewrite) and hold it to the domain's rules with a table constraint added NOT VALID (a brief lock; new writes are checked at once): \`CHECK (VALUE > 0)\` with VALUE written "score"; then \`ALTER TABLE "Post" VALIDATE CONSTRAINT "<name>";\` in a later migration (reads and writes continue). Changing "score" to the domain's type later rewrites "Post" as well.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-field-with-default.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports a column that takes the volatile default of its domain", () => {
    const history = ["CREATE DOMAIN public_id AS UUID DEFAULT gen_random_uuid();"];
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"publicId\" public_id;", { history }), ID))).toMatchInlineSnapshot(`
      "error[adding-field-with-default]: ADD COLUMN "publicId" rewrites all of "Post" under an ACCESS EXCLUSIVE lock, because the default gen_random_uuid() of its type "public_id" (a domain) is volatile (gen_random_uuid() gives each row its own value): every read and write of "Post" waits until the rewrite is done.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "publicId" public_id;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: add "publicId" with \`DEFAULT NULL\` (it overrides the domain's default: no rewrite), then \`ALTER TABLE "Post" ALTER COLUMN "publicId" DROP DEFAULT;\` in a separate statement (new rows get the domain's default again, without a rewrite), and backfill the existing rows in batches outside the migration.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-field-with-default.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts a domain without constraints, an array of a checked domain, and a volatile domain default overridden by DEFAULT NULL", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"score\" posint;", { history: ["CREATE DOMAIN posint AS INTEGER DEFAULT 0;"] })).toEqual([]);
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"scores\" posint[];", { history: ["CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);"] })).toEqual([]);
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"publicId\" public_id DEFAULT NULL;", { history: ["CREATE DOMAIN public_id AS UUID DEFAULT gen_random_uuid();"] })).toEqual([]);
  });
});
