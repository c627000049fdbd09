import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "new-enum-value-in-transaction";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports a new value used as a default in the same file", () => {
    expect(found("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'EDITOR';").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'EDITOR';"), ID))).toMatchInlineSnapshot(`
      "error[new-enum-value-in-transaction]: 'EDITOR' is added to enum "Role" at line 1 and used here in the same transaction: PostgreSQL rejects it ("unsafe use of new value 'EDITOR' of enum type Role") and the deploy fails.
        --> migration.sql:2:1
          |
        2 | ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'EDITOR';
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: add the value in a migration of its own and use it in the next one (\`prisma migrate dev --create-only\`, then move this statement to a new migration).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/new-enum-value-in-transaction.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports ADD VALUE in a transaction before PostgreSQL 12", () => {
    expect(found("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';\nALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;", { postgresVersion: 11 }).length).toBeGreaterThan(0);
  });
  it("accepts the value used in a later migration", () => {
    expect(found("ALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'EDITOR';", { history: ['ALTER TYPE "Role" ADD VALUE \'EDITOR\';'] })).toEqual([]);
  });
  it("accepts per-statement execution", () => {
    expect(found("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'EDITOR';", { execution: 'per-statement' })).toEqual([]);
  });
  it("accepts an enum created in the same migration", () => {
    expect(found("CREATE TYPE \"Status\" AS ENUM ('DRAFT');\nALTER TYPE \"Status\" ADD VALUE 'LIVE';\nALTER TABLE \"Post\" ADD COLUMN \"status\" \"Status\" NOT NULL DEFAULT 'LIVE';")).toEqual([]);
  });
});

describe(`${ID}: what counts as a use`, () => {
  it('a cast to the enum', () => {
    expect(found("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';\nSELECT 'EDITOR'::\"Role\";").length).toBe(1);
  });
  it('not the same string on a table without a column of the enum', () => {
    expect(found("ALTER TYPE \"Role\" ADD VALUE 'EDITOR';\nUPDATE \"Post\" SET \"title\" = 'EDITOR';")).toEqual([]);
  });
});
