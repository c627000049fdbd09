/**
 * Code frames on long lines: the printed line is a window of at most 120 columns around
 * what is reported, elided parts marked `…`, the caret under the reported characters;
 * for findings and for syntax errors alike.
 */
import { describe, expect, it } from 'vitest';
import { initParser } from '../sql/parse.js';
import { checkExample, onlyRule } from './examples.js';
import { renderPretty } from './render.js';

await initParser();

const TABLE_B = 'CREATE TABLE "B" ("id" INTEGER NOT NULL, "t" TEXT);';
const ADD_COLUMNS = [1, 2, 3, 4, 5, 6].map((n) => `ALTER TABLE "B" ADD COLUMN "c${n}" TEXT;`).join(' ');

/** The code frame of a report's first block: the source line and the caret line, gutters removed. */
function frame(rendered: string): { line: string; caret: string } {
  const lines = rendered.split('\n');
  const at = lines.findIndex((l) => l.startsWith('  -->'));
  const strip = (l: string) => l.replace(/^ {2}\s*\d* \| ?/, '');
  return { line: strip(lines[at + 2]!), caret: strip(lines[at + 3]!) };
}

/** The text above the caret. */
function underCaret(f: { line: string; caret: string }): string {
  const from = f.caret.indexOf('^');
  return f.line.slice(from, from + f.caret.trimEnd().length - from);
}

describe('code frames on long lines', () => {
  it('show a statement that starts past column 120, with the caret under it', () => {
    const sql = `${ADD_COLUMNS} CREATE INDEX "B_t_idx" ON "B"("t");\n`;
    const report = onlyRule(checkExample(sql, { history: [TABLE_B] }), 'require-concurrent-index-creation');
    const out = renderPretty(report);
    expect(out).toContain('--> migration.sql:1:229');
    const f = frame(out);
    expect(f.line.length).toBeLessThanOrEqual(120);
    expect(f.line.startsWith('…')).toBe(true);
    expect(f.line.endsWith('CREATE INDEX "B_t_idx" ON "B"("t");')).toBe(true);
    expect(underCaret(f)).toBe('CREATE INDEX "B_t_idx" ON "B"("t")');
    expect(out).toMatchInlineSnapshot(`
      "error[require-concurrent-index-creation]: CREATE INDEX "B_t_idx" on existing table "B" takes a SHARE lock: every INSERT, UPDATE and DELETE on "B" waits until the whole index is built.
        --> migration.sql:1:229
          |
        1 | …" TEXT; ALTER TABLE "B" ADD COLUMN "c5" TEXT; ALTER TABLE "B" ADD COLUMN "c6" TEXT; CREATE INDEX "B_t_idx" ON "B"("t");
          |                                                                                      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        = lock: SHARE on "B" (blocks writes; reads continue)
        = help: Instead: run \`prisma-zd rewrite\`: it postpones "B_t_idx", and \`prisma-zd deploy\` builds it with CREATE INDEX CONCURRENTLY after the migration (writes continue).
        = fix: \`prisma-zd rewrite\`
        = docs: https://github.com/prisma-zd/prisma-zd/blob/main/docs/rules/require-concurrent-index-creation.md

      ✖ 1 error, 0 warnings in 1 of 1 migration.
        1 migration still needs \`prisma-zd rewrite\`."
    `);
  });

  it('elide both sides when the statement sits in the middle of a long line', () => {
    const sql = `${ADD_COLUMNS} CREATE INDEX "B_t_idx" ON "B"("t"); ${ADD_COLUMNS.replace(/"c(\d)"/g, '"d$1"')}\n`;
    const f = frame(renderPretty(onlyRule(checkExample(sql, { history: [TABLE_B] }), 'require-concurrent-index-creation')));
    expect(f.line.length).toBeLessThanOrEqual(120);
    expect(f.line.startsWith('…')).toBe(true);
    expect(f.line.endsWith('…')).toBe(true);
    expect(underCaret(f)).toBe('CREATE INDEX "B_t_idx" ON "B"("t")');
  });

  it('show a syntax error in a 131 kB one-line file within 120 columns, the caret under the bad token', () => {
    const statements = 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT; '.repeat(2850);
    const sql = `${statements}ALTER TABLE "Post" ADD COLUMN "body" TEXTT TEXT; ${statements}`;
    expect(sql.length).toBeGreaterThan(131_000);
    const out = renderPretty(checkExample(sql));
    expect(out).toContain('error[syntax]');
    expect(out).toContain('= help: PostgreSQL\'s own parser rejects this statement');
    expect(out.length).toBeLessThan(2000);
    const f = frame(out);
    expect(f.line.length).toBeLessThanOrEqual(120);
    expect(f.caret.length).toBeLessThanOrEqual(120);
    expect(f.line.startsWith('…')).toBe(true);
    expect(f.line.endsWith('…')).toBe(true);
    expect(f.line.slice(f.caret.indexOf('^')).startsWith('TEXT;')).toBe(true);
  });

  it('leave lines of 120 columns or fewer as they are', () => {
    const sql = 'ALTER TABLE "Post" ADD COLUMN "summary" TEXT; CREATE INDEX "Post_title_idx" ON "Post"("title");';
    const f = frame(renderPretty(onlyRule(checkExample(sql), 'require-concurrent-index-creation')));
    expect(f.line).toBe(sql);
    expect(f.caret).toBe(`${' '.repeat(46)}${'^'.repeat(48)}`);
  });
});
