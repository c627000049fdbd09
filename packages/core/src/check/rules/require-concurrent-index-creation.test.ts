import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "require-concurrent-index-creation";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports CREATE INDEX on an existing table (fixed by rewrite)", () => {
    expect(found("-- CreateIndex\nCREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("-- CreateIndex\nCREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");"), ID))).toMatchInlineSnapshot(`
      "error[require-concurrent-index-creation]: CREATE INDEX "Post_title_idx" on existing table "Post" takes a SHARE lock: every INSERT, UPDATE and DELETE on "Post" waits until the whole index is built.
        --> migration.sql:2:1
          |
        2 | CREATE INDEX "Post_title_idx" ON "Post"("title");
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: SHARE on "Post" (blocks writes; reads continue)
        = help: Instead: run \`prisma-zd rewrite\`: it postpones "Post_title_idx", and \`prisma-zd deploy\` builds it with CREATE INDEX CONCURRENTLY after the migration (writes continue).
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/require-concurrent-index-creation.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("reports CREATE UNIQUE INDEX inside a DO block", () => {
    expect(found("DO $$ BEGIN CREATE UNIQUE INDEX \"Post_title_key\" ON \"Post\"(\"title\"); END $$;").length).toBeGreaterThan(0);
  });
  it("accepts CONCURRENTLY", () => {
    expect(found("CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\");")).toEqual([]);
  });
  it("accepts a table created in the same migration", () => {
    expect(found("CREATE TABLE \"Tag\" (\"name\" TEXT NOT NULL);\nCREATE UNIQUE INDEX \"Tag_name_key\" ON \"Tag\"(\"name\");")).toEqual([]);
  });
  it("accepts after prisma-zd rewrite", () => {
    expect(found(rewriteExample("-- CreateIndex\nCREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");"))).toEqual([]);
  });
  it("says that old app versions may write duplicates before a postponed UNIQUE index is built", () => {
    expect(found("CREATE UNIQUE INDEX \"Post_title_key\" ON \"Post\"(\"title\");")[0]?.help).toContain(
      'Until it is built, old app versions may still write duplicates: one makes the build fail (`prisma-zd deploy` exits 5 before the rollout; the old version keeps working)',
    );
    expect(found("CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");")[0]?.help).not.toContain('duplicates');
  });
});
