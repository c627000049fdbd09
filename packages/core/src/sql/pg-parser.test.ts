/*
 * Our glue to libpg-query's WebAssembly (pg-parser.ts) against libpg-query's own
 * functions: the same trees on every file of the corpus (../shared/corpus beside the
 * repository, when present) and on odd texts, the same errors.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDirect, loadLibPgQuery, type PgQuery } from './pg-parser.js';

const corpusDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/corpus');

function corpusFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) corpusFiles(p, out);
    else if (e.name === 'migration.sql') out.push(p);
  }
  return out;
}

let direct: PgQuery;
let lib: PgQuery;

beforeAll(async () => {
  const glue = await loadDirect();
  if (!glue) throw new Error('the glue did not load libpg-query’s module');
  direct = glue;
  lib = await loadLibPgQuery();
});

/** What a call gives: its result, or its error's name, message and details. */
function outcome(f: () => unknown, has: (e: unknown) => boolean): unknown {
  try {
    return { result: f() };
  } catch (e) {
    const error = e as Error & { sqlDetails?: unknown };
    return { name: error.name, message: error.message, details: error.sqlDetails, hasSqlDetails: has(e) };
  }
}

function same(query: string): void {
  expect(outcome(() => direct.parseSync(query), direct.hasSqlDetails)).toEqual(outcome(() => lib.parseSync(query), lib.hasSqlDetails));
}

function samePlPgSql(query: string): void {
  expect(outcome(() => direct.parsePlPgSQLSync(query), direct.hasSqlDetails)).toEqual(outcome(() => lib.parsePlPgSQLSync(query), lib.hasSqlDetails));
}

const files = corpusFiles(corpusDir);

describe('pg-parser glue', () => {
  it.skipIf(files.length === 0)('gives libpg-query’s trees on every corpus file', () => {
    for (const file of files) {
      const sql = readFileSync(file, 'utf8');
      expect(JSON.stringify(direct.parseSync(sql)), file).toBe(JSON.stringify(lib.parseSync(sql)));
    }
  });

  it('gives libpg-query’s trees and errors on odd texts', () => {
    for (const q of [
      'SELECT 1',
      'SELECT 1;',
      '-- only a comment',
      ';',
      'CREATE TABLE "Ünïcödé" ("naïve" TEXT DEFAULT \'日本語 🎉\');',
      "SELECT '🎉🎉🎉', 'ÿ' -- 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n;",
      'SELECT \'\uD83D\' AS lone_high, \'\uDE00\' AS lone_low;',
      'SELECT \'\uDC80\';',
      'SELEC 1',
      'CREATE TABLE t (a int,);',
      "SELECT 'unterminated",
      'SELECT 1; SELEKT 2; SELECT 3',
      `SELECT '${'x'.repeat(200_000)}'`,
      `CREATE INDEX "é${'ü'.repeat(5000)}" ON t (a)`,
      'DO $$ BEGIN RAISE NOTICE \'é\'; END $$;',
    ]) {
      same(q);
    }
    expect(() => direct.parseSync('')).toThrow('Query cannot be empty');
  });

  it('gives libpg-query’s PL/pgSQL trees and errors', () => {
    for (const body of ['BEGIN RAISE NOTICE \'é 🎉\'; END', 'BEGIN IF x THEN END', 'BEGIN EXECUTE \'SELECT 1\'; END']) {
      samePlPgSql(`CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $zd$${body}$zd$`);
    }
  });
});
