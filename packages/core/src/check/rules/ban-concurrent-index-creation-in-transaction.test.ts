import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "ban-concurrent-index-creation-in-transaction";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports CONCURRENTLY in a multi-statement file run as one transaction", () => {
    expect(found("CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\");\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\");\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;"), ID))).toMatchInlineSnapshot(`
      "error[ban-concurrent-index-creation-in-transaction]: CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and Prisma sends the whole migration.sql as one query, which runs as one transaction, and this file has 2 statements: the deploy fails with "CREATE INDEX CONCURRENTLY cannot run inside a transaction block".
        --> migration.sql:1:1
          |
        1 | CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: put this statement alone in a migration of its own (\`prisma migrate dev --create-only\`, then move it there), or write a plain CREATE INDEX and let \`prisma-zd rewrite\` postpone it: \`prisma-zd deploy\` builds it CONCURRENTLY after the migration.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/ban-concurrent-index-creation-in-transaction.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports CONCURRENTLY inside BEGIN \u2026 COMMIT", () => {
    expect(found("BEGIN;\nDROP INDEX CONCURRENTLY \"Post_authorId_idx\";\nCOMMIT;", { execution: 'per-statement' }).length).toBeGreaterThan(0);
  });
  it("reports CONCURRENTLY inside a DO block", () => {
    expect(found("DO $$ BEGIN CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\"); END $$;").length).toBeGreaterThan(0);
  });
  it("accepts CONCURRENTLY alone in its file", () => {
    expect(found("CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\");")).toEqual([]);
  });
  it("accepts CONCURRENTLY with per-statement execution", () => {
    expect(found("CREATE INDEX CONCURRENTLY \"Post_title_idx\" ON \"Post\"(\"title\");\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;", { execution: 'per-statement' })).toEqual([]);
  });
});
