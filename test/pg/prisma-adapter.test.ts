/**
 * What Prisma's `@prisma/adapter-pg` does with user-defined types, and what `namedTypes`
 * changes. The adapter is driven directly (`new PrismaPg(pool).connect()` then `queryRaw`),
 * which is the layer that turns pg's rows into what Prisma's engine receives for `$queryRaw`
 * and for model queries.
 *
 * Facts shown here (adapter 7.10.1):
 * - every query carries its own `types` (Prisma's conversions for built-in OIDs, then the
 *   process-wide `pg.types`), so per-connection parsers (`client.setTypeParser`) are ignored;
 * - a column whose OID is ≥ 16384 (FIRST_NORMAL_OBJECT_ID: extension types, enums, their
 *   arrays) is reported as column type Text, with whatever value pg produced: raw text unless
 *   a process-wide parser exists for that OID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { namedTypes, parseHstore, type NamedTypesOptions } from '../../packages/pg/src/index.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';
import { quiet } from './support/helpers.js';

const SQL = `SELECT ARRAY['Alpha', 'b c']::citext[] AS tags, 'a=>1, b=>NULL'::hstore AS attrs,
                    ARRAY['happy', 'sad']::mood[] AS moods, 'Mixed'::citext AS name,
                    '2024-05-06 07:08:09+02'::timestamptz AS at, 1.50::numeric AS amount`;
const RAW = ['{Alpha,"b c"}', '"a"=>"1", "b"=>NULL', '{happy,sad}', 'Mixed'];
const PARSED = [['Alpha', 'b c'], { a: '1', b: null }, ['happy', 'sad'], 'Mixed'];
/** Prisma's own conversions of built-in types, which the helper leaves alone. */
const BUILTINS = ['2024-05-06T05:08:09+00:00', '1.50'];

/** `TEXT` of @prisma/driver-adapter-utils 7.10.1 (a dependency of the adapter, not ours). */
const TEXT = 7;

const options: NamedTypesOptions = { parsers: { citext: String, hstore: parseHstore, mood: String }, logger: false };

async function rawQuery(pool: pg.Pool) {
  const adapter = await new PrismaPg(pool).connect();
  try {
    return await adapter.queryRaw({ sql: SQL, args: [], argTypes: [] });
  } finally {
    await adapter.dispose();
  }
}

describe('@prisma/adapter-pg and namedTypes', () => {
  let db: TestDatabase;
  const pools: pg.Pool[] = [];
  const pool = (p: pg.Pool) => (pools.push(quiet(p)), p);

  beforeAll(async () => {
    db = await freshDatabase({ prefix: 'zd_pg_prisma' });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`CREATE EXTENSION citext; CREATE EXTENSION hstore; CREATE TYPE mood AS ENUM ('happy', 'sad')`);
    await c.end();
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.drop();
  });

  it('reports user-defined OIDs as Text and returns their raw text', async () => {
    const result = await rawQuery(pool(new pg.Pool({ connectionString: db.url })));
    expect(result.columnNames).toEqual(['tags', 'attrs', 'moods', 'name', 'at', 'amount']);
    expect(result.columnTypes.slice(0, 4)).toEqual(Array(4).fill(TEXT));
    expect(result.rows).toEqual([[...RAW, ...BUILTINS]]);
  });

  it('ignores per-connection parsers: each query brings its own types', async () => {
    const p = pool(new pg.Pool({ connectionString: db.url }));
    p.on('connect', (client) => {
      client.setTypeParser(1009 as Parameters<typeof client.setTypeParser>[0], 'text', () => 'never used'); // text[]; Prisma's own path wins
    });
    const { rows } = await p.query(`SELECT ARRAY['x']::text[] AS t`);
    expect(rows).toEqual([{ t: 'never used' }]); // plain pg does use it
    expect((await rawQuery(p)).rows).toEqual([[...RAW, ...BUILTINS]]);
  });

  it("parses the named types on the connection's own OIDs through a types.Pool", async () => {
    const types = namedTypes(options);
    const result = await rawQuery(pool(new types.Pool({ connectionString: db.url })));
    expect(result.columnTypes.slice(0, 4)).toEqual(Array(4).fill(TEXT));
    expect(result.rows).toEqual([[...PARSED, ...BUILTINS]]);
  });

  it('leaves queries that bring their own types alone with overrideQueryTypes: false', async () => {
    const types = namedTypes({ ...options, overrideQueryTypes: false });
    const p = pool(new types.Pool({ connectionString: db.url }));
    expect((await rawQuery(p)).rows).toEqual([[...RAW, ...BUILTINS]]);
    // …while pg's own queries on the same pool are parsed.
    const { rows } = await p.query(SQL);
    expect([rows[0].tags, rows[0].attrs, rows[0].moods, rows[0].name]).toEqual(PARSED);
  });

  it('parses inside Prisma transactions too (a checked-out PoolClient)', async () => {
    const types = namedTypes(options);
    const adapter = await new PrismaPg(pool(new types.Pool({ connectionString: db.url }))).connect();
    try {
      const tx = await adapter.startTransaction();
      const { rows } = await tx.queryRaw({ sql: SQL, args: [], argTypes: [] });
      await tx.commit();
      expect(rows).toEqual([[...PARSED, ...BUILTINS]]);
    } finally {
      await adapter.dispose();
    }
  });
});
