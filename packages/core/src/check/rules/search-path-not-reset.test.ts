import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = 'search-path-not-reset';
const found = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID);
const severities = (...args: Parameters<typeof checkExample>) => found(...args).map((d) => [d.loc.start.line, d.severity]);
const AUDIT = 'CREATE SCHEMA "audit";';

describe(ID, () => {
  it('reports a session SET search_path left set without Prisma\'s schema: the deploy breaks on its own bookkeeping', () => {
    const sql = `${AUDIT}\nSET search_path TO "audit";\nCREATE TABLE "Log" ("id" SERIAL PRIMARY KEY);`;
    expect(renderPretty(onlyRule(checkExample(sql), ID))).toMatchInlineSnapshot(`
      "error[search-path-not-reset]: The search_path stays \`audit\` after this migration. Prisma records it in "_prisma_migrations" (a name it does not qualify) on the same connection right after running the file, and under this path that table is not found (P1014): the migration's changes are committed but it is left failed, \`prisma migrate deploy\` stops, and the next deploy refuses to run (P3009) until \`prisma migrate resolve\`.
        --> migration.sql:2:1
          |
        2 | SET search_path TO "audit";
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: end the migration with \`RESET search_path;\`, or use \`SET LOCAL search_path\` (it ends with the migration’s transaction), or name the schema in each statement ("audit"."Table").
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/search-path-not-reset.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });

  it('warns when the path still holds Prisma\'s schema: later migrations of the same deploy resolve elsewhere', () => {
    expect(severities(`${AUDIT}\nSET search_path TO "audit", public;`)).toEqual([[2, 'warning']]);
    expect(found(`${AUDIT}\nSET search_path TO "audit", public;`)[0]!.message).toContain('environments drift');
  });

  it('points at the statement that set it last, set_config and DO blocks included', () => {
    expect(severities(`${AUDIT}\nSET search_path TO public, "audit";\nSET search_path TO "audit";`)).toEqual([[3, 'error']]);
    expect(severities(`${AUDIT}\nSELECT set_config('search_path', 'audit', false);`)).toEqual([[2, 'error']]);
    expect(severities(`${AUDIT}\nDO $$ BEGIN PERFORM set_config('search_path', 'audit', false); END $$;`).map(([, s]) => s)).toEqual(['error']);
  });

  it('accepts a path reset before the end, SET LOCAL in a file run as one transaction, and the default path set again', () => {
    expect(found(`${AUDIT}\nSET search_path TO "audit";\nCREATE TABLE "Log" ("id" INTEGER);\nRESET search_path;`)).toEqual([]);
    expect(found(`${AUDIT}\nSET search_path TO "audit";\nRESET ALL;`)).toEqual([]);
    expect(found(`${AUDIT}\nSET search_path TO "audit";\nSET search_path TO DEFAULT;`)).toEqual([]);
    expect(found(`${AUDIT}\nSET search_path TO "$user", public;`)).toEqual([]);
    expect(found(`${AUDIT}\nSET LOCAL search_path TO "audit";`)).toEqual([]);
    expect(found(`${AUDIT}\nSELECT set_config('search_path', 'audit', true);`)).toEqual([]);
    expect(found(`${AUDIT}\nSET search_path TO "audit";\nSELECT set_config('search_path', 'public', false);`)).toEqual([]);
  });

  it('reads ROLLBACK as PostgreSQL does: it undoes the SETs of its transaction, ROLLBACK TO those after the savepoint (test/check/session-transactions.test.ts measures each case)', () => {
    expect(found(`${AUDIT}\nBEGIN;\nSET search_path TO "audit";\nROLLBACK;`)).toEqual([]);
    expect(severities(`${AUDIT}\nBEGIN;\nSET search_path TO "audit";\nSAVEPOINT s;\nSET search_path TO public;\nROLLBACK TO SAVEPOINT s;\nCOMMIT;`)).toEqual([[3, 'error']]);
    // Statement by statement a ROLLBACK outside BEGIN undoes nothing; a whole file rolls back to its start.
    expect(severities(`${AUDIT}\nSET search_path TO "audit";\nROLLBACK;`, { execution: 'per-statement' })).toEqual([[2, 'error']]);
    expect(found(`${AUDIT}\nSET search_path TO "audit";\nROLLBACK;`, { execution: 'whole-file' })).toEqual([]);
  });

  it('statement by statement: SET LOCAL does nothing (nothing left set), a session SET is left set and SET LOCAL is not offered', () => {
    expect(found(`${AUDIT}\nSET LOCAL search_path TO "audit";`, { execution: 'per-statement' })).toEqual([]);
    const [d] = found(`${AUDIT}\nSET search_path TO "audit";`, { execution: 'per-statement' });
    expect(d?.severity).toBe('error');
    expect(d?.help).not.toContain('SET LOCAL');
  });

  it("judges by the database's schema (?schema=app): a path without it breaks the bookkeeping", () => {
    const history = ['CREATE SCHEMA "app";'];
    expect(found('SET search_path TO public;', { history, defaultSchema: 'app' }).map((d) => d.severity)).toEqual(['error']);
    expect(found('SET search_path TO "app";', { history, defaultSchema: 'app' })).toEqual([]);
  });
});
