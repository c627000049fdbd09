import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "adding-exclusion-constraint";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports an EXCLUDE constraint on an existing table", () => {
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_author_excl\" EXCLUDE USING gist (\"authorId\" WITH =);").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_author_excl\" EXCLUDE USING gist (\"authorId\" WITH =);"), ID))).toMatchInlineSnapshot(`
      "error[adding-exclusion-constraint]: ADD CONSTRAINT "Post_author_excl" EXCLUDE builds its index on existing table "Post" under an ACCESS EXCLUSIVE lock: every read and write of "Post" waits until it is built. PostgreSQL has no CONCURRENTLY or USING INDEX for exclusion constraints.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD CONSTRAINT "Post_author_excl" EXCLUDE USING gist ("authorId" WITH =);
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: add it while "Post" is small or in a maintenance window, or enforce the rule in the app (a transaction with SELECT … FOR UPDATE); then record the decision above the statement: \`-- prisma-zd-ignore adding-exclusion-constraint: <reason>\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-exclusion-constraint.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts on a table created in the same migration", () => {
    expect(found("CREATE TABLE \"Booking\" (\"id\" SERIAL NOT NULL, \"room\" INTEGER NOT NULL);\nALTER TABLE \"Booking\" ADD CONSTRAINT \"Booking_room_excl\" EXCLUDE USING gist (\"room\" WITH =);")).toEqual([]);
  });
});
