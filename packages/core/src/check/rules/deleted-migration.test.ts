import { describe, expect, it } from 'vitest';
import { initParser } from '../../sql/parse.js';
import { checkHistory } from '../check.js';
import { EXAMPLE_SCHEMA } from '../examples.js';
import { renderPretty } from '../render.js';

await initParser();

const ID = 'deleted-migration';
const SCHEMA = { name: '20240101000000_init', sql: EXAMPLE_SCHEMA, report: false };
const SUMMARY = '-- AlterTable\nALTER TABLE "Post" ADD COLUMN "summary" TEXT;\n';
const deleted = { name: '20240601000000_add_summary', sql: SUMMARY, path: 'prisma/migrations/20240601000000_add_summary/migration.sql' };

describe(ID, () => {
  it('reports a committed migration the change deletes, at its first statement, as a warning', () => {
    const report = checkHistory([SCHEMA], { deleted: [deleted] });
    expect(report.counts).toEqual({ error: 0, warning: 1, info: 0 });
    expect(renderPretty(report)).toMatchInlineSnapshot(`
      "warning[deleted-migration]: 20240601000000_add_summary is committed and this change deletes it. Databases that applied it keep what it did, and Prisma says nothing of it there (neither \`prisma migrate deploy\` nor \`prisma migrate status\`), but the history no longer builds their schema: a database made from the folder (a new developer's, CI's, a preview, Prisma's shadow database) lacks what 20240601000000_add_summary did.
        --> prisma/migrations/20240601000000_add_summary/migration.sql:2:1
          |
        2 | ALTER TABLE "Post" ADD COLUMN "summary" TEXT;
          | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = help: Instead: keep it (\`git checkout HEAD -- prisma/migrations/20240601000000_add_summary\`) and undo what it did in a new migration (\`prisma migrate dev\`).
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/deleted-migration.md

      ! 0 errors, 1 warning in 1 of 1 migration."
    `);
  });

  it('places it in name order among the migrations reported, and leaves the history without it', () => {
    const later = { name: '20240701000000_summary_index', sql: 'CREATE INDEX "Post_summary_idx" ON "Post"("summary");\n' };
    const report = checkHistory([SCHEMA, later], { deleted: [{ ...deleted, added: [later.name] }] });
    expect(report.migrations.map((m) => m.name)).toEqual([deleted.name, later.name]);
    const [d] = report.diagnostics.filter((x) => x.ruleId === ID);
    expect(d!.help).toContain(`If ${later.name} replaces it (migrations squashed, or this one renamed and edited), every database that applied ${deleted.name} runs it as a new migration: first mark it applied there, \`prisma migrate resolve --applied ${later.name}\``);
  });

  it('says when the database given applied it, and restores from the ref it is committed in', () => {
    const [d] = checkHistory([SCHEMA], { deleted: [{ ...deleted, applied: true, ref: 'origin/main' }] }).diagnostics;
    expect(d!.message).toMatch(/The database given applied it\.$/);
    expect(d!.help).toContain('`git checkout origin/main -- prisma/migrations/20240601000000_add_summary`');
  });

  it('takes its severity from the configuration, and is off when turned off', () => {
    expect(checkHistory([SCHEMA], { deleted: [deleted], rules: { [ID]: 'error' } }).counts.error).toBe(1);
    expect(checkHistory([SCHEMA], { deleted: [deleted], rules: { [ID]: 'off' } }).migrations).toEqual([]);
  });

  it('finds nothing in a migration that is there', () => {
    expect(checkHistory([SCHEMA, { name: deleted.name, sql: SUMMARY }]).diagnostics.filter((d) => d.ruleId === ID)).toEqual([]);
  });

  it('points at line 1 of a deleted migration holding only comments', () => {
    const [d] = checkHistory([], { deleted: [{ ...deleted, sql: '-- nothing\n' }] }).diagnostics;
    expect(d!.loc.start).toEqual({ line: 1, col: 1 });
  });
});
