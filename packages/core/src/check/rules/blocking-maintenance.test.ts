import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "blocking-maintenance";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports REINDEX without CONCURRENTLY", () => {
    expect(found("REINDEX TABLE \"Post\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("REINDEX TABLE \"Post\";"), ID))).toMatchInlineSnapshot(`
      "error[blocking-maintenance]: REINDEX without CONCURRENTLY blocks writes to "Post" (SHARE lock) and reads that use the index (ACCESS EXCLUSIVE lock on it) until the rebuild is done.
        --> migration.sql:1:1
          |
        1 | REINDEX TABLE "Post";
          | ^^^^^^^^^^^^^^^^^^^^
        = lock: SHARE on "Post" (blocks writes; reads continue)
        = help: Instead: run \`REINDEX … CONCURRENTLY\` (PostgreSQL 12+) outside migrations, or alone in a migration of its own.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/blocking-maintenance.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports VACUUM FULL", () => {
    expect(found("VACUUM FULL \"Post\";").length).toBeGreaterThan(0);
  });
  it("reports CLUSTER", () => {
    expect(found("CLUSTER \"Post\" USING \"Post_pkey\";").length).toBeGreaterThan(0);
  });
  it("reports VACUUM in a multi-statement file", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;\nVACUUM \"Post\";").length).toBeGreaterThan(0);
  });
  it("accepts REINDEX CONCURRENTLY", () => {
    expect(found("REINDEX INDEX CONCURRENTLY \"Post_authorId_idx\";")).toEqual([]);
  });
  it("accepts VACUUM alone in its file", () => {
    expect(found("VACUUM \"Post\";")).toEqual([]);
  });
  it("accepts ANALYZE", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;\nANALYZE \"Post\";")).toEqual([]);
  });
});
