import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "ban-drop-column";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports DROP COLUMN of an existing column", () => {
    expect(found("ALTER TABLE \"Post\" DROP COLUMN \"content\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" DROP COLUMN \"content\";"), ID))).toMatchInlineSnapshot(`
      "error[ban-drop-column]: DROP COLUMN "Post"."content": Prisma Client selects every scalar field by name, so each query of old app versions on "Post" fails ("column "content" does not exist") from this moment until the last old pod is gone.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" DROP COLUMN "content";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: stop reading the column first — mark the field \`@ignore\` in schema.prisma (Migrate keeps the column), deploy that release, and drop "content" in a later migration. If that release is already out, say so above the statement: \`-- prisma-zd-ignore ban-drop-column: <reason>\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/ban-drop-column.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports DROP COLUMN hidden in a DO block", () => {
    expect(found("DO $$ BEGIN ALTER TABLE \"Post\" DROP COLUMN \"content\"; END $$;").length).toBeGreaterThan(0);
  });
  it("accepts a column added in the same migration", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"draft\" TEXT;\nALTER TABLE \"Post\" DROP COLUMN \"draft\";")).toEqual([]);
  });
  it("accepts a column dropped and recreated (recreating-column reports it)", () => {
    expect(found("ALTER TABLE \"Post\" DROP COLUMN \"views\",\nADD COLUMN \"views\" TEXT;")).toEqual([]);
  });
});
