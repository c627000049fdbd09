import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "unanalysable-code";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports EXECUTE of SQL built at run time", () => {
    expect(found("DO $$\nBEGIN\n  EXECUTE format('ALTER TABLE %I DROP COLUMN \"content\"', 'Post');\nEND $$;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("DO $$\nBEGIN\n  EXECUTE format('ALTER TABLE %I DROP COLUMN \"content\"', 'Post');\nEND $$;"), ID))).toMatchInlineSnapshot(`
      "warning[unanalysable-code]: This DO block could not be analysed: EXECUTE of SQL built at run time (format('ALTER TABLE %I DROP COLUMN "content"', 'Post')). prisma-zd cannot tell which locks it takes or what it changes.
        --> migration.sql:3:3
          |
        3 |   EXECUTE format('ALTER TABLE %I DROP COLUMN "content"', 'Post');
          |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: write the schema changes as plain statements in the migration, where they are checked; or review the code and record it above the statement: \`-- prisma-zd-ignore unanalysable-code: <reason>\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/unanalysable-code.md

      ! 0 errors, 1 warning in 1 of 1 migration."
    `);
  });
  it("reports a DO block in another language", () => {
    expect(found("DO LANGUAGE plperl $$ 1; $$;").length).toBeGreaterThan(0);
  });
  it("accepts EXECUTE of a constant string", () => {
    expect(found("DO $$ BEGIN EXECUTE 'ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT'; END $$;")).toEqual([]);
  });
  it("accepts static SQL", () => {
    expect(found("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'Status') THEN CREATE TYPE \"Status\" AS ENUM ('DRAFT'); END IF; END $$;")).toEqual([]);
  });
});
