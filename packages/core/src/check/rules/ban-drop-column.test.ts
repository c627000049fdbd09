import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "ban-drop-column";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports DROP COLUMN of an existing column", () => {
    expect(found("ALTER TABLE \"Post\" DROP COLUMN \"content\";").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" DROP COLUMN \"content\";"), ID))).toMatchInlineSnapshot(`
      "error[ban-drop-column]: DROP COLUMN "Post"."content": Prisma Client selects every scalar field by name, so each query of old app versions on "Post" fails ("column "content" does not exist") from this moment until the last old pod is gone.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" DROP COLUMN "content";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: ACCESS EXCLUSIVE on "Post" (blocks every read and write)
        = help: Instead: run \`prisma-zd rewrite\`: it defers this drop to \`prisma-zd contract\`, which runs once no old app version is left; until then old pods keep the column.
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/ban-drop-column.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("gives rewrite's reason where it leaves the drop alone", () => {
    const [d] = found("ALTER TABLE \"User\" DROP COLUMN \"email\";");
    expect(d!.fixedBy).toBeUndefined();
    expect(found("ALTER TABLE \"Post\" DROP COLUMN \"content\";")[0]!.fixedBy).toBe("rewrite");
    expect(d!.help).toContain('(`prisma-zd rewrite` left it alone: index "User_email_key" depends on it.)');
    expect(d!.help).toContain('mark the field `@ignore`');
  });
  it("reports DROP COLUMN hidden in a DO block", () => {
    expect(found("DO $$ BEGIN ALTER TABLE \"Post\" DROP COLUMN \"content\"; END $$;").length).toBeGreaterThan(0);
  });
  it("accepts a column added in the same migration", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"draft\" TEXT;\nALTER TABLE \"Post\" DROP COLUMN \"draft\";")).toEqual([]);
  });
  it("accepts a column dropped and recreated (recreating-column reports it)", () => {
    expect(found("ALTER TABLE \"Post\" DROP COLUMN \"views\",\nADD COLUMN \"views\" TEXT;")).toEqual([]);
  });
});
