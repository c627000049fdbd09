import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "require-concurrent-index-deletion";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports DROP INDEX", () => {
    expect(found("-- DropIndex\nDROP INDEX \"Post_authorId_idx\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("-- DropIndex\nDROP INDEX \"Post_authorId_idx\";"), ID))).toMatchInlineSnapshot(`
      "warning[require-concurrent-index-deletion]: DROP INDEX "Post_authorId_idx" takes an ACCESS EXCLUSIVE lock on "Post": while it waits for running queries on "Post" to finish, every new read and write of "Post" queues behind it.
        --> migration.sql:2:1
          |
        2 | DROP INDEX "Post_authorId_idx";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: run \`prisma-zd rewrite\`: it defers this drop to \`prisma-zd contract\`, which drops "Post_authorId_idx" CONCURRENTLY once no old app version runs (their queries keep the index until then).
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/require-concurrent-index-deletion.md

      ! 0 errors, 1 warning in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("says how to do it by hand where rewrite leaves the drop alone", () => {
    const sql = "DROP INDEX \"Post_authorId_idx\";\nALTER TABLE \"Post\" RENAME TO \"Article\";";
    const [d] = found(sql);
    expect(d?.help).toBe("Instead: drop it with `DROP INDEX CONCURRENTLY IF EXISTS \"Post_authorId_idx\";` alone in a migration of its own (`prisma migrate dev --create-only`, then edit): CONCURRENTLY cannot run inside a transaction; `prisma-zd rewrite` left it alone (line 2 renames table \"public\".\"Post\": the index must be gone by then).");
    expect(d?.fixedBy).toBeUndefined();
  });
  it("accepts the drop as rewritten (deferred to contract)", async () => {
    const { rewriteExample } = await import("../examples.js");
    const rewritten = rewriteExample("-- DropIndex\nDROP INDEX \"Post_authorId_idx\";");
    expect(rewritten).toContain("prisma-zd: deferred: index \"Post_authorId_idx\"");
    expect(checkExample(rewritten).diagnostics).toEqual([]);
  });
  it("accepts DROP INDEX CONCURRENTLY", () => {
    expect(found("DROP INDEX CONCURRENTLY \"Post_authorId_idx\";")).toEqual([]);
  });
  it("accepts an index created in the same migration", () => {
    expect(found("CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\");\nDROP INDEX \"Post_title_idx\";", { rules: { 'ban-concurrent-index-creation-in-transaction': 'off' } })).toEqual([]);
  });
});
