import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "ban-drop-table";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports DROP TABLE of an existing table", () => {
    expect(found("DROP TABLE \"Post\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("DROP TABLE \"Post\";"), ID))).toMatchInlineSnapshot(`
      "error[ban-drop-table]: DROP TABLE "Post": old app versions still query "Post" (its model, and relations that include it) and fail ("relation "Post" does not exist") until the last old pod is gone; its rows are gone for good.
        --> migration.sql:1:1
          |
        1 | DROP TABLE "Post";
          | ^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: stop using the model first — mark it \`@@ignore\` in schema.prisma (Migrate keeps the table), deploy that release, and drop "Post" in a later migration. If that release is already out, say so above the statement: \`-- prisma-zd-ignore ban-drop-table: <reason>\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/ban-drop-table.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts a table created in the same migration", () => {
    expect(found("CREATE TABLE \"Scratch\" (\"id\" INTEGER);\nDROP TABLE \"Scratch\";")).toEqual([]);
  });
});
