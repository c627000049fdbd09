import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "renaming-table";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports RENAME of a table", () => {
    expect(found("ALTER TABLE \"Post\" RENAME TO \"Article\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" RENAME TO \"Article\";"), ID))).toMatchInlineSnapshot(`
      "error[renaming-table]: ALTER TABLE "Post" RENAME TO "Article": old app versions query "Post" by name and fail from this moment, and the new version fails wherever it runs before the migration.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" RENAME TO "Article";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: keep the table's name and rename only the model: \`@@map("Post")\` on the renamed model in schema.prisma (no migration at all).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/renaming-table.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts RENAME of an index", () => {
    expect(found("ALTER INDEX \"Post_authorId_idx\" RENAME TO \"Post_author_idx\";")).toEqual([]);
  });
  it("accepts a table created in the same migration", () => {
    expect(found("CREATE TABLE \"Tmp\" (\"id\" INTEGER);\nALTER TABLE \"Tmp\" RENAME TO \"Tag\";")).toEqual([]);
  });
});
