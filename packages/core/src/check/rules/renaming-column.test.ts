import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "renaming-column";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports RENAME COLUMN", () => {
    expect(found("ALTER TABLE \"Post\" RENAME COLUMN \"content\" TO \"body\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" RENAME COLUMN \"content\" TO \"body\";"), ID))).toMatchInlineSnapshot(`
      "error[renaming-column]: RENAME COLUMN "Post"."content" TO "body": old app versions select "content" by name and fail from this moment, and the new version fails wherever it runs before the migration.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" RENAME COLUMN "content" TO "body";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: keep the column's name and rename only the field: \`body … @map("content")\` in schema.prisma (no migration at all).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/renaming-column.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts a column of a new table", () => {
    expect(found("CREATE TABLE \"Tag\" (\"nme\" TEXT);\nALTER TABLE \"Tag\" RENAME COLUMN \"nme\" TO \"name\";")).toEqual([]);
  });
});
