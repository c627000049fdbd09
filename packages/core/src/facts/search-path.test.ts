/**
 * How long a search_path set in a migration holds, under each way Prisma runs the file
 * (measured on PostgreSQL 14 and 18 in test/check/handwritten-locks.test.ts): a LOCAL
 * one to the end of its transaction, which is the end of the file when it runs as one
 * query, and the end of the statement when statements run one by one outside BEGIN …
 * COMMIT. And `set_config` in the SQL a DO block or a called function runs.
 */
import { describe, expect, it } from 'vitest';
import { checkSource } from '../check/source.js';
import { checkExample } from '../check/examples.js';
import { initParser, parseSql } from '../sql/parse.js';
import type { ReplayExecution } from './context.js';
import { emptySchemaState } from './draft.js';
import { replayMigration } from './replay.js';

await initParser();

/** Where each CREATE TABLE of `sql` lands, replayed (through check's source view, DO blocks expanded) under `execution`. */
function landed(sql: string, execution?: ReplayExecution): string[] {
  const source = checkSource(parseSql(sql), new Map());
  const facts = replayMigration(emptySchemaState(), { name: 'm', parsed: source.parsed, ...(source.tops ? { tops: source.tops } : {}) }, execution ? { execution } : {});
  return facts.statements.filter((s) => s.kind === 'CreateStmt').flatMap((s) => s.touches.filter((t) => t.object === 'table').map((t) => t.key));
}

describe('SET LOCAL search_path under each execution', () => {
  const LOCAL = 'CREATE SCHEMA app;\nSET LOCAL search_path = app;\nCREATE TABLE t1 (id int);';
  const CONFIG = "CREATE SCHEMA app;\nSELECT set_config('search_path', 'app', true);\nCREATE TABLE t1 (id int);";

  it('whole file (and unknown): to the end of the file', () => {
    for (const execution of ['whole-file', 'unknown', undefined] as const) {
      expect(landed(LOCAL, execution)).toEqual(['"app"."t1"']);
      expect(landed(CONFIG, execution)).toEqual(['"app"."t1"']);
    }
  });

  it('per statement, outside BEGIN … COMMIT: no effect past its own statement', () => {
    expect(landed(LOCAL, 'per-statement')).toEqual(['"public"."t1"']);
    expect(landed(CONFIG, 'per-statement')).toEqual(['"public"."t1"']);
  });

  it('per statement, inside BEGIN … COMMIT: to the COMMIT (or ROLLBACK), as in a whole file', () => {
    const block = 'CREATE SCHEMA app;\nBEGIN;\nSET LOCAL search_path = app;\nCREATE TABLE t1 (id int);\nCOMMIT;\nCREATE TABLE t2 (id int);';
    for (const execution of ['per-statement', 'whole-file'] as const) expect(landed(block, execution)).toEqual(['"app"."t1"', '"public"."t2"']);
    const rollback = "CREATE SCHEMA app;\nSTART TRANSACTION;\nSELECT set_config('search_path', 'app', true);\nCREATE TABLE t1 (id int);\nROLLBACK;\nCREATE TABLE t2 (id int);";
    expect(landed(rollback, 'per-statement')).toEqual(['"app"."t1"', '"public"."t2"']);
    // COMMIT AND CHAIN opens the next transaction at once: a SET LOCAL after it still holds in a block.
    const chain = 'CREATE SCHEMA app;\nBEGIN;\nCOMMIT AND CHAIN;\nSET LOCAL search_path = app;\nCREATE TABLE t1 (id int);\nCOMMIT;';
    expect(landed(chain, 'per-statement')).toEqual(['"app"."t1"']);
  });

  it('a ROLLBACK brings back the path its transaction started with, not a LOCAL one an earlier transaction ended', () => {
    const sql = 'CREATE SCHEMA app;\nCREATE SCHEMA other;\nBEGIN;\nSET LOCAL search_path = app;\nCOMMIT;\nSET search_path = other;\nROLLBACK;\nCREATE TABLE t1 (id int);';
    expect(landed(sql, 'whole-file')).toEqual(['"public"."t1"']);
    expect(landed(sql, 'per-statement')).toEqual(['"other"."t1"']);
    // ROLLBACK TO a savepoint brings back the LOCAL path of then.
    const savepoint = 'CREATE SCHEMA app;\nCREATE SCHEMA other;\nBEGIN;\nSET LOCAL search_path = app;\nSAVEPOINT s;\nSET LOCAL search_path = other;\nROLLBACK TO s;\nCREATE TABLE t1 (id int);\nCOMMIT;';
    for (const execution of ['per-statement', 'whole-file'] as const) expect(landed(savepoint, execution)).toEqual(['"app"."t1"']);
  });

  it('per statement: a LOCAL path set in a DO block holds for the rest of that block only', () => {
    const sql = "CREATE SCHEMA app;\nDO $$ BEGIN\n  SET LOCAL search_path = app;\n  CREATE TABLE t1 (id int);\nEND $$;\nCREATE TABLE t2 (id int);";
    expect(landed(sql, 'per-statement')).toEqual(['"app"."t1"', '"public"."t2"']);
    expect(landed(sql, 'whole-file')).toEqual(['"app"."t1"', '"app"."t2"']);
  });

  it('a session-level SET holds beyond its statement under every execution', () => {
    const sql = 'CREATE SCHEMA app;\nSET search_path = app;\nCREATE TABLE t1 (id int);';
    for (const execution of ['per-statement', 'whole-file'] as const) expect(landed(sql, execution)).toEqual(['"app"."t1"']);
  });
});

describe('check follows the execution it is told', () => {
  it('reads the index after a SET LOCAL on app."Post" in a whole file, on public."Post" statement by statement', () => {
    const APP = 'CREATE SCHEMA app;\nCREATE TABLE app."Post" ("id" INTEGER, "title" TEXT);';
    const keys = (execution: ReplayExecution) =>
      checkExample('SET LOCAL search_path = app;\nCREATE INDEX "t_idx" ON "Post" ("title");', { history: [APP], execution })
        .diagnostics.filter((d) => d.ruleId === 'require-concurrent-index-creation')
        .map((d) => d.table?.key);
    expect(keys('whole-file')).toEqual(['"app"."Post"']);
    expect(keys('unknown')).toEqual(['"app"."Post"']);
    expect(keys('per-statement')).toEqual(['"public"."Post"']);
  });
});

describe('set_config in the SQL a DO block or a called function runs', () => {
  const APP = 'CREATE SCHEMA app;\nCREATE TABLE app."Post" ("id" INTEGER, "title" TEXT);';
  const indexed = (sql: string) => checkExample(sql, { history: [APP] }).diagnostics.filter((d) => d.ruleId === 'require-concurrent-index-creation').map((d) => d.table?.key);
  const INDEX = 'CREATE INDEX "t_idx" ON "Post" ("title");';

  it('follows PERFORM set_config(\'search_path\', …) with constant arguments, session-wide or LOCAL', () => {
    expect(indexed(`DO $$ BEGIN\n  PERFORM set_config('search_path', 'app', false);\nEND $$;\n${INDEX}`)).toEqual(['"app"."Post"']);
    expect(indexed(`DO $$ BEGIN\n  perform pg_catalog.set_config('search_path', 'app, public', true);\nEND $$;\n${INDEX}`)).toEqual(['"app"."Post"']);
    expect(indexed(`DO $$ BEGIN PERFORM set_config('search_path', 'app', false); ${INDEX} END $$;`)).toEqual(['"app"."Post"']);
  });

  it('follows SELECT set_config(…) INTO, and set_config in a function the migration calls', () => {
    expect(indexed(`DO $$ DECLARE v text; BEGIN\n  SELECT set_config('search_path', 'app', false) INTO v;\nEND $$;\n${INDEX}`)).toEqual(['"app"."Post"']);
    const fn = "CREATE FUNCTION use_app() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM set_config('search_path', 'app', false); END $$;";
    expect(indexed(`${fn}\nSELECT use_app();\n${INDEX}`)).toEqual(['"app"."Post"']);
  });

  it('reads a value that is not a constant (a variable) in the default schema, as for the top-level set_config', () => {
    expect(indexed(`DO $$ DECLARE s text := 'app'; BEGIN\n  PERFORM set_config('search_path', s, false);\nEND $$;\nSET search_path = app;\nRESET search_path;\n${INDEX}`)).toEqual(['"public"."Post"']);
    expect(indexed(`SET search_path = app;\nDO $$ DECLARE s text := 'app'; BEGIN\n  PERFORM set_config('search_path', s, false);\nEND $$;\n${INDEX}`)).toEqual(['"public"."Post"']);
  });
});
