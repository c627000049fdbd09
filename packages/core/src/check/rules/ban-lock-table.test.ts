import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "ban-lock-table";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports LOCK TABLE in ACCESS EXCLUSIVE mode", () => {
    expect(found("LOCK TABLE \"Post\" IN ACCESS EXCLUSIVE MODE;\nUPDATE \"Post\" SET \"views\" = 0;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("LOCK TABLE \"Post\" IN ACCESS EXCLUSIVE MODE;\nUPDATE \"Post\" SET \"views\" = 0;"), ID))).toMatchInlineSnapshot(`
      "error[ban-lock-table]: LOCK TABLE "Post" IN ACCESS EXCLUSIVE MODE holds the lock on "Post" until the migration commits (it blocks every read and write), and while it waits for running queries, every new query on "Post" queues behind it.
        --> migration.sql:1:1
          |
        1 | LOCK TABLE "Post" IN ACCESS EXCLUSIVE MODE;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: remove it: each statement takes the lock it needs, for as short a time as it can, and \`prisma-zd deploy\` bounds every wait with lock_timeout.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/ban-lock-table.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports LOCK TABLE without a mode", () => {
    expect(found("LOCK TABLE \"Post\";").length).toBeGreaterThan(0);
  });
  it("accepts a mode that lets writes through", () => {
    expect(found("LOCK TABLE \"Post\" IN ROW EXCLUSIVE MODE;")).toEqual([]);
  });
});
