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

describe('columns of a domain type', () => {
  // Measured in test/check/handwritten-locks.test.ts (PostgreSQL 18 and 14).
  const CHECKED = 'CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);';

  it('reports ADD COLUMN of a domain type with a CHECK on an existing table (rewrites it under ACCESS EXCLUSIVE)', () => {
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint;', [CHECKED])).toEqual(['adding-field-with-default 1:1']);
    const [d] = checkExample('ALTER TABLE "Post" ADD COLUMN "score" posint;', { history: [CHECKED] }).diagnostics;
    expect(d!.message).toBe(
      'ADD COLUMN "score" rewrites all of "Post" under an ACCESS EXCLUSIVE lock, because its type "posint" is a domain with CHECK (VALUE > 0), which PostgreSQL checks on every existing row by rewriting the table: every read and write of "Post" waits until the rewrite is done.',
    );
    expect(d!.help).toContain('`ADD COLUMN "score" integer`');
    expect(d!.help).toContain('`CHECK (VALUE > 0)` with VALUE written "score"');
  });

  it('reports it whatever the column\'s default, through a domain over the domain, a schema, a rename, a constraint added NOT VALID or SET NOT NULL', () => {
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint NOT NULL DEFAULT 1;', [CHECKED])).toEqual(['adding-field-with-default 1:1']);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint DEFAULT NULL;', [CHECKED])).toEqual(['adding-field-with-default 1:1']);
    expect(rulesOf('CREATE DOMAIN score AS posint;\nALTER TABLE "Post" ADD COLUMN "score" score;', [CHECKED])).toEqual(['adding-field-with-default 2:1']);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" app.posint;', ['CREATE SCHEMA app;\nCREATE DOMAIN app.posint AS INTEGER CHECK (VALUE > 0);'])).toEqual([
      'adding-field-with-default 1:1',
    ]);
    expect(rulesOf('ALTER DOMAIN posint RENAME TO positive;\nALTER TABLE "Post" ADD COLUMN "score" positive;', [CHECKED])).toEqual(['adding-field-with-default 2:1']);
    expect(rulesOf('ALTER DOMAIN posint ADD CONSTRAINT p CHECK (VALUE > 0) NOT VALID;\nALTER TABLE "Post" ADD COLUMN "score" posint;', ['CREATE DOMAIN posint AS INTEGER;'])).toEqual([
      'adding-field-with-default 2:1',
    ]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint DEFAULT 1;', ['CREATE DOMAIN posint AS INTEGER NOT NULL;'])).toEqual(['adding-field-with-default 1:1']);
    const over = checkExample('CREATE DOMAIN score AS posint;\nALTER TABLE "Post" ADD COLUMN "score" score;', { history: [CHECKED] }).diagnostics[0]!;
    expect(over.message).toContain('its type "score" is a domain with CHECK (VALUE > 0) (of "posint", the domain it is over)');
  });

  it('reports a column of a domain with NOT NULL and no default as a failing ADD (domain does not allow null values)', () => {
    const history = ['CREATE DOMAIN required_int AS INTEGER NOT NULL;'];
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "n" required_int;', history)).toEqual(['adding-required-field 1:1']);
    const [d] = checkExample('ALTER TABLE "Post" ADD COLUMN "n" required_int;', { history }).diagnostics;
    expect(d!.message).toContain('("domain required_int does not allow null values")');
    expect(d!.help).toContain('`ADD COLUMN "n" integer`');
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "n" required_int DEFAULT NULL;', history)).toEqual(['adding-required-field 1:1']);
  });

  it('reports a volatile default of the domain (the column has none of its own), and none before PostgreSQL 11', () => {
    const history = ['CREATE DOMAIN public_id AS UUID DEFAULT gen_random_uuid();'];
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "publicId" public_id;', history)).toEqual(['adding-field-with-default 1:1']);
    const [d] = checkExample('ALTER TABLE "Post" ADD COLUMN "publicId" public_id;', { history }).diagnostics;
    expect(d!.message).toContain('because the default gen_random_uuid() of its type "public_id" (a domain) is volatile');
    expect(d!.help).toContain('`DEFAULT NULL`');
    expect(rulesOf('ALTER DOMAIN public_id DROP DEFAULT;\nALTER DOMAIN public_id SET DEFAULT gen_random_uuid();\nALTER TABLE "Post" ADD COLUMN "publicId" public_id;', [
      'CREATE DOMAIN public_id AS UUID;',
    ])).toEqual(['adding-field-with-default 3:1']);
    const constant = ['CREATE DOMAIN rating AS INTEGER DEFAULT 0;'];
    expect(checkExample('ALTER TABLE "Post" ADD COLUMN "rating" rating;', { history: constant, postgresVersion: 10 }).diagnostics.map((x) => x.ruleId)).toEqual([
      'adding-field-with-default',
    ]);
  });

  it('accepts a domain without constraints, one whose CHECK was dropped, a stable or overridden default, an array of the domain, a new table', () => {
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint;', ['CREATE DOMAIN posint AS INTEGER;'])).toEqual([]);
    expect(rulesOf('ALTER DOMAIN posint DROP CONSTRAINT posint_check;\nALTER TABLE "Post" ADD COLUMN "score" posint;', [CHECKED])).toEqual([]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint[];', [CHECKED])).toEqual([]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "at" stamp;', ['CREATE DOMAIN stamp AS TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP;'])).toEqual([]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "at" stamp NOT NULL;', ['CREATE DOMAIN stamp AS TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP;'])).toEqual([]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "publicId" public_id DEFAULT NULL;', ['CREATE DOMAIN public_id AS UUID DEFAULT gen_random_uuid();'])).toEqual([]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "n" required_int;', ['CREATE DOMAIN required_int AS INTEGER NOT NULL;\nALTER DOMAIN required_int DROP NOT NULL;'])).toEqual([]);
    expect(rulesOf(`${CHECKED}\nCREATE TABLE "Score" ("id" INTEGER, "value" posint NOT NULL);\nALTER TABLE "Score" ADD COLUMN "other" posint;`)).toEqual([]);
    expect(rulesOf('ALTER TABLE "Post" ADD COLUMN "score" posint;', ['CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);\nDROP DOMAIN posint;\nCREATE DOMAIN posint AS INTEGER;'])).toEqual([]);
  });

  it('ALTER COLUMN TYPE: to a domain with constraints rewrites; to a domain without any over the same type, or back to the base type, does not', () => {
    const history = ['CREATE DOMAIN posint AS INTEGER CHECK (VALUE > 0);\nCREATE DOMAIN plain_int AS INTEGER;\nCREATE TABLE "Score" ("id" INTEGER, "v" INTEGER, "p" posint);'];
    expect(rulesOf('ALTER TABLE "Score" ALTER COLUMN "v" TYPE posint;', history)).toEqual(['changing-column-type 1:1']);
    expect(rulesOf('ALTER TABLE "Score" ALTER COLUMN "v" TYPE plain_int;', history)).toEqual([]);
    expect(rulesOf('ALTER TABLE "Score" ALTER COLUMN "p" TYPE INTEGER;', history)).toEqual([]);
    expect(rulesOf('ALTER TABLE "Score" ALTER COLUMN "p" TYPE plain_int;', history)).toEqual([]);
    expect(rulesOf('ALTER TABLE "Score" ALTER COLUMN "v" TYPE BIGINT;', history)).toEqual(['changing-column-type 1:1']);
  });

  it('the lock model (deploy\'s plan) says ADD COLUMN of a domain with a constraint, or of a volatile domain default, rewrites', () => {
    const before = replay([{ name: '00000000000000_domains', parsed: parseSql(`${CHECKED}\nCREATE DOMAIN public_id AS UUID DEFAULT gen_random_uuid();\nCREATE DOMAIN plain_int AS INTEGER;\nCREATE TABLE "Post" ("id" TEXT);`) }]).at(-1)!.after;
    const costs = parseSql(
      'ALTER TABLE "Post" ADD COLUMN a posint; ALTER TABLE "Post" ADD COLUMN b public_id; ALTER TABLE "Post" ADD COLUMN c public_id DEFAULT NULL; ALTER TABLE "Post" ADD COLUMN d plain_int; ALTER TABLE "Post" ADD COLUMN e posint[];',
    ).statements.map((s) => statementLocks(s, { before }).locks.map((l) => l.cost ?? 'none'));
    expect(costs).toEqual([['rewrite'], ['rewrite'], ['none'], ['none'], ['none']]);
  });

  it('ALTER DOMAIN ADD CONSTRAINT checks the columns of domains over it too', () => {
    const history = ['CREATE DOMAIN posint AS INTEGER;\nCREATE DOMAIN score AS posint;\nCREATE TABLE "Score" ("id" INTEGER, "value" score);'];
    expect(rulesOf('ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0);', history)).toEqual(['constraint-missing-not-valid 1:1']);
    expect(rulesOf('ALTER DOMAIN score ADD CONSTRAINT score_positive CHECK (VALUE > 0);', ['CREATE DOMAIN posint AS INTEGER;\nCREATE DOMAIN score AS posint;\nCREATE TABLE "Score" ("id" INTEGER, "value" posint);'])).toEqual([]);
  });
});

describe('search_path', () => {
  const APP = 'CREATE SCHEMA app;\nCREATE TABLE app."Post" ("id" INTEGER, "title" TEXT);';

  it('follows set_config(\'search_path\', …) with constant arguments, session-wide or LOCAL', () => {
    // (Each migration here resets a session-level path at its end: search-path-not-reset.)
    expect(rulesOf('SELECT set_config(\'search_path\', \'app, public\', false);\nALTER TABLE "Post" ADD COLUMN "publicId" UUID NOT NULL DEFAULT gen_random_uuid();\nRESET search_path;', [APP]).length).toBe(1);
    const [d] = checkExample('SELECT pg_catalog.set_config(\'search_path\', \'app\', true);\nALTER TABLE "Post" ADD COLUMN "n" INTEGER NOT NULL;', { history: [APP] }).diagnostics;
    expect([d!.ruleId, d!.table?.schema, d!.table?.name]).toEqual(['adding-required-field', 'app', 'Post']);
    expect(d!.message).toContain('"app"."Post"');
  });

  it('reads names with the path of SET search_path / SET LOCAL, and the default again after RESET, COMMIT (for LOCAL) or a set_config it cannot follow', () => {
    const index = (sql: string) => checkExample(sql, { history: [APP] }).diagnostics.map((d) => `${d.ruleId} ${d.table?.schema}`);
    expect(index('SET search_path TO app;\nCREATE INDEX "t_idx" ON "Post" ("title");\nRESET search_path;')).toEqual(['require-concurrent-index-creation app']);
    expect(index('BEGIN;\nSET LOCAL search_path = app;\nCOMMIT;\nCREATE INDEX "t_idx" ON "Post" ("title");')).toEqual(['require-concurrent-index-creation public']);
    expect(index('SET search_path TO app;\nRESET search_path;\nCREATE INDEX "t_idx" ON "Post" ("title");')).toEqual(['require-concurrent-index-creation public']);
    expect(index('SELECT set_config(\'search_path\', current_setting(\'app.schema\'), false);\nCREATE INDEX "t_idx" ON "Post" ("title");')).toEqual([
      'require-concurrent-index-creation public',
    ]);
  });

  it('resolves the table of REFRESH, REINDEX and ATTACH PARTITION along the statement\'s search_path', () => {
    const history = ['CREATE SCHEMA app;\nCREATE MATERIALIZED VIEW app.stats AS SELECT 1 AS n;'];
    expect(rulesOf('SET search_path TO app;\nREFRESH MATERIALIZED VIEW stats;\nRESET search_path;', history)).toEqual(['blocking-maintenance 2:1']);
    expect(rulesOf('REFRESH MATERIALIZED VIEW stats;', history)).toEqual([]);
    const partitions = ['CREATE SCHEMA app;\nCREATE TABLE app.ev (id int, at date) PARTITION BY RANGE (at);\nCREATE TABLE app.ev_2023 (id int, at date);'];
    const attach = "ALTER TABLE ev ATTACH PARTITION ev_2023 FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');\nREINDEX TABLE ev_2023;\nRESET search_path;";
    expect(rulesOf(`SET search_path TO app;\n${attach}`, partitions)).toEqual(['attaching-partition-without-check 2:1', 'blocking-maintenance 3:1']);
    expect(checkExample(`SET search_path TO app;\n${attach}`, { history: partitions }).diagnostics.map((d) => d.table?.schema)).toEqual(['app', 'app']);
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
