/*
 * A function created with its own `SET search_path` clause, called by a migration:
 * PostgreSQL runs its body with the clause's path and gives the caller's back when it
 * returns, which also ends a `SET LOCAL` made in the body, while a plain `SET` (or
 * `set_config(…, false)`) in the body lasts after it. Each case runs on the real server
 * (as one simple query, as Prisma's native engine runs a file), and the replay check and
 * deploy read must put each table where the server did and leave the path the server left.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSource } from '../../packages/core/src/check/source.js';
import { sessionLeft } from '../../packages/core/src/check/session-left.js';
import { emptySchemaState } from '../../packages/core/src/facts/draft.js';
import { replayMigration } from '../../packages/core/src/facts/replay.js';
import { initParser, parseSql } from '../../packages/core/src/sql/parse.js';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';

const SCHEMAS = 'CREATE SCHEMA app;\nCREATE SCHEMA other;\n';

/** A plpgsql function `f` with `clause`, whose body is `body`, then a call and a table after it. */
const call = (clause: string, body: string, after = 'CREATE TABLE t_after (id int);') =>
  `${SCHEMAS}CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql ${clause} AS $$\nBEGIN\n${body}\nEND\n$$;\nSELECT f();\n${after}`;

const CASES: Record<string, string> = {
  'the body runs with the clause\'s path; the caller\'s comes back after': call('SET search_path = app', 'CREATE TABLE t_in (id int);'),
  'a SET LOCAL in the body ends when it returns': call('SET search_path = app', 'SET LOCAL search_path = other;\nCREATE TABLE t_in (id int);'),
  "set_config(…, true) in the body too": call('SET search_path = app', "PERFORM set_config('search_path', 'other', true);\nCREATE TABLE t_in (id int);"),
  'a session SET in the body lasts after it': call('SET search_path = app', 'SET search_path = other;\nCREATE TABLE t_in (id int);'),
  'set_config(…, false) in the body lasts too': call('SET search_path = app', "PERFORM set_config('search_path', 'other', false);\nCREATE TABLE t_in (id int);"),
  'the caller\'s LOCAL path comes back': `SET LOCAL search_path = other;\n${call('SET search_path = app', 'CREATE TABLE t_in (id int);')}`,
  'without a clause, a SET LOCAL in the body lasts to the end of the transaction': call('', 'SET LOCAL search_path = other;\nCREATE TABLE t_in (id int);'),
  'a clause on another setting changes nothing': call("SET work_mem = '8MB'", 'SET LOCAL search_path = other;\nCREATE TABLE t_in (id int);'),
  'called twice, each call restores': call('SET search_path = app', 'CREATE TABLE IF NOT EXISTS t_in (id int);', 'SELECT f();\nCREATE TABLE t_after (id int);'),
};

describe("a called function's own SET search_path: the replay against PostgreSQL", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    await initParser();
    db = await freshDatabase({ prefix: 'zd_fn_path' });
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  async function onServer(sql: string): Promise<{ tables: string[]; path: string }> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA IF EXISTS other CASCADE; DROP TABLE IF EXISTS t_in, t_after; DROP FUNCTION IF EXISTS f();');
      await c.query(sql);
      const path = (await c.query<{ p: string }>('SELECT current_setting($1) AS p', ['search_path'])).rows[0]!.p;
      const { rows } = await c.query<{ t: string }>(
        "SELECT n.nspname || '.' || c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname IN ('t_in', 't_after') AND c.relkind = 'r' ORDER BY c.relname DESC",
      );
      return { tables: rows.map((r) => r.t), path };
    } finally {
      await c.end();
    }
  }

  function modelled(sql: string): { tables: string[]; path: string } {
    const source = checkSource(parseSql(sql), new Map());
    const facts = replayMigration(emptySchemaState(), {
      name: 'm',
      parsed: source.parsed,
      ...(source.tops ? { tops: source.tops } : {}),
      ...(source.frames ? { frames: source.frames } : {}),
    }, { execution: 'whole-file' });
    const tables = [...facts.after.tables.values()]
      .filter((t) => t.name === 't_in' || t.name === 't_after')
      .sort((a, b) => b.name.localeCompare(a.name))
      .map((t) => `${t.schema}.${t.name}`);
    const left = sessionLeft([{ name: 'm', sql }], { execution: 'whole-file' }).get('m')?.searchPath;
    return { tables, path: left ? left.path.join(', ') : '"$user", public' };
  }

  for (const [name, sql] of Object.entries(CASES)) {
    it(name, async () => {
      expect(modelled(sql)).toEqual(await onServer(sql));
    });
  }
});
