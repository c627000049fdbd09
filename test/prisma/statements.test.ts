import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../prisma/adapter/statements.js';

describe("the sample adapter's statement splitter (per-statement mode)", () => {
  it('cuts at the parser’s UTF-8 byte offsets, keeping dollar-quoted bodies whole', async () => {
    const script = [
      '-- Réglages: ☕ before the first statement',
      'CREATE TABLE "Café" ("naïve" TEXT);',
      '',
      'DO $body$ BEGIN PERFORM 1; RAISE NOTICE \'é;ö\'; END $body$;',
      '/* ; */ INSERT INTO "Café" VALUES (\'x;y\')',
    ].join('\n');
    // PostgreSQL 18's parser starts a statement at its first token: comments and
    // whitespace between statements belong to none.
    expect(await splitStatements(script)).toEqual([
      'CREATE TABLE "Café" ("naïve" TEXT)',
      'DO $body$ BEGIN PERFORM 1; RAISE NOTICE \'é;ö\'; END $body$',
      'INSERT INTO "Café" VALUES (\'x;y\')',
    ]);
  });

  it('finds no statement in a file of comments', async () => {
    expect(await splitStatements('-- nothing to do\n/* really */\n')).toEqual([]);
  });

  it('throws on invalid SQL (the adapter then lets the server report it)', async () => {
    await expect(splitStatements('CREATE TABLE (;')).rejects.toThrow(/syntax error/);
  });
});
