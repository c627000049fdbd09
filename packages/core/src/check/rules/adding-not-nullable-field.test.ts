import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "adding-not-nullable-field";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports SET NOT NULL on an existing nullable column", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;"), ID))).toMatchInlineSnapshot(`
      "error[adding-not-nullable-field]: SET NOT NULL on "User"."name" scans all of "User" under an ACCESS EXCLUSIVE lock: every read and write of "User" waits until the scan is done. Old app versions that leave "name" empty (the field was optional for them) fail from then on.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "User" (blocks every read and write)
        = help: Instead: \`ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;\` in this migration (a brief lock), then in a later one \`ALTER TABLE "User" VALIDATE CONSTRAINT "User_name_not_null";\` (reads and writes continue), \`ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\` (no scan: the valid constraint proves it) and \`ALTER TABLE "User" DROP CONSTRAINT "User_name_not_null";\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-not-nullable-field.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts a column already NOT NULL", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"email\" SET NOT NULL;")).toEqual([]);
  });
  it("accepts a column added in the same migration", () => {
    expect(found("ALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT;\nALTER TABLE \"User\" ALTER COLUMN \"bio\" SET NOT NULL;")).toEqual([]);
  });
  it("accepts a column proven NOT NULL by a validated CHECK (PostgreSQL 12+)", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;", { history: ['ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;', 'ALTER TABLE "User" VALIDATE CONSTRAINT "User_name_not_null";'] })).toEqual([]);
  });
});
