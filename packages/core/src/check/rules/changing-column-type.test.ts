import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "changing-column-type";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports INTEGER to BIGINT", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE BIGINT;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ALTER COLUMN \"views\" SET DATA TYPE BIGINT;"), ID))).toMatchInlineSnapshot(`
      "error[changing-column-type]: ALTER COLUMN "Post"."views" TYPE bigint (from integer) rewrites "Post" and rebuilds its indexes under an ACCESS EXCLUSIVE lock: every read and write of "Post" waits until it is done; old app versions still read and write the old type.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ALTER COLUMN "views" SET DATA TYPE BIGINT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: expand and contract — add a new column of the new type (a new field, \`@map\` to keep names tidy), write both from the app, backfill in batches, switch reads, and drop the old column in a later release. Changes that need no rewrite: varchar(n) to a longer varchar or to text, numeric(p,s) to a larger p, timestamp(p) to a larger p.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/changing-column-type.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports a shorter varchar", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(100);").length).toBeGreaterThan(0);
  });
  it("accepts a longer varchar", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE VARCHAR(255);")).toEqual([]);
  });
  it("accepts varchar to text", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"title\" SET DATA TYPE TEXT;")).toEqual([]);
  });
  it("accepts a column of a new table", () => {
    expect(found("CREATE TABLE \"Tag\" (\"n\" INTEGER);\nALTER TABLE \"Tag\" ALTER COLUMN \"n\" SET DATA TYPE BIGINT;")).toEqual([]);
  });
});
