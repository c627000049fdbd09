import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "migration-not-rewritten";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports queue maintenance: an index an earlier rewritten migration postponed is renamed", () => {
    const rename = 'ALTER INDEX "Post_title_idx" RENAME TO "Post_headline_idx";';
    expect(found(rename, { history: [rewriteExample('CREATE INDEX "Post_title_idx" ON "Post"("title");')] }).length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample(rename, { history: [rewriteExample('CREATE INDEX "Post_title_idx" ON "Post"("title");')] }), ID))).toMatchInlineSnapshot(`
      "error[migration-not-rewritten]: This statement acts on work that an earlier migration postponed (update index "Post_title_idx"): on a database that prisma-zd manages, the queue must be kept in step in the same transaction, or \`prisma-zd deploy\` later builds or validates what this migration removed or renamed.
        --> migration.sql:1:1
          |
        1 | ALTER INDEX "Post_title_idx" RENAME TO "Post_headline_idx";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: run \`prisma-zd rewrite\` (it changes only what it must, and a second run changes nothing).
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/migration-not-rewritten.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("reports an index, with require-concurrent-index-creation turned off", () => {
    expect(found("CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");", { rules: { 'require-concurrent-index-creation': 'off' } }).length).toBeGreaterThan(0);
  });
  it("accepts after prisma-zd rewrite", () => {
    expect(found(rewriteExample("CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");"))).toEqual([]);
  });
  it("accepts an index (require-concurrent-index-creation reports it)", () => {
    expect(found("CREATE INDEX \"Post_title_idx\" ON \"Post\"(\"title\");")).toEqual([]);
  });
});
