/**
 * Hand-written SQL that Prisma users add to migrations (`prisma migrate dev
 * --create-only`, then edit): materialized views, partitioned tables, functions,
 * triggers, row-level security, grants, DO blocks. The locks relied on are measured in
 * test/check/handwritten-locks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { replay } from '../facts/replay.js';
import { statementLocks } from '../locks/locks.js';
import { initParser, parseSql } from '../sql/parse.js';
import { checkExample, rewriteExample } from './examples.js';

await initParser();

const MATVIEW = `CREATE MATERIALIZED VIEW post_stats AS SELECT "authorId", count(*) AS c FROM "Post" GROUP BY 1;
CREATE UNIQUE INDEX post_stats_idx ON post_stats ("authorId");
`;

const PARTITIONED = `CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
`;

const rulesOf = (sql: string, history: string[] = []) =>
  checkExample(sql, { history }).diagnostics.map((d) => `${d.ruleId} ${d.loc.start.line}:${d.loc.start.col}`);

describe('materialized views', () => {
  it('reports REFRESH MATERIALIZED VIEW without CONCURRENTLY on an existing view (ACCESS EXCLUSIVE: reads wait)', () => {
    const report = checkExample('-- refresh\nREFRESH MATERIALIZED VIEW post_stats;', { history: [MATVIEW] });
    expect(report.diagnostics.map((d) => [d.ruleId, d.loc.start.line, d.lock])).toEqual([['blocking-maintenance', 2, 'ACCESS EXCLUSIVE']]);
    expect(report.diagnostics[0]!.message).toContain('post_stats');
    expect(report.diagnostics[0]!.help).toContain('REFRESH MATERIALIZED VIEW CONCURRENTLY "post_stats"');
  });

  it('reports REFRESH … WITH NO DATA: the view cannot be read until refreshed', () => {
    expect(rulesOf('REFRESH MATERIALIZED VIEW post_stats WITH NO DATA;', [MATVIEW])).toEqual(['blocking-maintenance 1:1']);
  });

  it('accepts REFRESH CONCURRENTLY, and REFRESH of a view created in the same migration', () => {
    expect(rulesOf('REFRESH MATERIALIZED VIEW CONCURRENTLY post_stats;', [MATVIEW])).toEqual([]);
    expect(rulesOf(`${MATVIEW}REFRESH MATERIALIZED VIEW post_stats;`)).toEqual([]);
  });
});

describe('partitioned tables', () => {
  it('accepts CREATE INDEX ON ONLY a partitioned table (no build: an invalid index on the parent alone)', () => {
    expect(rulesOf('CREATE INDEX ev_at_idx ON ONLY ev (at);', [PARTITIONED])).toEqual([]);
  });

  it('the lock model (deploy\'s plan) says CREATE INDEX ON ONLY builds nothing', () => {
    const before = replay([{ name: '00000000000000_partitioned', parsed: parseSql(PARTITIONED) }]).at(-1)!.after;
    const [only, all] = parseSql('CREATE INDEX ev_at_idx ON ONLY ev (at); CREATE INDEX ev_at_idx ON ev (at);').statements;
    expect(statementLocks(only!, { before }).locks.map((l) => [l.mode, l.cost])).toEqual([['SHARE', undefined]]);
    expect(statementLocks(all!, { before }).locks.map((l) => [l.mode, l.cost])).toEqual([['SHARE', 'build']]);
  });

  it('still reports CREATE INDEX on a partitioned table (it builds on every partition)', () => {
    expect(rulesOf('CREATE INDEX ev_at_idx ON ev (at);', [PARTITIONED])).toEqual(['require-concurrent-index-creation 1:1']);
  });

  it('reports ATTACH PARTITION of an existing table with no CHECK (ACCESS EXCLUSIVE on it while its rows are read)', () => {
    const history = [`CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE ev_2023 (id int, at date);\n`];
    expect(rulesOf(`-- attach\nALTER TABLE ev ATTACH PARTITION ev_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');`, history)).toEqual([
      'attaching-partition-without-check 2:1',
    ]);
  });

  it('reports DETACH PARTITION CONCURRENTLY in a multi-statement file (a transaction block: the deploy fails)', () => {
    const report = checkExample('ALTER TABLE ev DETACH PARTITION ev_2024 CONCURRENTLY;\nDROP TABLE ev_2024;', { history: [PARTITIONED] });
    const d = report.diagnostics.find((x) => x.ruleId === 'ban-concurrent-index-creation-in-transaction');
    expect(d?.message).toContain('"ALTER TABLE ... DETACH CONCURRENTLY cannot run inside a transaction block"');
    expect(rulesOf('ALTER TABLE ev DETACH PARTITION ev_2024 CONCURRENTLY;', [PARTITIONED])).toEqual([]);
  });

  it('rewrite leaves CREATE INDEX ON ONLY alone', () => {
    const sql = 'CREATE INDEX ev_at_idx ON ONLY ev (at);\n';
    expect(rewriteExample(sql, [PARTITIONED])).toBe(sql);
  });
});

describe('row-level security', () => {
  it('reports ENABLE ROW LEVEL SECURITY on an existing table (old app versions connecting as another role read nothing)', () => {
    expect(rulesOf('-- rls\nALTER TABLE "Post" ENABLE ROW LEVEL SECURITY;')).toEqual(['enabling-row-level-security 2:1']);
  });
});

const DOMAIN = `CREATE DOMAIN posint AS INTEGER;
CREATE TABLE "Score" ("id" INTEGER, "value" posint);
`;

describe('domains', () => {
  it('reports ALTER DOMAIN ADD CONSTRAINT without NOT VALID on a domain an existing table uses (SHARE lock on it for the check)', () => {
    const report = checkExample('ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);', { history: [DOMAIN] });
    expect(report.diagnostics.map((d) => [d.ruleId, d.loc.start.line, d.loc.start.col, d.lock, d.table?.name])).toEqual([
      ['constraint-missing-not-valid', 1, 1, 'SHARE', 'Score'],
    ]);
    expect(report.diagnostics[0]!.message).toContain('"Score"');
  });

  it('accepts it NOT VALID, on a domain no existing table uses, or when the domain and its table are new', () => {
    expect(rulesOf('ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0) NOT VALID;', [DOMAIN])).toEqual([]);
    expect(rulesOf('ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);', ['CREATE DOMAIN posint AS INTEGER;'])).toEqual([]);
    expect(rulesOf(`${DOMAIN}ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);`)).toEqual([]);
  });
});

describe('known gaps', () => {
  // Measured in test/check/handwritten-locks.test.ts: PostgreSQL checks the domain's constraints on every row by
  // rewriting the table. The replay does not model domains (CREATE DOMAIN is not understood), so no rule knows.
  it.fails('reports ADD COLUMN of a domain type with a CHECK on an existing table (rewrites it under ACCESS EXCLUSIVE)', () => {
    const history = ['CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);'];
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint;', history)).toEqual(['adding-field-with-default 1:1']);
  });
});

describe('hand-written SQL that is safe', () => {
  const cases: Record<string, string> = {
    'a trigger function with a tagged dollar quote, and its trigger on a new table': `CREATE TABLE "Log" ("id" INTEGER);
CREATE OR REPLACE FUNCTION log_touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  NEW."id" := coalesce(NEW."id", 0); -- a ; in a body
  RETURN NEW;
END
$fn$;
CREATE TRIGGER log_touch BEFORE INSERT ON "Log" FOR EACH ROW EXECUTE FUNCTION log_touch();`,
    'row-level security on a new table, with its policy': `CREATE TABLE "Tenant" ("id" INTEGER);
ALTER TABLE "Tenant" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "Tenant" USING ("id" = current_setting('app.tenant')::int);`,
    'grants, comments and extensions': `GRANT SELECT, INSERT ON "Post" TO PUBLIC;
REVOKE DELETE ON "Post" FROM PUBLIC;
COMMENT ON TABLE "Post" IS $c$it's; a table$c$;
COMMENT ON COLUMN "Post"."title" IS 'title';
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";`,
    'a schema and indexes on its new tables': `CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE audit.log (id bigserial PRIMARY KEY, data jsonb);
CREATE INDEX log_data_idx ON audit.log USING gin (data);
CREATE INDEX log_expr_idx ON audit.log ((data->>'kind')) WHERE data ? 'kind';`,
    'identity and generated columns on a new table': `CREATE TABLE "T" ("id" INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "g" INTEGER GENERATED ALWAYS AS ("id" * 2) STORED);`,
    'a data-only migration with a CTE and an upsert': `WITH admins AS (SELECT "id" FROM "User" WHERE "role" = 'ADMIN')
UPDATE "Post" p SET "published" = true FROM admins WHERE p."authorId" = admins."id";
INSERT INTO "User" ("email", "name") VALUES ('a@b.c', 'a') ON CONFLICT ("email") DO UPDATE SET "name" = EXCLUDED."name";`,
    'a new partition of an existing partitioned table': `CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`,
  };
  it.each(Object.entries(cases))('%s', (_, sql) => {
    expect(rulesOf(sql, [PARTITIONED])).toEqual([]);
    const once = rewriteExample(sql, [PARTITIONED]);
    expect(rewriteExample(once, [PARTITIONED])).toBe(once);
  });
});
