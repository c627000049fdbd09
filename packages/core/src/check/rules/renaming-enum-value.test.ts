import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "renaming-enum-value";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports RENAME VALUE", () => {
    expect(found("ALTER TYPE \"Role\" RENAME VALUE 'ADMIN' TO 'ADMINISTRATOR';").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TYPE \"Role\" RENAME VALUE 'ADMIN' TO 'ADMINISTRATOR';"), ID))).toMatchInlineSnapshot(`
      "error[renaming-enum-value]: RENAME VALUE 'ADMIN' TO 'ADMINISTRATOR' of enum "Role": old app versions that write 'ADMIN' fail ("invalid input value for enum"), and they cannot read rows holding 'ADMINISTRATOR' (Prisma Client rejects a value its schema does not know).
        --> migration.sql:1:1
          |
        1 | ALTER TYPE "Role" RENAME VALUE 'ADMIN' TO 'ADMINISTRATOR';
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: keep the database value and rename only in schema.prisma: \`ADMINISTRATOR @map("ADMIN")\` in enum Role (no migration at all).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/renaming-enum-value.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts an enum created in the same migration", () => {
    expect(found("CREATE TYPE \"Status\" AS ENUM ('DRAFT');\nALTER TYPE \"Status\" RENAME VALUE 'DRAFT' TO 'NEW';")).toEqual([]);
  });
});
