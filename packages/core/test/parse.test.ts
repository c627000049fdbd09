import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, isStatement, parseSql } from '../src/index.js';
import type { ParsedSql } from '../src/index.js';

beforeAll(() => initParser());

function rejoin(parsed: ParsedSql): string {
  return parsed.segments.map((s) => parsed.text.slice(s.range.start, s.range.end)).join('');
}

describe('parseSql', () => {
  it('is idempotent to initialise', async () => {
    await initParser();
    await initParser();
    expect(parseSql('SELECT 1').statements).toHaveLength(1);
  });

  it('gives each statement its exact text, without comments, whitespace or ;', () => {
    const text = [
      '-- CreateTable',
      'CREATE TABLE "User" ("id" TEXT NOT NULL);',
      '',
      '/* block */ -- and line',
      'CREATE INDEX "User_id_idx" ON "User"("id") -- trailing',
      '  ;  ',
      'ALTER TABLE "User" ADD COLUMN "x" INT',
      '',
    ].join('\n');
    const parsed = parseSql(text);
    expect(parsed.error).toBeUndefined();
    expect(parsed.statements.map((s) => s.text)).toEqual([
      'CREATE TABLE "User" ("id" TEXT NOT NULL)',
      'CREATE INDEX "User_id_idx" ON "User"("id")',
      'ALTER TABLE "User" ADD COLUMN "x" INT',
    ]);
    expect(parsed.statements.map((s) => s.kind)).toEqual(['CreateStmt', 'IndexStmt', 'AlterTableStmt']);
    const [create, index, alter] = parsed.statements;
    expect(text.slice(create!.range.end, create!.end)).toBe(';');
    expect(text.slice(index!.range.end, index!.end)).toBe(' -- trailing\n  ;');
    expect(alter!.end).toBe(alter!.range.end); // no terminating ;
    expect(create!.leadingComments.map((c) => [c.kind, c.text])).toEqual([['line', '-- CreateTable']]);
    expect(index!.leadingComments.map((c) => [c.kind, c.text])).toEqual([
      ['block', '/* block */'],
      ['line', '-- and line'],
    ]);
    expect(alter!.leadingComments).toEqual([]);
    expect(create!.loc).toEqual({ start: { line: 2, col: 1 }, end: { line: 2, col: 41 } });
    expect(index!.loc.start).toEqual({ line: 5, col: 1 });
    for (const c of index!.leadingComments) expect(text.slice(c.range.start, c.range.end)).toBe(c.text);
    expect(rejoin(parsed)).toBe(text);
    expect(parsed.segments.map((s) => s.kind)).toEqual(['gap', 'statement', 'gap', 'statement', 'gap', 'statement', 'gap']);
    expect(parsed.segments.filter((s) => s.kind === 'statement').map((s) => s.statement)).toEqual([0, 1, 2]);
  });

  it('keeps a ; inside a dollar-quoted body in its statement', () => {
    const text = 'DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;\nCREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;\nSELECT \';\'';
    const parsed = parseSql(text);
    expect(parsed.statements.map((s) => s.text)).toEqual([
      'DO $$ BEGIN PERFORM 1; PERFORM 2; END $$',
      'CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql',
      "SELECT ';'",
    ]);
    expect(rejoin(parsed)).toBe(text);
  });

  it('handles comments that look like statements or contain quotes and semicolons', () => {
    const text = "-- DROP TABLE x; it's\n/* nested /* CREATE INDEX; */ still */ SELECT '--not a comment' /* mid */ + 1 -- end;\n;";
    const parsed = parseSql(text);
    expect(parsed.statements).toHaveLength(1);
    expect(parsed.statements[0]!.text).toBe("SELECT '--not a comment' /* mid */ + 1");
    expect(parsed.statements[0]!.leadingComments.map((c) => c.text)).toEqual([
      "-- DROP TABLE x; it's",
      '/* nested /* CREATE INDEX; */ still */',
    ]);
    expect(rejoin(parsed)).toBe(text);
  });

  it('reports trailing comments after the last statement', () => {
    const parsed = parseSql('SELECT 1;\n-- the end\n');
    expect(parsed.trailingComments.map((c) => c.text)).toEqual(['-- the end']);
  });

  it('converts byte offsets through multibyte text', () => {
    const text = "-- é 😀 ü\nINSERT INTO \"T\" VALUES ('😀😀', 'ü');\n/* 中文 */ UPDATE \"T\" SET a = 'é';\n";
    const parsed = parseSql(text);
    expect(parsed.error).toBeUndefined();
    expect(parsed.statements.map((s) => s.text)).toEqual([
      "INSERT INTO \"T\" VALUES ('😀😀', 'ü')",
      "UPDATE \"T\" SET a = 'é'",
    ]);
    const [insert, update] = parsed.statements;
    expect(insert!.loc.start).toEqual({ line: 2, col: 1 });
    expect(update!.loc.start).toEqual({ line: 3, col: 10 });
    expect(update!.leadingComments[0]!.text).toBe('/* 中文 */');
    const bytes = new TextEncoder().encode(text);
    const decode = (r: { start: number; end: number }): string => new TextDecoder().decode(bytes.slice(r.start, r.end));
    expect(decode(insert!.byteRange)).toBe(insert!.text);
    expect(decode(update!.byteRange)).toBe(update!.text);
    expect(rejoin(parsed)).toBe(text);
  });

  it('locates a syntax error on line 3 and keeps the statements before it', () => {
    const text = 'CREATE TABLE "a" (id int);\nCREATE INDEX "a_id" ON "a"(id);\nALTER TABLE "a" ADD COLUMN;\nSELECT 2;';
    const parsed = parseSql(text);
    expect(parsed.error).toEqual({ message: 'syntax error at or near ";"', index: text.indexOf('N;') + 1, line: 3, col: 27 });
    expect(parsed.statements.map((s) => s.kind)).toEqual(['CreateStmt', 'IndexStmt']);
    expect(rejoin(parsed)).toBe(text);
    expect(parsed.segments[parsed.segments.length - 1]).toEqual({ kind: 'gap', range: { start: parsed.statements[1]!.range.end, end: text.length } });
  });

  it('locates an error after multibyte text in characters', () => {
    const text = "SELECT '😀é';\n  SELEC 1;";
    const parsed = parseSql(text);
    expect(parsed.error?.message).toBe('syntax error at or near "SELEC"');
    expect(parsed.error?.index).toBe(text.indexOf('SELEC 1'));
    expect(parsed.error).toMatchObject({ line: 2, col: 3 });
    expect(parsed.statements.map((s) => s.text)).toEqual(["SELECT '😀é'"]);
  });

  it('locates lexer errors', () => {
    const text = "SELECT 1;\nSELECT 'unterminated";
    const parsed = parseSql(text);
    expect(parsed.error).toMatchObject({ message: expect.stringContaining('unterminated quoted string'), line: 2, col: 8 });
    expect(parsed.statements).toHaveLength(1);
    expect(rejoin(parsed)).toBe(text);
  });

  it('returns no statements for an error in the first statement', () => {
    const parsed = parseSql('CREAT TABLE x ();');
    expect(parsed.error).toMatchObject({ line: 1, col: 1 });
    expect(parsed.statements).toEqual([]);
    expect(parsed.segments).toEqual([{ kind: 'gap', range: { start: 0, end: 17 } }]);
  });

  it('handles empty, blank and comment-only input', () => {
    for (const text of ['', '   \n', '-- nothing\n', ';;']) {
      const parsed = parseSql(text);
      expect(parsed.error).toBeUndefined();
      expect(parsed.statements).toEqual([]);
      expect(rejoin(parsed)).toBe(text);
    }
  });

  it('rejects a NUL character with a located error instead of parsing a truncated file', () => {
    const parsed = parseSql('SELECT 1;\nSELECT\0 2;');
    expect(parsed.error).toMatchObject({ line: 2, col: 7 });
  });

  it('narrows statements by kind', () => {
    const [statement] = parseSql('CREATE UNIQUE INDEX CONCURRENTLY "i" ON "t"("c")').statements;
    expect(statement && isStatement(statement, 'IndexStmt')).toBe(true);
    if (statement && isStatement(statement, 'IndexStmt')) {
      expect(statement.node.idxname).toBe('i');
      expect(statement.node.concurrent).toBe(true);
    }
  });
});
