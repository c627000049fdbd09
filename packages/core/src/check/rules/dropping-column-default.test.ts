import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "dropping-column-default";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports DROP DEFAULT on a required column (fixed by rewrite)", () => {
    expect(found("ALTER TABLE \"Post\" ALTER COLUMN \"published\" DROP DEFAULT;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ALTER COLUMN \"published\" DROP DEFAULT;"), ID))).toMatchInlineSnapshot(`
      "error[dropping-column-default]: DROP DEFAULT on "Post"."published" (was false): during the rollout, old app versions that insert into "Post" without "published" (the field had @default in their schema) fail with "null value in column … violates not-null constraint".
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ALTER COLUMN "published" DROP DEFAULT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: run \`prisma-zd rewrite\`: it defers this DROP DEFAULT (and a DROP SEQUENCE that goes with it) to \`prisma-zd contract\`, which runs once no old app version is left.
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/dropping-column-default.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("accepts after prisma-zd rewrite", () => {
    expect(found(rewriteExample("ALTER TABLE \"Post\" ALTER COLUMN \"published\" DROP DEFAULT;"))).toEqual([]);
  });
  it("accepts Prisma's enum swap (the default is set again)", () => {
    expect(found("BEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('USER');\nALTER TABLE \"User\" ALTER COLUMN \"role\" DROP DEFAULT;\nALTER TABLE \"User\" ALTER COLUMN \"role\" TYPE \"Role_new\" USING (\"role\"::text::\"Role_new\");\nALTER TYPE \"Role\" RENAME TO \"Role_old\";\nALTER TYPE \"Role_new\" RENAME TO \"Role\";\nDROP TYPE \"Role_old\";\nALTER TABLE \"User\" ALTER COLUMN \"role\" SET DEFAULT 'USER';\nCOMMIT;")).toEqual([]);
  });
  it("reports the DROP DEFAULT of a required column added in the same migration (old versions do not know it), fixed by rewrite", () => {
    const [d] = found("ALTER TABLE \"Post\" ADD COLUMN \"slug\" TEXT NOT NULL DEFAULT '';\nALTER TABLE \"Post\" ALTER COLUMN \"slug\" DROP DEFAULT;");
    expect(d?.message).toContain('old app versions, which do not know "slug", insert into "Post" without it and fail with "null value in column');
    expect(d?.fixedBy).toBe('rewrite');
    // On a new table nobody old writes to: nothing.
    expect(found("CREATE TABLE \"Tag\" (\"name\" TEXT NOT NULL DEFAULT '');\nALTER TABLE \"Tag\" ALTER COLUMN \"name\" DROP DEFAULT;")).toEqual([]);
  });
});
