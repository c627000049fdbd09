import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkExample, onlyRule } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = 'role-not-reset';
const lines = (...args: Parameters<typeof checkExample>) => checkExample(...args).diagnostics.filter((d) => d.ruleId === ID).map((d) => d.loc.start.line);

describe(ID, () => {
  it('reports a SET ROLE left in effect: Prisma records the migration, and runs the next ones, as that role', () => {
    const sql = 'SET ROLE "app_owner";\nCREATE TABLE "Log" ("id" INTEGER);';
    expect(renderPretty(onlyRule(checkExample(sql), ID))).toMatchInlineSnapshot(`
      "error[role-not-reset]: SET ROLE "app_owner" stays in effect after this migration. Prisma records the migration in "_prisma_migrations" right after the file, on the same connection, as "app_owner": without privileges on that table it fails (permission denied) with the migration's changes committed, and leaves it failed; and the next migrations of the deploy run as "app_owner", so what they create is owned by it, not by the role that deploys.
        --> migration.sql:1:1
          |
        1 | SET ROLE "app_owner";
          | ^^^^^^^^^^^^^^^^^^^^
        = help: Instead: end the migration with \`RESET ROLE;\` (\`RESET ALL\` does not reset it), or use \`SET LOCAL ROLE\` (it ends with the migration’s transaction).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/role-not-reset.md

      ✖ 1 error, 0 warnings in 1 of 1 migration."
    `);
  });

  it('points at the last SET of each, in the file or a DO block; RESET ALL resets neither', () => {
    expect(lines('SET ROLE a;\nSET SESSION ROLE b;')).toEqual([2]);
    expect(lines('SET SESSION AUTHORIZATION a;\nRESET ALL;')).toEqual([1]);
    expect(lines('SET ROLE a;\nSET SESSION AUTHORIZATION b;')).toEqual([1, 2]);
    expect(lines('DO $$ BEGIN SET ROLE a; END $$;')).toHaveLength(1);
  });

  it("follows set_config('role' | 'session_authorization', '…', false), in the file or a DO block's PERFORM, as SET does", () => {
    expect(lines("SELECT set_config('role', 'app_owner', false);\nCREATE TABLE \"Log\" (\"id\" INTEGER);")).toEqual([1]);
    expect(lines("SELECT pg_catalog.set_config('session_authorization', 'a', false);")).toEqual([1]);
    expect(lines("DO $$ BEGIN PERFORM set_config('role', 'a', false); END $$;")).toHaveLength(1);
    expect(lines("SET ROLE a;\nSELECT set_config('role', 'none', false);")).toEqual([]);
    expect(lines("SELECT set_config('role', 'a', false);\nRESET ROLE;")).toEqual([]);
    // Until the transaction ends; a value that is not a constant, or a call that may run any number of times, names no role to report.
    expect(lines("SELECT set_config('role', 'a', true);")).toEqual([]);
    expect(lines("SELECT set_config('role', current_setting('app.owner'), false);")).toEqual([]);
    expect(lines("SELECT set_config('role', 'a', false) FROM \"User\";")).toEqual([]);
  });

  it('accepts RESET ROLE, SET ROLE NONE, RESET / DEFAULT SESSION AUTHORIZATION and SET LOCAL ROLE', () => {
    expect(lines('SET ROLE a;\nCREATE TABLE "Log" ("id" INTEGER);\nRESET ROLE;')).toEqual([]);
    expect(lines('SET ROLE a;\nSET ROLE NONE;')).toEqual([]);
    expect(lines('SET SESSION AUTHORIZATION a;\nRESET SESSION AUTHORIZATION;')).toEqual([]);
    expect(lines('SET SESSION AUTHORIZATION a;\nSET SESSION AUTHORIZATION DEFAULT;')).toEqual([]);
    expect(lines('SET LOCAL ROLE a;\nCREATE TABLE "Log" ("id" INTEGER);')).toEqual([]);
    expect(lines('SET lock_timeout = \'5s\';')).toEqual([]);
  });

  it('reads ROLLBACK as PostgreSQL does: a SET ROLE of a rolled-back transaction is undone, and so is a RESET ROLE', () => {
    expect(lines('BEGIN;\nSET ROLE a;\nROLLBACK;')).toEqual([]);
    expect(lines('SET ROLE a;\nCOMMIT;\nBEGIN;\nRESET ROLE;\nROLLBACK;')).toEqual([1]);
    expect(lines('BEGIN;\nSAVEPOINT s;\nSET SESSION AUTHORIZATION b;\nROLLBACK TO s;\nCOMMIT;')).toEqual([]);
  });

  it('statement by statement, does not offer SET LOCAL ROLE (it would do nothing there)', () => {
    const [d] = checkExample('SET ROLE a;', { execution: 'per-statement' }).diagnostics.filter((x) => x.ruleId === ID);
    expect(d?.help).toContain('RESET ROLE');
    expect(d?.help).not.toContain('SET LOCAL');
  });
});
