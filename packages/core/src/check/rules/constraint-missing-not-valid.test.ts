import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule, rewriteExample } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = "constraint-missing-not-valid";
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it("reports a foreign key (fixed by rewrite)", () => {
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;").length).toBeGreaterThan(0);
    expect(renderPretty(onlyRule(checkExample("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;"), ID))).toMatchInlineSnapshot(`
      "error[constraint-missing-not-valid]: ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY on existing table "Post" checks every row of "Post" while holding SHARE ROW EXCLUSIVE locks on "Post" and "User": writes to both wait until the check is done.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTR…
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: SHARE ROW EXCLUSIVE on "Post" (blocks writes; reads continue)
        = help: Instead: run \`prisma-zd rewrite\`: it adds the foreign key NOT VALID (a brief lock) and \`prisma-zd deploy\` validates it after the migration (reads and writes continue).
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/constraint-missing-not-valid.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });
  it("names a self-referencing key's one table once", () => {
    const [d] = found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_parentId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"Post\"(\"id\");");
    expect(d?.message).toBe('ADD CONSTRAINT "Post_parentId_fkey" FOREIGN KEY on existing table "Post" checks every row of "Post" while holding a SHARE ROW EXCLUSIVE lock on "Post" (the key references "Post" itself): writes to "Post" wait until the check is done.');
  });
  it("names an unnamed foreign key as PostgreSQL will (Prisma 2's ADD FOREIGN KEY), so that the help's VALIDATE is valid SQL", () => {
    const [d] = found("ALTER TABLE \"Post\" ADD FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\");");
    expect(d?.message).toContain('ADD FOREIGN KEY (unnamed: PostgreSQL names it "Post_authorId_fkey")');
    expect(d?.help).toContain('VALIDATE CONSTRAINT "Post_authorId_fkey";');
    // A name already taken in the schema: PostgreSQL's next one.
    const [taken] = found("ALTER TABLE \"Post\" ADD FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\");", { history: ['ALTER TABLE "User" ADD CONSTRAINT "Post_authorId_fkey" CHECK ("id" > 0);'] });
    expect(taken?.help).toContain('VALIDATE CONSTRAINT "Post_authorId_fkey1";');
  });
  it("reports a CHECK constraint: a named one fixed by rewrite, an unnamed one to be named", () => {
    const [named] = found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_views_check\" CHECK (\"views\" >= 0);");
    expect(named?.fixedBy).toBe('rewrite');
    expect(named?.help).toBe('Instead: run `prisma-zd rewrite`: it adds the check NOT VALID (a brief lock; new writes are checked at once) and `prisma-zd deploy` validates it after the migration (reads and writes continue).');
    const [unnamed] = found("ALTER TABLE \"Post\" ADD CHECK (\"views\" >= 0);");
    expect(unnamed?.fixedBy).toBeUndefined();
    expect(unnamed?.help).toContain('or name it and let `prisma-zd rewrite` do both.');
    expect(found(rewriteExample("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_views_check\" CHECK (\"views\" >= 0);"))).toEqual([]);
  });
  it("a foreign key on a partitioned table: not fixed by rewrite (NOT VALID is refused there before PostgreSQL 18), the partitions first", () => {
    const history = ['CREATE TABLE "Event" ("id" INTEGER NOT NULL, "at" DATE NOT NULL, "authorId" INTEGER) PARTITION BY RANGE ("at");\nCREATE TABLE "Event_2026" PARTITION OF "Event" FOR VALUES FROM (\'2026-01-01\') TO (\'2027-01-01\');'];
    const sql = 'ALTER TABLE "Event" ADD CONSTRAINT "Event_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");';
    const [d] = found(sql, { history });
    expect(d?.fixedBy).toBeUndefined();
    expect(d?.help).toContain('"Event" is partitioned, and PostgreSQL before 18 cannot add a NOT VALID foreign key to a partitioned table: add the same key to each partition with NOT VALID');
    // Checked for PostgreSQL 18, the plain way out.
    const [on18] = found(sql, { history, postgresVersion: 18 });
    expect(on18?.help).toContain('Instead: add it with NOT VALID (a brief lock) and run `ALTER TABLE "Event" VALIDATE CONSTRAINT "Event_authorId_fkey";`');
  });
  it("reports NOT VALID, then VALIDATE in the same transaction", () => {
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_views_check\" CHECK (\"views\" >= 0) NOT VALID;\nALTER TABLE \"Post\" VALIDATE CONSTRAINT \"Post_views_check\";").length).toBeGreaterThan(0);
  });
  it("accepts NOT VALID", () => {
    expect(found("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_views_check\" CHECK (\"views\" >= 0) NOT VALID;")).toEqual([]);
  });
  it("accepts a foreign key on a new table", () => {
    expect(found("CREATE TABLE \"Comment\" (\"id\" TEXT NOT NULL, \"postId\" TEXT NOT NULL);\nALTER TABLE \"Comment\" ADD CONSTRAINT \"Comment_postId_fkey\" FOREIGN KEY (\"postId\") REFERENCES \"Post\"(\"id\");")).toEqual([]);
  });
  it("accepts a foreign key after prisma-zd rewrite", () => {
    expect(found(rewriteExample("ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY (\"authorId\") REFERENCES \"User\"(\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;"))).toEqual([]);
  });
  it("reports ALTER DOMAIN ADD CONSTRAINT on a domain that an existing column uses through a domain over it", () => {
    const history = ["CREATE DOMAIN posint AS INTEGER;\nCREATE DOMAIN score AS posint;\nALTER TABLE \"Post\" ADD COLUMN \"score\" score;"];
    expect(found("ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);", { history }).map((d) => d.table?.name)).toEqual(["Post"]);
    expect(found("ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0) NOT VALID;", { history })).toEqual([]);
  });
});
