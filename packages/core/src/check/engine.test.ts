/**
 * The machinery under the rules: where findings point (DO blocks included), transactions
 * under both execution models, suppression comments, severities from config and table
 * sizes, and the JSON / GitHub renderers.
 */
import { describe, expect, it } from 'vitest';
import { initParser, parseSql } from '../sql/parse.js';
import { transactions } from './context.js';
import { checkExample } from './examples.js';
import { bodySql } from './plpgsql.js';
import { renderGithub, renderJson } from './render.js';
import { checkSource } from './source.js';

await initParser();

const lines = (sql: string, options?: Parameters<typeof checkExample>[1]) =>
  checkExample(sql, options).diagnostics.map((d) => `${d.ruleId} ${d.loc.start.line}:${d.loc.start.col}-${d.loc.end.line}:${d.loc.end.col} ${d.severity}`);

describe('where findings point', () => {
  it('at the sub-command of a multi-command ALTER TABLE', () => {
    expect(lines('ALTER TABLE "Post" ADD COLUMN "summary" TEXT,\n  DROP COLUMN "content";')).toEqual(['ban-drop-column 2:3-2:24 error']);
  });

  it('at the statement inside a DO block', () => {
    const sql = 'DO $$\nBEGIN\n  IF true THEN\n    ALTER TABLE "Post" DROP COLUMN "content";\n  END IF;\nEND $$;';
    expect(lines(sql)).toEqual(['ban-drop-column 4:5-4:45 error']);
  });

  it('at the EXECUTE of a constant string', () => {
    expect(lines(`DO $$\nBEGIN\n  EXECUTE 'DROP TABLE "Post"';\nEND $$;`)).toEqual(['ban-drop-table 3:11-3:30 error']);
  });

  it('at the call of a function whose body holds the DDL', () => {
    const sql = `CREATE FUNCTION cleanup() RETURNS void LANGUAGE plpgsql AS $$ BEGIN ALTER TABLE "Post" DROP COLUMN "content"; END $$;\nSELECT cleanup();`;
    expect(lines(sql)).toEqual(['ban-drop-column 2:1-2:17 error']);
  });
});

describe('the source view', () => {
  it('is the file itself when nothing is expanded', () => {
    const parsed = parseSql('CREATE TABLE "A" ("id" INTEGER);\nDROP TABLE "A";');
    expect(checkSource(parsed, new Map()).parsed).toBe(parsed);
  });

  it('reads static SQL, constant EXECUTE and reports the rest of a PL/pgSQL body', () => {
    const body = `\nDECLARE n bigint;\nBEGIN\n  SELECT count(*) INTO n FROM "Post";\n  EXECUTE 'ANALYZE "Post"';\n  EXECUTE 'DROP TABLE ' || quote_ident('Post');\nEND`;
    const found = bodySql(body);
    expect(found.statements.map((s) => [s.line, s.sql.replace(/\s+/g, ' ').trim()])).toEqual([
      [4, 'SELECT count(*) FROM "Post"'],
      [5, 'ANALYZE "Post"'],
    ]);
    expect(found.problems).toEqual([{ line: 6, reason: "EXECUTE of SQL built at run time ('DROP TABLE ' || quote_ident('Post'))" }]);
  });
});

describe('transactions', () => {
  const kinds = (sql: string, execution: 'whole-file' | 'per-statement') =>
    transactions(parseSql(sql).statements, execution).map((t) => `${t.id}${t.explicit ? '!' : ''}/${t.size}`);
  const sql = 'SELECT 1;\nSELECT 2;\nBEGIN;\nSELECT 3;\nCOMMIT;\nSELECT 4;';

  it('whole-file: one implicit transaction, a COMMIT ends it', () => {
    expect(kinds(sql, 'whole-file')).toEqual(['0!/3', '0!/3', '0!/3', '0!/3', '0!/3', '1/1']);
  });

  it('per-statement: each statement alone unless BEGIN … COMMIT', () => {
    expect(kinds(sql, 'per-statement')).toEqual(['1/1', '2/1', '3!/1', '3!/1', '3!/1', '4/1']);
  });

  it('COMMIT AND CHAIN opens the next explicit transaction at once; PREPARE TRANSACTION ends one', () => {
    const chained = 'BEGIN;\nSELECT 1;\nCOMMIT AND CHAIN;\nSELECT 2;\nSELECT 3;\nCOMMIT;\nSELECT 4;';
    expect(kinds(chained, 'per-statement')).toEqual(['1!/1', '1!/1', '1!/1', '2!/2', '2!/2', '2!/2', '3/1']);
    expect(kinds(chained, 'whole-file')).toEqual(['0!/1', '0!/1', '0!/1', '1!/2', '1!/2', '1!/2', '2/1']);
    expect(kinds("BEGIN;\nSELECT 1;\nPREPARE TRANSACTION 'x';\nSELECT 2;", 'per-statement')).toEqual(['1!/1', '1!/1', '1!/1', '2/1']);
  });
});

describe('suppression comments', () => {
  const drop = 'ALTER TABLE "Post" DROP COLUMN "content";';

  it('before a statement, for the named rules only', () => {
    expect(lines(`-- prisma-zd-ignore ban-drop-column: ignored since release 41\n${drop}`)).toEqual([]);
    expect(lines(`-- prisma-zd-ignore ban-drop-table: wrong rule\n${drop}`)).toEqual(['unused-suppression 1:1-1:47 warning', 'ban-drop-column 2:1-2:41 error']);
  });

  it('for the whole file, and without rule names for every rule', () => {
    expect(lines(`${drop}\n-- prisma-zd-ignore-file ban-drop-column: dropping dead columns\n`)).toEqual([]);
    expect(lines(`-- prisma-zd-ignore: reviewed\n${drop}`)).toEqual([]);
  });

  it('accepts squawk-ignore as an alias, and never reports it unused', () => {
    expect(lines(`-- squawk-ignore ban-drop-column\n${drop}`)).toEqual([]);
    expect(lines(`-- squawk-ignore ban-drop-table, prefer-robust-stmts\n${drop}`)).toEqual(['ban-drop-column 2:1-2:41 error']);
    const fk = 'ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");';
    expect(lines(`-- squawk-ignore adding-foreign-key-constraint\n${fk}`)).toEqual([]);
  });

  it('a comment without rules that suppresses nothing is reported, not silenced by itself', () => {
    expect(lines('-- prisma-zd-ignore: just in case\nALTER TABLE "Post" ADD COLUMN "summary" TEXT;')).toEqual(['unused-suppression 1:1-1:34 warning']);
  });
});

describe('severities', () => {
  const index = 'CREATE INDEX "Post_title_idx" ON "Post"("title");';

  it('come from the config, and off turns a rule off', () => {
    expect(lines(index, { rules: { 'require-concurrent-index-creation': 'warning' } })).toEqual(['require-concurrent-index-creation 1:1-1:49 warning']);
    expect(lines(index, { rules: { 'require-concurrent-index-creation': 'off', 'migration-not-rewritten': 'off' } })).toEqual([]);
  });

  it('drop one level for a tiny table, for lock findings only', () => {
    const sizes = new Map([['"public"."Post"', { rows: 120, bytes: 64 * 1024 }]]);
    expect(lines(`${index}\nALTER TABLE "Post" DROP COLUMN "content";`, { sizes })).toEqual([
      'require-concurrent-index-creation 1:1-1:49 warning',
      'ban-drop-column 2:1-2:41 error',
    ]);
    const big = new Map([['"public"."Post"', { rows: 3_000_000, bytes: 2 * 1024 ** 3 }]]);
    expect(lines(index, { sizes: big })).toEqual(['require-concurrent-index-creation 1:1-1:49 error']);
  });
});

describe('renderers', () => {
  const report = checkExample('CREATE INDEX "Post_title_idx" ON "Post"("title");\nALTER TABLE "Post" DROP COLUMN "content";');

  it('JSON carries location, lock, table and fix', () => {
    const doc = JSON.parse(renderJson(report));
    expect(doc.summary).toEqual({ migrations: 1, replayed: 2, errors: 2, warnings: 0, info: 0, suppressed: 0, needRewrite: ['99999999999999_migration'] });
    expect(doc.findings[0]).toMatchObject({ ruleId: 'require-concurrent-index-creation', line: 1, column: 1, endLine: 1, endColumn: 49, lock: 'SHARE', fixedBy: 'rewrite', table: { schema: 'public', name: 'Post' } });
  });

  it('GitHub annotations escape what workflow commands need escaped', () => {
    const out = renderGithub(report).split('\n');
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^::error file=migration.sql,line=2,col=1,endLine=2,endColumn=41,title=prisma-zd ban-drop-column::DROP COLUMN "Post"\."content": .*%0AInstead: .*%0Ahttps:\/\/.*ban-drop-column\.md$/);
  });
});
