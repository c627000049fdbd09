import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "unbatched-backfill";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports UPDATE of an existing table next to DDL", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"slug\" TEXT;\nUPDATE \"Post\" SET \"slug\" = \"id\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"slug\" TEXT;\nUPDATE \"Post\" SET \"slug\" = \"id\";"), ID))).toMatchInlineSnapshot(`
      "warning[unbatched-backfill]: UPDATE of existing table "Post" in one statement: every row it changes stays locked until the migration commits, so old app versions writing those rows wait, and the schema changes in the same transaction keep their locks on their tables for as long.
        --> migration.sql:2:1
          |
        2 | UPDATE "Post" SET "slug" = "id";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ROW EXCLUSIVE on "Post" (locks the rows it changes until the migration commits)
        = help: Instead: backfill outside the schema migration, in batches of a few thousand rows per transaction (a script run after \`prisma-zd deploy\`, e.g. \`UPDATE "Post" SET … WHERE "id" IN (SELECT "id" FROM "Post" WHERE … LIMIT 5000)\` until no row is left); if "Post" is small, put the UPDATE in a migration of its own.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/unbatched-backfill.md

      ! 0 errors, 1 warning in 1 of 1 migration."
    `);
  });
  it("reports DELETE hidden in a DO block", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"slug\" TEXT;\nDO $$ BEGIN DELETE FROM \"Post\" WHERE \"published\" = false; END $$;").length).toBeGreaterThan(0);
  });
  it("accepts a data-only migration", () => {
    expect(found("UPDATE \"Post\" SET \"views\" = 0 WHERE \"views\" < 0;")).toEqual([]);
  });
  it("accepts rows of a table created in the same migration", () => {
    expect(found("CREATE TABLE \"Tag\" (\"name\" TEXT);\nINSERT INTO \"Tag\" VALUES ('a');\nUPDATE \"Tag\" SET \"name\" = 'b';")).toEqual([]);
  });
});
