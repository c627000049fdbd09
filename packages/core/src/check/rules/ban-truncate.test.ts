import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "ban-truncate";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports TRUNCATE of an existing table", () => {
    expect(found("TRUNCATE \"Post\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("TRUNCATE \"Post\";"), ID))).toMatchInlineSnapshot(`
      "error[ban-truncate]: TRUNCATE "Post" takes an ACCESS EXCLUSIVE lock (every read and write of "Post" waits for it) and removes every row while old app versions still use the table.
        --> migration.sql:1:1
          |
        1 | TRUNCATE "Post";
          | ^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: delete the rows the app no longer needs in batches, outside the schema migration; if "Post" really must be emptied and no app version uses it, say so above the statement: \`-- prisma-zd-ignore ban-truncate: <reason>\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/ban-truncate.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts a table created in the same migration", () => {
    expect(found("CREATE TABLE \"Scratch\" (\"id\" INTEGER);\nTRUNCATE \"Scratch\";")).toEqual([]);
  });
});
