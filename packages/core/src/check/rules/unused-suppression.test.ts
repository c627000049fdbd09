import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "unused-suppression";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports a suppression that suppresses nothing", () => {
    expect(found("-- prisma-zd-ignore ban-drop-table: the table is gone\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("-- prisma-zd-ignore ban-drop-table: the table is gone\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;"), ID))).toMatchInlineSnapshot(`
      "warning[unused-suppression]: This comment suppresses ban-drop-table, which reports nothing on the statement below.
        --> migration.sql:1:1
          |
        1 | -- prisma-zd-ignore ban-drop-table: the table is gone
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: remove the comment (or the rule from it).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/unused-suppression.md

      ! 0 errors, 1 warning in 1 of 1 migration."
    `);
  });
  it("reports an unknown rule", () => {
    expect(found("-- prisma-zd-ignore no-such-rule: typo\nALTER TABLE \"Post\" DROP COLUMN \"content\";").length).toBeGreaterThan(0);
  });
  it("accepts a suppression in use", () => {
    expect(found("-- prisma-zd-ignore ban-drop-column: the field is @ignore since release 41\nALTER TABLE \"Post\" DROP COLUMN \"content\";")).toEqual([]);
  });
  it("accepts a squawk suppression", () => {
    expect(found("-- squawk-ignore prefer-robust-stmts\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;")).toEqual([]);
  });
});
