import { describe, expect, it } from 'vitest';
import { expressionText, initParser, parseSql } from '../src/index.js';
import type { Statement } from '../src/index.js';

await initParser();

/** The default expression of the first column of a CREATE TABLE, as the span helper cuts it. */
function defaultOf(sql: string): string | undefined {
  const parsed = parseSql(sql);
  const statement = parsed.statements[0] as Statement<'CreateStmt'>;
  const column = statement.node.tableElts?.[0] as { ColumnDef: { constraints: Array<{ Constraint: { contype: string; raw_expr: unknown } }> } };
  const constraint = column.ColumnDef.constraints.find((c) => c.Constraint.contype === 'CONSTR_DEFAULT');
  return expressionText(parsed, statement, constraint?.Constraint.raw_expr);
}

describe('expressionText', () => {
  it.each([
    ['now()', 'now()'],
    ['CURRENT_TIMESTAMP(3)', 'CURRENT_TIMESTAMP(3)'],
    ["'USER'::\"Role\"", "'USER'::\"Role\""],
    ['ARRAY[]::TEXT[]', 'ARRAY[]::TEXT[]'],
    ["ARRAY['a', 'b']::\"Role\"[]", "ARRAY['a', 'b']::\"Role\"[]"],
    ['-1.5', '-1.5'],
    ["'2020-01-01'::timestamp(3) without time zone", "'2020-01-01'::timestamp(3) without time zone"],
    ['0::double precision', '0::double precision'],
    ["('a' || 'b')", "'a' || 'b'"],
    ["CASE WHEN true THEN 'x' ELSE 'y' END", "CASE WHEN true THEN 'x' ELSE 'y' END"],
    ["nextval('\"T_id_seq\"'::regclass)", "nextval('\"T_id_seq\"'::regclass)"],
    ['gen_random_uuid() /* c */', 'gen_random_uuid()'],
    ["'é😀'", "'é😀'"],
  ])('cuts DEFAULT %s', (written, expected) => {
    expect(defaultOf(`CREATE TABLE "T" ("c" TEXT DEFAULT ${written} NOT NULL, "d" INT)`)).toBe(expected);
    expect(defaultOf(`CREATE TABLE "T" ("c" TEXT DEFAULT ${written})`)).toBe(expected);
  });

  it('keeps the outer brackets of a check expression that starts inside one', () => {
    const sql = 'ALTER TABLE "T" ADD CONSTRAINT "c" CHECK (("a" IS NULL) OR ("b" IS NULL))';
    const parsed = parseSql(sql);
    const statement = parsed.statements[0] as Statement<'AlterTableStmt'>;
    const cmd = statement.node.cmds?.[0] as { AlterTableCmd: { def: { Constraint: { raw_expr: unknown } } } };
    expect(expressionText(parsed, statement, cmd.AlterTableCmd.def.Constraint.raw_expr)).toBe('("a" IS NULL) OR ("b" IS NULL)');
  });

  it('is undefined for a node without a location', () => {
    const parsed = parseSql('SELECT 1');
    expect(expressionText(parsed, parsed.statements[0]!, {})).toBeUndefined();
  });
});
