import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = 'renamed-migration';
const SQL = 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT;';
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);

describe(ID, () => {
  it('reports a committed migration moved to another name, for the whole file', () => {
    const report = checkExample(SQL, { name: '20240605000000_add_summary', standing: { renamedFrom: '20240601000000_add_summary' } });
    expect(renderPretty(onlyRule(report, ID))).toMatchInlineSnapshot(`
      "error[renamed-migration]: 20240605000000_add_summary is 20240601000000_add_summary renamed (the same text; 20240601000000_add_summary is committed). Prisma knows a migration by its directory name: every database that applied 20240601000000_add_summary (other developers, staging, production) takes 20240605000000_add_summary for a new migration, and \`prisma migrate deploy\` runs it again there — it fails on the objects it created the first time (leaving the deploy failed), or runs its data changes twice — while \`prisma migrate dev\` reports 20240601000000_add_summary as missing.
        --> migration.sql:1:1
          |
        1 | ALTER TABLE "Post" ADD COLUMN "summary" TEXT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: keep its name (\`git mv\` the directory back to 20240601000000_add_summary); to change what runs next, add a new migration. Only if no database ever applied 20240601000000_add_summary (not even a development one) is the new name safe: then say so with \`-- prisma-zd-ignore-file renamed-migration: never applied\`.
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/renamed-migration.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });

  it('says when the database given applied the old name', () => {
    const [d] = found(SQL, { standing: { renamedFrom: '20240601000000_add_summary', renamedApplied: true } });
    expect(d?.message).toMatch(/The database given applied it as 20240601000000_add_summary\.$/);
  });

  it('accepts a migration that was not renamed, and is silenced by the file-level suppression it offers', () => {
    expect(found(SQL)).toEqual([]);
    expect(found(SQL, { standing: { committed: SQL } })).toEqual([]);
    const suppressed = checkExample(`-- prisma-zd-ignore-file renamed-migration: never applied\n${SQL}`, { standing: { renamedFrom: '20240601000000_add_summary' } });
    expect(suppressed.diagnostics.map((d) => d.ruleId)).toEqual([]);
  });
});
