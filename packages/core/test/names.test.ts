import { beforeAll, describe, expect, it } from 'vitest';
import { chooseIndexName, chooseName, initParser, makeObjectName, truncateIdentifier } from '../src/index.js';
import { last, replaySql } from './helpers.js';

beforeAll(() => initParser());

// Expected names below were checked against PostgreSQL 18's catalogs.

describe('makeObjectName', () => {
  it('joins the parts when they fit', () => {
    expect(makeObjectName('User', 'email', 'key')).toBe('User_email_key');
    expect(makeObjectName('User', undefined, 'pkey')).toBe('User_pkey');
  });

  it('truncates the longer part first to fit 63 bytes', () => {
    const table = 'ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEver';
    const column = 'someVeryLongColumnNameThatIsAlsoQuiteLongIndeed';
    const name = makeObjectName(table, column, 'key');
    expect(name).toBe('ThisIsAVeryLongTableNameThatG_someVeryLongColumnNameThatIsA_key');
    expect(new TextEncoder().encode(name).length).toBe(63);
    expect(makeObjectName(table, 'x', 'idx')).toBe('ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEve_x_idx');
  });

  it('never splits a multibyte character', () => {
    const name = makeObjectName('é'.repeat(35), 'ç'.repeat(25), 'key');
    expect(name).toBe(`${'é'.repeat(14)}_${'ç'.repeat(14)}_key`);
    expect(makeObjectName('é'.repeat(35), '😀'.repeat(10), 'key')).toBe(`${'é'.repeat(14)}_${'😀'.repeat(7)}_key`);
  });
});

describe('chooseName / chooseIndexName', () => {
  it('appends a number to the label on conflict', () => {
    const taken = new Set(['a_b_key', 'a_b_key1']);
    expect(chooseName('a', 'b', 'key', (n) => taken.has(n))).toBe('a_b_key2');
  });

  it('names like ChooseIndexName, repeated and expression columns included', () => {
    expect(chooseIndexName('t', ['x', 'x'], 'index', () => false)).toBe('t_x_x1_idx');
    expect(chooseIndexName('t', ['a'], 'primary', () => false)).toBe('t_pkey');
    expect(chooseIndexName('t', ['a', 'b'], 'exclusion', () => false)).toBe('t_a_b_excl');
  });

  it('truncates identifiers like the lexer', () => {
    expect(truncateIdentifier('a'.repeat(70))).toBe('a'.repeat(63));
    expect(truncateIdentifier('é'.repeat(40))).toBe('é'.repeat(31));
  });
});

describe('implicit names in a replayed history', () => {
  it('names unique, primary key, foreign key, check constraints and serial sequences like PostgreSQL', () => {
    const table = 'ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEver';
    const facts = replaySql([
      `CREATE TABLE "${table}" (
        "someVeryLongColumnNameThatIsAlsoQuiteLongIndeed" int UNIQUE,
        "another_really_long_column_name_for_testing" int,
        UNIQUE ("someVeryLongColumnNameThatIsAlsoQuiteLongIndeed", "another_really_long_column_name_for_testing"),
        id serial PRIMARY KEY,
        "x" int REFERENCES "${table}"(id)
      );`,
      `CREATE INDEX ON "${table}" (x); CREATE INDEX ON "${table}" (x); CREATE INDEX ON "${table}" (lower(x::text), (x+1), x);`,
    ]);
    const state = last(facts).after;
    expect([...state.indexes.values()].map((i) => i.name)).toEqual([
      'ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEver_pkey',
      'ThisIsAVeryLongTableNameThatG_someVeryLongColumnNameThatIsA_key',
      'ThisIsAVeryLongTableNameThatG_someVeryLongColumnNameThatIs_key1',
      'ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEve_x_idx',
      'ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEv_x_idx1',
      'ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnFo_lower_expr_x_idx',
    ]);
    expect(state.tables.get(`"public"."${table}"`)?.constraints.map((c) => `${c.contype} ${c.name}`)).toEqual([
      `p ${table}_pkey`,
      'u ThisIsAVeryLongTableNameThatG_someVeryLongColumnNameThatIsA_key',
      'u ThisIsAVeryLongTableNameThatG_someVeryLongColumnNameThatIs_key1',
      'f ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEv_x_fkey',
    ]);
    expect([...state.sequences.keys()]).toEqual(['"public"."ThisIsAVeryLongTableNameThatGoesOnAndOnAndOnForeverAndEv_id_seq"']);
  });

  it('skips names already taken by relations and constraints of the schema', () => {
    const facts = replaySql([
      `CREATE TABLE a (b int, c int); CREATE TABLE a_b (x int); CREATE TABLE a_b_key (y int);
       CREATE INDEX ON a (b); CREATE INDEX ON a(b);
       ALTER TABLE a ADD UNIQUE (b); ALTER TABLE a ADD UNIQUE (b);
       ALTER TABLE a ADD CHECK (b > 0); ALTER TABLE a ADD CHECK (b > 1);
       ALTER TABLE a ADD CONSTRAINT a_c_check CHECK (c > 0); ALTER TABLE a ADD CHECK (c > 2);
       CREATE TABLE z (b int); ALTER TABLE z ADD CONSTRAINT a_b_check2 CHECK (b > 0); ALTER TABLE a ADD CHECK (b > 3);
       CREATE TABLE a_b_key3 (q int); ALTER TABLE a ADD UNIQUE (b);`,
    ]);
    const state = last(facts).after;
    expect([...state.indexes.values()].map((i) => i.name)).toEqual(['a_b_idx', 'a_b_idx1', 'a_b_key1', 'a_b_key2', 'a_b_key4']);
    expect(state.tables.get('"public"."a"')?.constraints.map((c) => c.name)).toEqual([
      'a_b_key1',
      'a_b_key2',
      'a_b_check',
      'a_b_check1',
      'a_c_check',
      'a_c_check1',
      'a_b_check3',
      'a_b_key4',
    ]);
  });

  it('truncates multibyte names on character boundaries', () => {
    const facts = replaySql([
      `CREATE TABLE "${'é'.repeat(35)}" ("${'ç'.repeat(25)}" int UNIQUE, id serial PRIMARY KEY, "${'😀'.repeat(10)}" int UNIQUE);`,
    ]);
    const state = last(facts).after;
    expect([...state.indexes.values()].map((i) => i.name)).toEqual([
      `${'é'.repeat(29)}_pkey`,
      `${'é'.repeat(14)}_${'ç'.repeat(14)}_key`,
      `${'é'.repeat(14)}_${'😀'.repeat(7)}_key`,
    ]);
    expect([...state.sequences.values()].map((s) => s.name)).toEqual([`${'é'.repeat(28)}_id_seq`]);
  });
});
