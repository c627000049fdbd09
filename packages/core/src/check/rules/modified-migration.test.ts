import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "modified-migration";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports a committed migration edited afterwards", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT NOT NULL DEFAULT '';", { standing: { committed: 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;' } }).length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT NOT NULL DEFAULT '';", { standing: { committed: 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;' } }), ID))).toMatchInlineSnapshot(`
      "error[modified-migration]: 99999999999999_migration was edited after it was committed: databases that already applied it (other developers, staging, production) keep the old version, and \`prisma migrate deploy\` never runs the new one there.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "summary" TEXT NOT NULL DEFAULT '';
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: restore the committed version (\`git checkout HEAD -- migration.sql\`) and make the change in a new migration (\`prisma migrate dev --create-only\`).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/modified-migration.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });
  it("reports an applied migration whose checksum differs", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;", { standing: { appliedChecksum: '0'.repeat(64) } }).length).toBeGreaterThan(0);
  });
  it("accepts unchanged since committed", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;", { standing: { committed: 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;' } })).toEqual([]);
  });
  it("only warns when a committed migration was rewritten (adopting prisma-zd): indexes, defaults and foreign keys alike", () => {
    const committed = 'CREATE INDEX "Post_title_idx" ON "Post"("title");\nALTER TABLE "Post" ALTER COLUMN "views" DROP DEFAULT;\nALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;\n';
    const rewritten = rewriteExample(committed);
    expect(rewritten).toContain('ON UPDATE CASCADE NOT VALID;');
    expect(found(rewritten, { standing: { committed } }).map((d) => d.severity)).toEqual(['warning']);
  });
  it("only warns for a rewritten CHECK too (NOT VALID, validated in the block)", () => {
    const committed = 'ALTER TABLE "Post" ADD CONSTRAINT "Post_views_check" CHECK ("views" >= 0);\n';
    const rewritten = rewriteExample(committed);
    expect(rewritten).toContain('CHECK ("views" >= 0) NOT VALID;');
    expect(found(rewritten, { standing: { committed } }).map((d) => d.severity)).toEqual(['warning']);
    // Another expression is an edit.
    expect(found(rewritten.replace('>= 0) NOT VALID', '> 0) NOT VALID'), { standing: { committed } }).map((d) => d.severity)).toEqual(['error']);
  });
  it("still reports an edited foreign key that also became NOT VALID and validated", () => {
    const committed = 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;\n';
    const edited = 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE NOT VALID;\nALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";\n';
    expect(found(edited, { standing: { committed } }).map((d) => d.severity)).toEqual(['error']);
    // NOT VALID without the validation is a change too.
    expect(found(committed.replace(';', ' NOT VALID;'), { standing: { committed } }).map((d) => d.severity)).toEqual(['error']);
  });
  it("accepts a new migration", () => {
    expect(found("ALTER TABLE \"Post\" ADD COLUMN \"summary\" TEXT;")).toEqual([]);
  });
});
