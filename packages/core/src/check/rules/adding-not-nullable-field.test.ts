import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "adding-not-nullable-field";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports SET NOT NULL on an existing nullable column", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;"), ID))).toMatchInlineSnapshot(`
      "error[adding-not-nullable-field]: SET NOT NULL on "User"."name" scans all of "User" under an ACCESS EXCLUSIVE lock: every read and write of "User" waits until the scan is done. Old app versions that leave "name" empty (the field is optional in their schema) fail from then on.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "User" (blocks every read and write)
        = help: Instead: first release an app version that always sets "name"; then run \`prisma-zd rewrite\`: it adds \`CHECK ("name" IS NOT NULL) NOT VALID\` in the migration (a brief lock; new writes are held to it at once), and \`prisma-zd deploy\` validates it after the migration (reads and writes continue), sets NOT NULL without a scan (the valid check proves it) and drops the check.
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-not-nullable-field.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("is fixed by rewrite on an existing table, and the rewritten statement is not reported", () => {
    const d = found("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;")[0];
    expect(d?.fixedBy).toBe('rewrite');
    const rewritten = rewriteExample("-- AlterTable\nALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL;");
    expect(rewritten).toContain('ADD CONSTRAINT "User_name_zd_not_null" CHECK ("name" IS NOT NULL) NOT VALID');
    expect(checkExample(rewritten).diagnostics).toEqual([]);
  });
  it("gives the manual path, with a check name PostgreSQL 18 does not take for the NOT NULL, where rewrite leaves it (the table renamed later in the migration)", () => {
    const d = found('ALTER TABLE "User" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "User" RENAME TO "Person";')[0];
    expect(d?.fixedBy).toBeUndefined();
    expect(d?.help).toContain('ADD CONSTRAINT "User_name_zd_not_null" CHECK ("name" IS NOT NULL) NOT VALID;');
  });
  it("is fixed by rewrite on a partitioned table too", () => {
    const history = ['CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" TIMESTAMP(3) NOT NULL, "kind" TEXT) PARTITION BY RANGE ("at");'];
    expect(found('ALTER TABLE "Event" ALTER COLUMN "kind" SET NOT NULL;', { history })[0]?.fixedBy).toBe('rewrite');
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
  it("says that only writes of null fail when the column gets a default", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"name\" SET NOT NULL,\nALTER COLUMN \"name\" SET DEFAULT 'anon';")[0]?.message).toContain(
      "Old app versions that set \"name\" to null (the field is optional in their schema; an INSERT that leaves it out gets the default 'anon') fail from then on.",
    );
  });
  it("reports CHECK (column IS NOT NULL) on an existing nullable column, NOT VALID or not: new writes are checked", () => {
    expect(found("ALTER TABLE \"User\" ADD CONSTRAINT \"User_name_not_null\" CHECK (\"name\" IS NOT NULL) NOT VALID;").map((d) => d.message)).toEqual([
      'ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) on "User": old app versions that leave "name" empty (the field is optional in their schema) fail on every such INSERT or UPDATE from this moment ("violates check constraint"): NOT VALID skips the rows already there, not new writes.',
    ]);
    expect(found("ALTER TABLE \"User\" ADD CHECK (\"name\" IS NOT NULL AND \"email\" IS NOT NULL);").length).toBe(1);
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_content_not_null\" CHECK ((\"content\" IS NOT NULL)) NOT VALID;").length).toBe(1);
  });
  it("accepts other CHECKs, NOT NULL columns, new columns and columns already proven NOT NULL", () => {
    expect(found("ALTER TABLE \"User\" ADD CONSTRAINT \"User_name_check\" CHECK (\"name\" IS NOT NULL OR \"email\" <> '') NOT VALID;")).toEqual([]);
    expect(found("ALTER TABLE \"User\" ADD CONSTRAINT \"User_email_not_null\" CHECK (\"email\" IS NOT NULL) NOT VALID;")).toEqual([]);
    expect(found("ALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT;\nALTER TABLE \"User\" ADD CONSTRAINT \"User_bio_not_null\" CHECK (\"bio\" IS NOT NULL) NOT VALID;")).toEqual([]);
    expect(found("ALTER TABLE \"User\" ADD CONSTRAINT \"User_name_not_null2\" CHECK (\"name\" IS NOT NULL) NOT VALID;", { history: ['ALTER TABLE "User" ADD CONSTRAINT "User_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;', 'ALTER TABLE "User" VALIDATE CONSTRAINT "User_name_not_null";'] })).toEqual([]);
  });
});
