import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = 'domain-constraint-on-array-column';
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);
const TAGS = 'CREATE DOMAIN "Tag" AS TEXT;\nALTER TABLE "Post" ADD COLUMN "tags" "Tag"[];';

describe(ID, () => {
  it('reports ADD CONSTRAINT on a domain a column holds arrays of: PostgreSQL refuses it', () => {
    const sql = 'ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30);';
    expect(renderPretty(onlyRule(checkExample(sql, { history: [TAGS] }), ID))).toMatchInlineSnapshot(`
      "error[domain-constraint-on-array-column]: ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK fails: column "tags" of "Post" holds arrays of "Tag", and PostgreSQL cannot check a domain's constraints on the values stored in arrays of it (ERROR: cannot alter type … because column "Post.tags" uses it). The migration stops at this statement.
        --> migration.sql:1:1
          |
        1 | ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30);
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: add it with NOT VALID: new values, array elements included, are checked at once, the stored ones are not; never VALIDATE it while "tags" of "Post" holds arrays of "Tag" (VALIDATE fails the same way).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/domain-constraint-on-array-column.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });

  it('reports VALIDATE CONSTRAINT and SET NOT NULL, through a domain over the domain, and on tables of the same migration', () => {
    const messages = (sql: string, history: string[] = [TAGS]) => found(sql, { history }).map((d) => d.message.split(':')[0]);
    expect(messages('ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30) NOT VALID;\nALTER DOMAIN "Tag" VALIDATE CONSTRAINT "Tag_length";')).toEqual([
      'ALTER DOMAIN "Tag" VALIDATE CONSTRAINT "Tag_length" fails',
    ]);
    expect(messages('ALTER DOMAIN "Tag" SET NOT NULL;')).toEqual(['ALTER DOMAIN "Tag" SET NOT NULL fails']);
    const over = 'CREATE DOMAIN "Tag" AS TEXT;\nCREATE DOMAIN "ShortTag" AS "Tag";\nCREATE TABLE "Label" ("id" INTEGER, "names" "ShortTag"[]);';
    expect(found('ALTER DOMAIN "Tag" ADD CHECK (VALUE <> \'\');', { history: [over] }).map((d) => d.message)[0]).toContain('column "names" of "Label" holds arrays of "ShortTag" (a domain over "Tag")');
    expect(messages(`${over}\nALTER DOMAIN "ShortTag" ADD CHECK (VALUE <> '');`, [])).toEqual(['ALTER DOMAIN "ShortTag" ADD CHECK fails']);
  });

  it('accepts NOT VALID, a domain no column holds arrays of, and an array column of another type', () => {
    expect(found('ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30) NOT VALID;', { history: [TAGS] })).toEqual([]);
    expect(found('ALTER DOMAIN "Tag" ADD CHECK (VALUE <> \'\');', { history: ['CREATE DOMAIN "Tag" AS TEXT;\nALTER TABLE "Post" ADD COLUMN "tag" "Tag";'] })).toEqual([]);
    expect(found('ALTER DOMAIN "Tag" ADD CHECK (VALUE <> \'\');', { history: ['CREATE DOMAIN "Tag" AS TEXT;\nALTER TABLE "Post" ADD COLUMN "tags" TEXT[];'] })).toEqual([]);
    expect(found('ALTER TABLE "Post" DROP COLUMN "tags";\nALTER DOMAIN "Tag" ADD CHECK (VALUE <> \'\');', { history: [TAGS] })).toEqual([]);
  });
});
