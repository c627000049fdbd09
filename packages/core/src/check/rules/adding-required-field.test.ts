import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "adding-required-field";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports NOT NULL without a default (Prisma's @updatedAt)", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"updatedAt\" TIMESTAMP(3) NOT NULL;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"updatedAt\" TIMESTAMP(3) NOT NULL;"), ID))).toMatchInlineSnapshot(`
      "error[adding-required-field]: ADD COLUMN "updatedAt" NOT NULL without a database default on existing table "Post": the migration fails if "Post" has rows ("column "updatedAt" contains null values"), and old app versions, which do not know "updatedAt", fail on every INSERT into "Post".
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "updatedAt" TIMESTAMP(3) NOT NULL;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: give "updatedAt" a database default — \`@default(…)\` with a constant, \`now()\` or \`dbgenerated("gen_random_uuid()")\` (\`@updatedAt\`, \`@default(uuid())\` and \`@default(cuid())\` are filled in by Prisma Client, not by the database) — or add it optional (\`?\`), deploy, backfill, and make it required in a later migration.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-required-field.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("accepts NOT NULL with a default", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"updatedAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;")).toEqual([]);
  });
  it("accepts an optional column", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;")).toEqual([]);
  });
  it("accepts a new table", () => {
    expect(found("CREATE TABLE \"Tag\" (\"id\" TEXT NOT NULL, \"name\" TEXT NOT NULL);")).toEqual([]);
  });
  it("reports a column of a domain with NOT NULL and no default", () => {
    const history = ["CREATE DOMAIN required_int AS INTEGER NOT NULL;"];
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"rank\" required_int;", { history }), ID))).toMatchInlineSnapshot(`
      "error[adding-required-field]: ADD COLUMN "rank" of type "required_int", a domain with NOT NULL, without a default on existing table "Post": the migration fails if "Post" has rows ("domain required_int does not allow null values"), and old app versions, which do not know "rank", fail on every INSERT into "Post".
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "rank" required_int;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: add "rank" with the domain's base type (\`ADD COLUMN "rank" integer\`), optional; backfill it, and make it required in a later migration (\`prisma-zd explain adding-not-nullable-field\` shows how without a long lock). With a default, a column of a domain with NOT NULL is added by rewriting "Post" (adding-field-with-default).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/adding-required-field.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports NOT NULL DEFAULT NULL (the default fills nothing)", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"rank\" INTEGER NOT NULL DEFAULT NULL;").length).toBe(1);
  });
  it("accepts a NOT NULL column whose domain has a default", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"rank\" rank NOT NULL;", { history: ["CREATE DOMAIN rank AS INTEGER DEFAULT 0;"] })).toEqual([]);
  });
});
