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
});
