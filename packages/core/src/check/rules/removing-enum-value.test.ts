import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "removing-enum-value";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports Prisma's enum swap removing a value", () => {
    expect(found("BEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('USER');\nALTER TABLE \"User\" ALTER COLUMN \"role\" DROP DEFAULT;\nALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING (\"role\"::text::\"Role_new\");\nALTER TYPE \"Role\" RENAME TO \"Role_old\";\nALTER TYPE \"Role_new\" RENAME TO \"Role\";\nDROP TYPE \"Role_old\";\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'USER';\nCOMMIT;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("BEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('USER');\nALTER TABLE \"User\" ALTER COLUMN \"role\" DROP DEFAULT;\nALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING (\"role\"::text::\"Role_new\");\nALTER TYPE \"Role\" RENAME TO \"Role_old\";\nALTER TYPE \"Role_new\" RENAME TO \"Role\";\nDROP TYPE \"Role_old\";\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'USER';\nCOMMIT;"), ID))).toMatchInlineSnapshot(`
      "error[removing-enum-value]: "User"."role" is converted to "Role_new" (Prisma's enum swap for "Role", removing 'ADMIN'): "User" is rewritten under an ACCESS EXCLUSIVE lock, so every read and write of "User" waits until it is done, and old app versions that write 'ADMIN' fail ("invalid input value for enum").
        --> migration.sql:4:1
          |
        4 | ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "User" (blocks every read and write)
        = help: Instead: keep the old value in "Role" for this release: stop writing 'ADMIN' in the app first, move the rows in batches outside the migration, and remove the value in a later release. For a renamed value, keep the database value and rename only in Prisma: \`NEW_NAME @map("OLD_NAME")\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/removing-enum-value.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts adding a value", () => {
    expect(found("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';")).toEqual([]);
  });
  it("accepts a column converted from text (changing-column-type reports it)", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"name\" TYPE \"Role\" USING (\"name\"::\"Role\");")).toEqual([]);
  });
});
