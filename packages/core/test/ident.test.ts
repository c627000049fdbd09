import { beforeAll, describe, expect, it } from 'vitest';
import { dollarQuote, formatQualifiedName, initParser, parseSql, qualifiedName, quoteIdent, quoteLiteral } from '../src/index.js';

beforeAll(() => initParser());

describe('quoteIdent', () => {
  it('always quotes and doubles embedded quotes', () => {
    expect(quoteIdent('user')).toBe('"user"');
    expect(quoteIdent('User')).toBe('"User"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('é 😀')).toBe('"é 😀"');
  });

  it('round-trips through the parser', () => {
    for (const name of ['select', 'Post', 'a"b', 'with space', '😀']) {
      const parsed = parseSql(`CREATE TABLE ${quoteIdent('s')}.${quoteIdent(name)} ()`);
      const node = parsed.statements[0]?.node as { relation: { relname: string; schemaname: string } };
      expect(node.relation.relname).toBe(name);
      expect(qualifiedName(node.relation)).toEqual({ schema: 's', name });
    }
  });
});

describe('qualifiedName', () => {
  it('leaves the schema out when the SQL does', () => {
    const node = parseSql('DROP TABLE x; CREATE TABLE "T" ()').statements[1]?.node as { relation: object };
    expect(qualifiedName(node.relation)).toEqual({ name: 'T' });
    expect(formatQualifiedName({ name: 'T' })).toBe('"T"');
    expect(formatQualifiedName({ schema: 'public', name: 'T' })).toBe('"public"."T"');
  });
});

describe('quoteLiteral', () => {
  it('doubles single quotes', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});

describe('dollarQuote', () => {
  it('uses $zd$ when the body does not contain it', () => {
    expect(dollarQuote('SELECT 1')).toBe('$zd$SELECT 1$zd$');
  });

  it('picks another tag when the body contains $zd$', () => {
    expect(dollarQuote('a $zd$ b')).toBe('$zd1$a $zd$ b$zd1$');
    expect(dollarQuote('a $zd$ $zd1$ b')).toBe('$zd2$a $zd$ $zd1$ b$zd2$');
  });

  it('avoids a tag that the body would complete with the closing delimiter', () => {
    // "x$zd" followed by "$zd$" would end the literal early at "$zd$".
    expect(dollarQuote('x$zd')).toBe('$zd1$x$zd$zd1$');
  });

  it('yields literals the parser reads back exactly', () => {
    for (const body of ["CREATE INDEX \"i\" ON \"t\"(\"c\")", 'DO $zd$ BEGIN END $zd$', 'x$zd', "it's; $$ $x$", '😀 é']) {
      const parsed = parseSql(`SELECT ${dollarQuote(body)}`);
      expect(parsed.error).toBeUndefined();
      const node = parsed.statements[0]?.node as { targetList: Array<{ ResTarget: { val: { A_Const: { sval: { sval: string } } } } }> };
      expect(node.targetList[0]?.ResTarget.val.A_Const.sval.sval).toBe(body);
    }
  });

  it('rejects an invalid tag', () => {
    expect(() => dollarQuote('x', 'a-b')).toThrow();
  });
});
