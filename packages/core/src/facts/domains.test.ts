import { describe, expect, it } from 'vitest';
import { initParser, parseSql } from '../sql/parse.js';
import { domainChain, fromDomains } from './domains.js';
import { parseSearchPath } from './misc.js';
import type { MigrationFacts } from './model.js';
import { replay } from './replay.js';

await initParser();

const replaySql = (migrations: readonly string[]): MigrationFacts[] =>
  replay(migrations.map((sql, i) => ({ name: `m${i}`, parsed: parseSql(sql) })));

const touches = (m: MigrationFacts, i: number): string[] =>
  m.statements[i]!.touches.map((t) => `${t.action} ${t.object} ${t.key}${t.change ? ` ${t.change}` : ''}${t.newKey ? ` -> ${t.newKey}` : ''}${t.implicit ? ' (implicit)' : ''}`);

describe('replay: domains', () => {
  it('records CREATE DOMAIN with its base type, constraints (named as PostgreSQL names them) and default', () => {
    const [m] = replaySql([
      'CREATE SCHEMA app;\nCREATE DOMAIN app.score AS INTEGER NOT NULL DEFAULT 0 CONSTRAINT score_positive CHECK (VALUE >= 0) CHECK (VALUE < 100);\nCREATE DOMAIN public_id AS UUID DEFAULT gen_random_uuid() NULL;',
    ]);
    expect(m!.statements.map((s) => s.understood)).toEqual([true, true, true]);
    expect(touches(m!, 1)).toEqual(['create domain "app"."score"']);
    const score = m!.after.domains.get('"app"."score"')!;
    expect(score.base.text).toBe('integer');
    expect(score.default).toBe('0');
    expect(score.constraints).toEqual([
      { name: 'score_not_null', kind: 'not-null', notValid: false },
      { name: 'score_positive', kind: 'check', expression: 'VALUE >= 0', notValid: false },
      { name: 'score_check', kind: 'check', expression: 'VALUE < 100', notValid: false },
    ]);
    const id = m!.after.domains.get('"public"."public_id"')!;
    expect([id.default, id.defaultCalls, id.constraints]).toEqual(['gen_random_uuid()', ['gen_random_uuid'], []]);
  });

  it('types columns with the domain (schema known), follows domains over domains, and leaves arrays of a domain alone', () => {
    const [m] = replaySql([
      'CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);\nCREATE DOMAIN score AS posint DEFAULT 1;\nCREATE TABLE t ("a" score, "b" score[], "c" INTEGER);',
    ]);
    const [a, b, c] = m!.after.tables.get('"public"."t"')!.columns;
    expect([a!.type.schema, a!.type.text, b!.type.text, c!.type.schema]).toEqual(['public', 'score', 'score[]', undefined]);
    expect(domainChain(m!.after, a!.type).map((d) => d.name)).toEqual(['score', 'posint']);
    const inherited = fromDomains(m!.after, a!.type);
    expect([inherited.constraints.map((x) => `${x.domain.name}.${x.constraint.name}`), inherited.defaultFrom?.name]).toEqual([['posint.posint_check'], 'score']);
    expect(fromDomains(m!.after, b!.type).chain).toEqual([]);
  });

  it('replays ALTER DOMAIN: defaults, NOT NULL, constraints added NOT VALID, validated, renamed and dropped', () => {
    const [, m] = replaySql([
      'CREATE DOMAIN d AS TEXT;',
      `ALTER DOMAIN d SET DEFAULT 'x';
ALTER DOMAIN d SET NOT NULL;
ALTER DOMAIN d ADD CONSTRAINT short CHECK (length(VALUE) < 10) NOT VALID;
ALTER DOMAIN d VALIDATE CONSTRAINT short;
ALTER DOMAIN d RENAME CONSTRAINT short TO brief;
ALTER DOMAIN d DROP NOT NULL;
ALTER DOMAIN d DROP DEFAULT;
ALTER DOMAIN d ADD CHECK (VALUE <> '');
ALTER DOMAIN d DROP CONSTRAINT IF EXISTS nothing;`,
    ]);
    expect(m!.statements.map((s) => s.touches[0]?.change)).toEqual([
      'set-default',
      'set-not-null',
      'add-constraint',
      'validate-constraint',
      'rename-constraint',
      'drop-not-null',
      'drop-default',
      'add-constraint',
      'drop-constraint',
    ]);
    expect(m!.statements[2]!.before.domains.get('"public"."d"')!.constraints.map((c) => c.kind)).toEqual(['not-null']);
    expect(m!.statements[3]!.before.domains.get('"public"."d"')!.constraints[1]).toEqual({ name: 'short', kind: 'check', expression: 'length(VALUE) < 10', notValid: true });
    expect(m!.after.domains.get('"public"."d"')).toMatchObject({ constraints: [{ name: 'brief', notValid: false }, { name: 'd_check' }] });
    expect(m!.after.domains.get('"public"."d"')!.default).toBeUndefined();
    expect(m!.statements.every((s) => s.notes.length === 0)).toBe(true);
  });

  it('renames and moves a domain: columns of its type and domains over it follow', () => {
    const [, m] = replaySql([
      'CREATE SCHEMA app;\nCREATE DOMAIN d AS INTEGER;\nCREATE DOMAIN e AS d;\nCREATE TABLE t ("a" d, "b" d[]);',
      'ALTER DOMAIN d RENAME TO dd;\nALTER TYPE dd SET SCHEMA app;',
    ]);
    expect(touches(m!, 0)).toEqual(['rename domain "public"."d" -> "public"."dd"']);
    expect(touches(m!, 1)).toEqual(['set-schema domain "public"."dd" -> "app"."dd"']);
    expect([...m!.after.domains.keys()]).toEqual(['"public"."e"', '"app"."dd"']);
    expect(m!.after.domains.get('"public"."e"')!.base).toMatchObject({ schema: 'app', name: 'dd' });
    expect(m!.after.tables.get('"public"."t"')!.columns.map((c) => `${c.type.schema}.${c.type.text}`)).toEqual(['app.dd', 'app.dd[]']);
  });

  it('drops a domain; CASCADE takes the domains over it and the columns of their types (arrays too)', () => {
    const [, m] = replaySql([
      'CREATE DOMAIN d AS INTEGER;\nCREATE DOMAIN e AS d;\nCREATE TABLE t ("id" INTEGER, "a" e, "b" d[]);\nCREATE DOMAIN lonely AS TEXT;',
      'DROP DOMAIN lonely;\nDROP DOMAIN IF EXISTS ghost;\nDROP DOMAIN d CASCADE;',
    ]);
    expect(touches(m!, 0)).toEqual(['drop domain "public"."lonely"']);
    expect(m!.statements[1]!.notes).toEqual([]);
    expect(touches(m!, 2)).toEqual([
      'drop domain "public"."d"',
      'drop domain "public"."e" (implicit)',
      'drop column "public"."t"."a"',
      'drop column "public"."t"."b"',
    ]);
    expect(m!.after.domains.size).toBe(0);
    expect(m!.after.tables.get('"public"."t"')!.columns.map((c) => c.name)).toEqual(['id']);
  });

  it('drops the domains of a dropped schema', () => {
    const [m] = replaySql(['CREATE SCHEMA app;\nCREATE DOMAIN app.d AS INTEGER;\nDROP SCHEMA app CASCADE;']);
    expect(m!.after.domains.size).toBe(0);
  });

  it('notes a domain it does not know, and a type name taken by an enum', () => {
    const [m] = replaySql(['ALTER DOMAIN ghost SET NOT NULL;\nCREATE TYPE "Role" AS ENUM (\'A\');\nCREATE DOMAIN "Role" AS TEXT;']);
    expect(m!.statements.map((s) => s.notes)).toEqual([['domain "ghost" is not in the replayed schema'], [], ['type "Role" already exists']]);
  });
});

describe('replay: search_path', () => {
  const SCHEMAS = 'CREATE SCHEMA app;\nCREATE SCHEMA "Audit";\n';
  const tableKeys = (m: MigrationFacts) => [...m.after.tables.keys()];

  it('follows SELECT set_config(\'search_path\', …) with constant arguments, session-wide and LOCAL', () => {
    const [m0, m1] = replaySql([
      `${SCHEMAS}SELECT set_config('search_path', '"Audit", public', false);\nCREATE TABLE a (id int);\nSELECT pg_catalog.set_config('Search_Path', 'app', true);\nCREATE TABLE b (id int);`,
      'CREATE TABLE c (id int);',
    ]);
    expect(tableKeys(m0!)).toEqual(['"Audit"."a"', '"app"."b"']);
    expect(m0!.statements.map((s) => s.searchPath.join(','))).toEqual(['public', 'public', 'public', 'Audit,public', 'Audit,public', 'app']);
    expect(tableKeys(m1!)).toContain('"public"."c"');
  });

  it('ends SET LOCAL and set_config(…, true) with the transaction; a session SET outlives it', () => {
    const [m] = replaySql([
      `${SCHEMAS}BEGIN;\nSET LOCAL search_path = app;\nCREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\nBEGIN;\nSET LOCAL search_path = app;\nSET search_path = "Audit";\nCOMMIT;\nCREATE TABLE c (id int);`,
    ]);
    expect(tableKeys(m!)).toEqual(['"app"."a"', '"public"."b"', '"Audit"."c"']);
  });

  it('goes back to the default schema for RESET, RESET ALL, DEFAULT, an empty path and a set_config it cannot follow (with a note)', () => {
    const [m] = replaySql([
      `${SCHEMAS}SET search_path = app;\nRESET ALL;\nCREATE TABLE a (id int);\nSET search_path = app;\nSET search_path TO DEFAULT;\nCREATE TABLE b (id int);\nSELECT set_config('search_path', '', false);\nCREATE TABLE c (id int);\nSET search_path = app;\nSELECT set_config('search_path', current_setting('x.y'), false);\nCREATE TABLE d (id int);\nSET search_path = app;\nSELECT set_config('search_path', 'app', false) FROM pg_class;\nCREATE TABLE e (id int);`,
    ]);
    expect(tableKeys(m!)).toEqual(['"public"."a"', '"public"."b"', '"public"."c"', '"public"."d"', '"public"."e"']);
    expect(m!.statements.flatMap((s) => s.notes)).toEqual([
      'set_config(\'search_path\', …) that is not all constants: later unqualified names are read in "public", the default schema',
      'set_config(\'search_path\', …) that is not all constants: later unqualified names are read in "public", the default schema',
    ]);
  });

  it('leaves other settings and other SELECTs alone', () => {
    const [m] = replaySql([`${SCHEMAS}SET search_path = app;\nSELECT set_config('lock_timeout', '1s', false), 1;\nSET statement_timeout = 0;\nSELECT 1;\nCREATE TABLE a (id int);`]);
    expect(tableKeys(m!)).toEqual(['"app"."a"']);
  });

  it('splits a search_path value the way PostgreSQL does', () => {
    expect(parseSearchPath(' App , "My ""Schema""",public,"$user"')).toEqual(['app', 'My "Schema"', 'public', '$user']);
    expect(parseSearchPath('')).toEqual([]);
  });
});
