/**
 * parseHstore and parseArray against what a real server prints: values go in as query
 * parameters (never spliced into SQL), come back as the server's text output, and must
 * parse back to exactly what went in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parseArray, parseHstore } from '../../packages/pg/src/index.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';

/** text[]: not in pg-types' `TypeId` list, though pg-types has a parser for it. */
const TEXT_ARRAY = 1009 as Parameters<typeof pg.types.getTypeParser>[0];

const TRICKY = [
  'plain',
  '',
  ' ',
  'NULL',
  'null',
  'with space',
  'quote"inside',
  '"',
  '""',
  'back\\slash',
  '\\',
  'trailing\\',
  'comma,inside',
  '=>',
  'a=>b',
  '{braces}',
  '}',
  '{',
  'semi;colon',
  'new\nline',
  'tab\there',
  'é ü 漢字 🐘',
  '__proto__',
];

/** The server's text output for each of `sql`'s columns, with no parser applied. */
async function serverText(client: pg.Client, sql: string, values: unknown[]): Promise<string[]> {
  const { rows } = await client.query({ text: sql, values, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } as never });
  return rows[0] as string[];
}

describe('parsers against real server output', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase({ prefix: 'zd_pg_parsers' });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE EXTENSION hstore; CREATE EXTENSION citext`);
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('parses hstore: quoted keys and values, escapes, NULL vs "NULL", empty keys', async () => {
    const keys = TRICKY;
    const values = TRICKY.map((v, i) => (i % 5 === 3 ? null : [...v].reverse().join('')));
    const [text] = await serverText(client, `SELECT hstore($1::text[], $2::text[])`, [keys, values]);
    const expected = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
    const parsed = parseHstore(text!);
    expect(parsed).toEqual(expected);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toContain('__proto__');
    expect(parseHstore((await serverText(client, `SELECT ''::hstore`, []))[0]!)).toEqual({});
  });

  it('parses what hstore accepts on input: unquoted keys and values, spaces around =>', () => {
    expect(parseHstore('a=>1,  b => NULL ,"c"=>"NULL", d\\,e=>x')).toEqual({ a: '1', b: null, c: 'NULL', 'd,e': 'x' });
    expect(() => parseHstore('"a"=>')).toThrow(/Malformed hstore/);
    expect(() => parseHstore('"a"=>"1" "b"=>"2"')).toThrow(/expected ,/);
    expect(() => parseHstore('"a"=>"unterminated')).toThrow(/unterminated quote/);
  });

  it('parses citext[] and text[] with NULL elements and every tricky element', async () => {
    const elements = [...TRICKY, null];
    const [citext, text] = await serverText(client, `SELECT $1::text[]::citext[], $1::text[]`, [elements]);
    expect(parseArray(citext!, String)).toEqual(elements);
    // Same result as pg's own text[] parser.
    expect(parseArray(text!, String)).toEqual(pg.types.getTypeParser(TEXT_ARRAY, 'text')(text!));
  });

  it('parses multi-dimensional arrays, lower bounds, empty arrays and hstore[]', async () => {
    const [twoD, bounded, empty, hstores, boxes] = await serverText(
      client,
      `SELECT ARRAY[['a','b'],['c',NULL]]::citext[], '[0:1]={x,y}'::citext[], '{}'::citext[],
              ARRAY[hstore('k"1', 'v\\1'), NULL, ''::hstore],
              ARRAY[box(point(0,0), point(1,1)), box(point(2,2), point(3,3))]`,
      [],
    );
    expect(parseArray(twoD!, String)).toEqual([
      ['a', 'b'],
      ['c', null],
    ]);
    expect(parseArray(bounded!, String)).toEqual(['x', 'y']);
    expect(parseArray(empty!, String)).toEqual([]);
    expect(parseArray(hstores!, parseHstore)).toEqual([{ 'k"1': 'v\\1' }, null, {}]);
    // box is the one built-in type whose array delimiter (typdelim) is `;`.
    expect(boxes).toBe('{(1,1),(0,0);(3,3),(2,2)}');
    expect(parseArray(boxes!, String, ';')).toEqual(['(1,1),(0,0)', '(3,3),(2,2)']);
  });

  it('rejects malformed array text instead of guessing', () => {
    expect(() => parseArray('{a,b', String)).toThrow(/Malformed array literal/);
    expect(() => parseArray('{"a}', String)).toThrow(/Malformed array literal/);
    expect(() => parseArray('{a}x', String)).toThrow(/Malformed array literal/);
    expect(() => parseArray('a,b', String)).toThrow(/Malformed array literal/);
  });
});
