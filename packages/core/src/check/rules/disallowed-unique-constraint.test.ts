import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "disallowed-unique-constraint";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports ADD CONSTRAINT \u2026 UNIQUE", () => {
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_title_key\" UNIQUE (\"title\");").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_title_key\" UNIQUE (\"title\");"), ID))).toMatchInlineSnapshot(`
      "error[disallowed-unique-constraint]: ADD CONSTRAINT "Post_title_key" UNIQUE builds its index on existing table "Post" under an ACCESS EXCLUSIVE lock: every read and write of "Post" waits until the index is built.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD CONSTRAINT "Post_title_key" UNIQUE ("title");
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: build the index first without blocking writes — \`CREATE UNIQUE INDEX "Post_title_key" ON "Post" ("title");\`, which \`prisma-zd rewrite\` postpones and \`prisma-zd deploy\` builds CONCURRENTLY — then, in a later migration, \`ALTER TABLE "Post" ADD CONSTRAINT "Post_title_key" UNIQUE USING INDEX "Post_title_key";\` (a brief lock).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/disallowed-unique-constraint.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports ADD CONSTRAINT \u2026 PRIMARY KEY", () => {
    expect(found("ALTER TABLE \"Post\" DROP CONSTRAINT \"Post_pkey\",\nADD CONSTRAINT \"Post_pkey\" PRIMARY KEY (\"id\", \"authorId\");").length).toBeGreaterThan(0);
  });
  it("accepts USING INDEX", () => {
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_title_key\" UNIQUE USING INDEX \"Post_title_key\";", { history: ['CREATE UNIQUE INDEX CONCURRENTLY "Post_title_key" ON "Post"("title");'] })).toEqual([]);
  });
  it("accepts a new table", () => {
    expect(found("CREATE TABLE \"Tag\" (\"name\" TEXT NOT NULL);\nALTER TABLE \"Tag\" ADD CONSTRAINT \"Tag_name_key\" UNIQUE (\"name\");")).toEqual([]);
  });
});
