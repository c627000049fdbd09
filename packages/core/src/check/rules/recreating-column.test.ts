import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "recreating-column";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports Prisma's drop-and-recreate on a type change", () => {
    expect(found("-- AlterTable\nALTER TABLE \"Post\" DROP COLUMN \"views\",\nADD COLUMN     \"views\" TEXT NOT NULL DEFAULT '0';").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("-- AlterTable\nALTER TABLE \"Post\" DROP COLUMN \"views\",\nADD COLUMN     \"views\" TEXT NOT NULL DEFAULT '0';"), ID))).toMatchInlineSnapshot(`
      "error[recreating-column]: "Post"."views" is dropped and added again as text (from integer): every value in the column is lost. Old app versions still send "views" as integer: with Prisma's Rust query engine (Prisma 6's default, typed parameters), their filters on "views" fail ("operator does not exist: text = integer"); with a driver adapter (Prisma 7, untyped parameters), their range filters and ordering on "views" compare text, and reading a value that is not a valid integer fails. Prisma writes this when it cannot cast the old type to the new one.
        --> migration.sql:2:20
          |
        2 | ALTER TABLE "Post" DROP COLUMN "views",
          |                    ^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: edit the migration (\`prisma migrate dev --create-only\`) to convert in place — \`ALTER TABLE "Post" ALTER COLUMN "views" TYPE … USING (…)\` — or, without a long lock, add a new column, backfill it in batches, and drop the old one in a later release.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/recreating-column.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts DROP COLUMN alone", () => {
    expect(found("ALTER TABLE \"Post\" DROP COLUMN \"views\";")).toEqual([]);
  });
  it("accepts ALTER COLUMN \u2026 TYPE \u2026 USING", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE TEXT USING \"views\"::text;")).toEqual([]);
  });
});
