/*
 * Lock claims behind findings on hand-written migration SQL (materialized views,
 * partitioned tables, domains), measured on the test server (and PostgreSQL 14, the
 * default target, when it is available): the statement runs in a transaction on tables
 * with rows, pg_locks gives the lock its backend holds on each relation, and a changed
 * relfilenode tells a table rewrite. Also the search_path semantics the replay follows.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSql } from '../../packages/core/src/check/check.js';
import { checkSource } from '../../packages/core/src/check/source.js';
import { replayMigration } from '../../packages/core/src/facts/replay.js';
import { emptySchemaState } from '../../packages/core/src/facts/draft.js';
import { initParser, parseSql } from '../../packages/core/src/sql/parse.js';
import { runScript } from '../support/apply.js';
import { freshDatabase, testServer } from '../support/db.js';
import { createDatabase, startEmbedded, type PgServer, type TestDatabase } from '../support/postgres.js';

const SCHEMA = `
CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" INTEGER NOT NULL);
INSERT INTO "Post" SELECT 'p' || i, i % 100 FROM generate_series(1, 10000) i;
CREATE MATERIALIZED VIEW post_stats AS SELECT "authorId", count(*) AS c FROM "Post" GROUP BY 1;
CREATE UNIQUE INDEX post_stats_idx ON post_stats ("authorId");
CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO ev SELECT i, DATE '2024-01-01' + (i % 300) FROM generate_series(1, 10000) i;
CREATE TABLE ev_2023 (id int, at date);
INSERT INTO ev_2023 SELECT i, DATE '2023-01-01' + (i % 300) FROM generate_series(1, 10000) i;
CREATE TABLE ev_2022 (id int, at date, CONSTRAINT ev_2022_at_check CHECK (at IS NOT NULL AND at >= DATE '2022-01-01' AND at < DATE '2023-01-01'));
INSERT INTO ev_2022 SELECT i, DATE '2022-01-01' + (i % 300) FROM generate_series(1, 10000) i;
CREATE DOMAIN posint AS int;
CREATE TABLE scores (id int, v posint);
INSERT INTO scores SELECT i, i FROM generate_series(1, 10000) i;
`;

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await freshDatabase({ prefix: 'handwritten_locks' });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(SCHEMA);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
  await (await pg14)?.stop();
});

/** PostgreSQL 14 (the default target), started on first use; undefined when the test server is 14 or it is not available. */
let pg14: Promise<PgServer | undefined> | undefined;

/** `fn`'s result on each server: the test server and PostgreSQL 14 (a fresh database with SCHEMA). */
async function onServers<T>(fn: (c: pg.Client) => Promise<T>): Promise<Record<number, T>> {
  const main = testServer();
  pg14 ??= main.major === 14 ? Promise.resolve(undefined) : startEmbedded({ major: 14 }).catch(() => undefined);
  const second = await pg14;
  const out: Record<number, T> = { [main.major]: await fn(client) };
  if (second) {
    const other = await createDatabase(second, { prefix: 'handwritten_locks' });
    const c = new pg.Client({ connectionString: other.url });
    await c.connect();
    try {
      await c.query(SCHEMA);
      out[14] = await fn(c);
    } finally {
      await c.end();
      await other.drop();
    }
  }
  return out;
}

/** `sql`'s locks on `relation` on each server: the test server and PostgreSQL 14. */
async function locksOnServers(sql: string, relation: string): Promise<Record<number, string[]>> {
  return onServers(async (c) => (await locksOf(sql, c))[relation] ?? []);
}

/** The lock the statement's backend holds on each relation, by name, inside a rolled-back transaction. */
async function locksOf(sql: string, client_: pg.Client = client): Promise<Record<string, string[]>> {
  const client = client_;
  await client.query('BEGIN');
  try {
    await client.query(sql);
    const { rows } = await client.query<{ relname: string; mode: string }>(
      `SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted ORDER BY 1, 2`,
    );
    const out: Record<string, string[]> = {};
    for (const r of rows) (out[r.relname] ??= []).push(r.mode);
    return out;
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('hand-written migration SQL: locks measured', () => {
  it('REFRESH MATERIALIZED VIEW holds ACCESS EXCLUSIVE on the view (reads wait); CONCURRENTLY holds EXCLUSIVE (reads continue)', async () => {
    expect((await locksOf('REFRESH MATERIALIZED VIEW post_stats'))['post_stats']).toContain('AccessExclusiveLock');
    const concurrently = (await locksOf('REFRESH MATERIALIZED VIEW CONCURRENTLY post_stats'))['post_stats'] ?? [];
    expect(concurrently).toContain('ExclusiveLock');
    expect(concurrently).not.toContain('AccessExclusiveLock');
  });

  it('CREATE INDEX ON ONLY a partitioned table builds nothing: an invalid index on the parent, none on the partitions', async () => {
    await client.query('BEGIN');
    try {
      await client.query('CREATE INDEX ev_at_idx ON ONLY ev (at)');
      const { rows } = await client.query<{ valid: boolean; partitions: string }>(
        `SELECT i.indisvalid AS valid,
                (SELECT count(*) FROM pg_index p JOIN pg_class c ON c.oid = p.indrelid WHERE c.relname = 'ev_2024')::text AS partitions
           FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE x.relname = 'ev_at_idx'`,
      );
      expect(rows).toEqual([{ valid: false, partitions: '0' }]);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('ALTER DOMAIN ADD CONSTRAINT and VALIDATE CONSTRAINT hold SHARE on each table with a column of the domain (writes wait) while they check it; NOT VALID takes no table lock', async () => {
    const checked = await locksOnServers('ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0)', 'scores');
    for (const modes of Object.values(checked)) expect(modes).toContain('ShareLock');
    expect((await locksOf('ALTER DOMAIN posint ADD CONSTRAINT posint_positive CHECK (VALUE > 0) NOT VALID'))['scores']).toBeUndefined();
    // VALIDATE CONSTRAINT of a domain holds SHARE as well (unlike a table's): the help says so.
    const validated = await locksOnServers('ALTER DOMAIN posint ADD CONSTRAINT p2 CHECK (VALUE > 0) NOT VALID; ALTER DOMAIN posint VALIDATE CONSTRAINT p2', 'scores');
    for (const modes of Object.values(validated)) expect(modes).toContain('ShareLock');
  }, 120_000);

  it('ATTACH PARTITION holds ACCESS EXCLUSIVE on the table attached while it reads all of it; a CHECK that proves the bound spares the read', async () => {
    const attach = async (table: string, from: string, to: string) => {
      await client.query('BEGIN');
      try {
        await client.query(`ALTER TABLE ev ATTACH PARTITION ${table} FOR VALUES FROM ('${from}') TO ('${to}')`);
        const { rows } = await client.query<{ mode: string; blocks: string }>(
          `SELECT l.mode, pg_stat_get_xact_blocks_fetched('${table}'::regclass)::text AS blocks FROM pg_locks l
            WHERE l.pid = pg_backend_pid() AND l.relation = '${table}'::regclass AND l.granted`,
        );
        return rows;
      } finally {
        await client.query('ROLLBACK');
      }
    };
    const unproven = await attach('ev_2023', '2023-01-01', '2024-01-01');
    expect(unproven.map((r) => r.mode)).toContain('AccessExclusiveLock');
    expect(Number(unproven[0]!.blocks)).toBeGreaterThan(10);
    const proven = await attach('ev_2022', '2022-01-01', '2023-01-01');
    expect(proven.map((r) => r.mode)).toContain('AccessExclusiveLock');
    expect(Number(proven[0]!.blocks)).toBeLessThan(10);
  });

  it('ENABLE ROW LEVEL SECURITY without a policy: a role that does not own the table reads no row and cannot insert; FORCE does the same to the owner', async () => {
    const role = `hw_app_${Date.now()}`;
    await client.query('BEGIN');
    try {
      await client.query(`CREATE ROLE ${role}; GRANT SELECT, INSERT ON "Post" TO ${role}; ALTER TABLE "Post" ENABLE ROW LEVEL SECURITY`);
      expect((await client.query('SELECT count(*)::int AS n FROM "Post"')).rows).toEqual([{ n: 10000 }]); // the owner (a superuser here)
      await client.query(`SET LOCAL ROLE ${role}`);
      expect((await client.query('SELECT count(*)::int AS n FROM "Post"')).rows).toEqual([{ n: 0 }]);
      await client.query('SAVEPOINT s');
      await expect(client.query(`INSERT INTO "Post" VALUES ('new', 1)`)).rejects.toThrow(/row-level security/);
      await client.query('ROLLBACK TO SAVEPOINT s');
      await client.query('RESET ROLE');
      // FORCE: the owner (not a superuser) is held to the policies too.
      await client.query(`CREATE ROLE ${role}_owner; ALTER TABLE "Post" OWNER TO ${role}_owner; ALTER TABLE "Post" FORCE ROW LEVEL SECURITY; SET LOCAL ROLE ${role}_owner`);
      expect((await client.query('SELECT count(*)::int AS n FROM "Post"')).rows).toEqual([{ n: 0 }]);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('DETACH PARTITION CONCURRENTLY is refused in a transaction block', async () => {
    await client.query('BEGIN');
    try {
      await expect(client.query('ALTER TABLE ev DETACH PARTITION ev_2024 CONCURRENTLY')).rejects.toThrow('ALTER TABLE ... DETACH CONCURRENTLY cannot run inside a transaction block');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('search_path as the replay reads it: SET LOCAL and set_config(…, true) hold to the end of a file run as one query, or to an explicit COMMIT; SET and set_config(…, false) beyond (handwritten.test.ts)', async () => {
    // Each file as Prisma's native engine sends it: one simple query on its own session. Where does its table land?
    const files: Record<string, string> = {
      'SET LOCAL search_path = sp_app; CREATE TABLE sp_1 (id int)': 'sp_app',
      "SELECT set_config('search_path', 'sp_app', true); CREATE TABLE sp_2 (id int)": 'sp_app',
      'BEGIN; SET LOCAL search_path = sp_app; COMMIT; CREATE TABLE sp_3 (id int)': 'public',
      "BEGIN; SELECT set_config('search_path', 'sp_app', true); COMMIT; CREATE TABLE sp_4 (id int)": 'public',
      'BEGIN; SET LOCAL search_path = sp_app; SET search_path = sp_app; COMMIT; CREATE TABLE sp_5 (id int)': 'sp_app',
      'SELECT set_config(\'search_path\', \'"sp_app", public\', false); CREATE TABLE sp_6 (id int)': 'sp_app',
    };
    await client.query('CREATE SCHEMA sp_app');
    try {
      const landed: Record<string, string> = {};
      for (const [i, file] of Object.keys(files).entries()) {
        const session = new pg.Client({ connectionString: db.url });
        await session.connect();
        try {
          await session.query(file); // no parameters: one simple query, like `prisma migrate deploy` sends a file
        } finally {
          await session.end();
        }
        const { rows } = await client.query<{ schema: string }>(
          `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1`,
          [`sp_${i + 1}`],
        );
        landed[file] = rows.map((r) => r.schema).join(',');
      }
      expect(landed).toEqual(files);
    } finally {
      await client.query('DROP SCHEMA sp_app CASCADE; DROP TABLE IF EXISTS public.sp_3, public.sp_4');
    }
  });

  it('search_path run statement by statement: SET LOCAL and set_config(…, true) outside BEGIN … COMMIT do nothing past their statement (SET LOCAL warns), inside it hold to COMMIT; in a DO block, to the end of the block; PERFORM set_config(…, false) holds beyond (search-path.test.ts)', async () => {
    // Each file as a splitting engine runs it: statement by statement (autocommit) on one session. Where do its tables land?
    const files: Record<string, string> = {
      'SET LOCAL search_path = sq_app; CREATE TABLE sq_1 (id int)': 'public',
      "SELECT set_config('search_path', 'sq_app', true); CREATE TABLE sq_2 (id int)": 'public',
      'BEGIN; SET LOCAL search_path = sq_app; CREATE TABLE sq_3 (id int); COMMIT; CREATE TABLE sq_4 (id int)': 'sq_app,public',
      'DO $$ BEGIN SET LOCAL search_path = sq_app; CREATE TABLE sq_5 (id int); END $$; CREATE TABLE sq_6 (id int)': 'sq_app,public',
      "DO $$ BEGIN PERFORM set_config('search_path', 'sq_app', false); END $$; CREATE TABLE sq_7 (id int)": 'sq_app',
      "DO $$ BEGIN PERFORM set_config('search_path', 'sq_app', true); END $$; CREATE TABLE sq_8 (id int)": 'public',
    };
    const wholeFile: Record<string, string> = {
      "DO $$ BEGIN PERFORM set_config('search_path', 'sq_app', true); END $$; CREATE TABLE sq_9 (id int)": 'sq_app',
      'DO $$ BEGIN SET LOCAL search_path = sq_app; CREATE TABLE sq_10 (id int); END $$; CREATE TABLE sq_11 (id int)': 'sq_app,sq_app',
    };
    await initParser();
    await client.query('CREATE SCHEMA sq_app');
    const warnings: string[] = [];
    try {
      const landed = async (runs: Record<string, string>, mode: 'per-statement' | 'whole-file') => {
        const out: Record<string, string> = {};
        for (const file of Object.keys(runs)) {
          const session = new pg.Client({ connectionString: db.url });
          session.on('notice', (n) => warnings.push(n.message ?? ''));
          await session.connect();
          try {
            await runScript(session, file, mode);
          } finally {
            await session.end();
          }
          const tables = [...file.matchAll(/CREATE TABLE (sq_\d+)/g)].map((m) => m[1]!);
          const schemas: string[] = [];
          for (const t of tables) {
            const { rows } = await client.query<{ schema: string }>(`SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = $1`, [t]);
            schemas.push(rows.map((r) => r.schema).join('+'));
          }
          out[file] = schemas.join(',');
        }
        return out;
      };
      expect(await landed(files, 'per-statement')).toEqual(files);
      expect(await landed(wholeFile, 'whole-file')).toEqual(wholeFile);
      expect(warnings).toContain('SET LOCAL can only be used in transaction blocks');
      // The replay reads each file the same way under the same execution.
      const replayed = (file: string, execution: 'per-statement' | 'whole-file') => {
        const source = checkSource(parseSql(`CREATE SCHEMA sq_app; ${file}`), new Map());
        const facts = replayMigration(emptySchemaState(), { name: 'm', parsed: source.parsed, ...(source.tops ? { tops: source.tops } : {}) }, { execution });
        return facts.statements.filter((x) => x.kind === 'CreateStmt').map((x) => x.touches.find((t) => t.object === 'table')!.key.split('.')[0]!.replace(/"/g, '')).join(',');
      };
      for (const [file, schemas] of Object.entries(files)) expect(replayed(file, 'per-statement'), file).toBe(schemas);
      for (const [file, schemas] of Object.entries(wholeFile)) expect(replayed(file, 'whole-file'), file).toBe(schemas);
    } finally {
      await client.query('DROP SCHEMA sq_app CASCADE; DROP TABLE IF EXISTS ' + Array.from({ length: 11 }, (_, i) => `public.sq_${i + 1}`).join(', '));
    }
  });

  it('ALTER DOMAIN ADD CONSTRAINT, VALIDATE CONSTRAINT and SET NOT NULL fail when a column holds arrays of the domain (or of a domain over it), even with no row; NOT VALID succeeds and checks new array elements (domain-constraint-on-array-column)', async () => {
    const setup = `CREATE DOMAIN "Tag" AS text; CREATE DOMAIN "ShortTag" AS "Tag"; CREATE TABLE "Article" (id int, tags "Tag"[]); CREATE TABLE "Label" (id int, names "ShortTag"[]);`;
    const statements = [
      `ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30)`,
      `ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30) NOT VALID`,
      `ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 30) NOT VALID; ALTER DOMAIN "Tag" VALIDATE CONSTRAINT "Tag_length"`,
      `ALTER DOMAIN "Tag" SET NOT NULL`,
      `ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_not_null" CHECK (VALUE IS NOT NULL) NOT VALID; INSERT INTO "Article" VALUES (1, ARRAY[NULL]::"Tag"[])`,
      `ALTER DOMAIN "Tag" ADD CONSTRAINT "Tag_length" CHECK (length(VALUE) <= 3) NOT VALID; INSERT INTO "Article" VALUES (1, ARRAY['abcd']::"Tag"[])`,
      `DROP TABLE "Article"; ALTER DOMAIN "Tag" ADD CHECK (VALUE <> '')`,
      `DROP TABLE "Article", "Label"; ALTER DOMAIN "Tag" ADD CHECK (VALUE <> '')`,
    ];
    const outcomes = await onServers(async (c) => {
      const out: string[] = [];
      for (const sql of statements) {
        await c.query('BEGIN');
        try {
          await c.query(setup);
          await c.query(sql);
          out.push('ok');
        } catch (error) {
          out.push((error as Error).message);
        } finally {
          await c.query('ROLLBACK');
        }
      }
      return out;
    });
    for (const out of Object.values(outcomes)) {
      expect(out).toEqual([
        'cannot alter type ""Tag"" because column "Article.tags" uses it',
        'ok',
        'cannot alter type ""Tag"" because column "Article.tags" uses it',
        'cannot alter type ""Tag"" because column "Article.tags" uses it',
        'value for domain "Tag" violates check constraint "Tag_not_null"',
        'value for domain "Tag" violates check constraint "Tag_length"',
        'cannot alter type ""ShortTag"" because column "Label.names" uses it',
        'ok',
      ]);
    }
    // check reports the statements that fail, and no other.
    await initParser();
    const reported = statements.map((sql) => checkSql(`${setup}
${sql};`, { execution: 'whole-file' }).diagnostics.some((d) => d.ruleId === 'domain-constraint-on-array-column'));
    expect(reported).toEqual(outcomes[testServer().major]!.map((o) => o.startsWith('cannot alter type')));
  }, 120_000);

  it('ADD COLUMN and ALTER COLUMN TYPE of a domain type: a domain with any constraint rewrites the table, a volatile default of the domain too, an array of it does not (handwritten.test.ts)', async () => {
    // What the statement does to `scores` (10,000 rows): its file changes (a rewrite), it does not, or it fails.
    const outcome = async (c: pg.Client, sql: string): Promise<string> => {
      await c.query('BEGIN');
      try {
        const node = async () => (await c.query(`SELECT relfilenode FROM pg_class WHERE relname = 'scores'`)).rows[0].relfilenode as number;
        const before = await node();
        await c.query(sql);
        return (await node()) !== before ? 'rewrite' : 'no rewrite';
      } catch (error) {
        return `fails: ${(error as Error).message}`;
      } finally {
        await c.query('ROLLBACK');
      }
    };
    const cases: Record<string, string> = {
      'CREATE DOMAIN checked AS int CHECK (VALUE > 0); ALTER TABLE scores ADD COLUMN w checked': 'rewrite',
      'ALTER TABLE scores ADD COLUMN w posint': 'no rewrite',
      'CREATE DOMAIN checked AS int CHECK (VALUE > 0); ALTER TABLE scores ADD COLUMN w checked NOT NULL DEFAULT 1': 'rewrite',
      'CREATE DOMAIN checked AS int CHECK (VALUE > 0); ALTER TABLE scores ADD COLUMN w checked DEFAULT NULL': 'rewrite',
      'CREATE DOMAIN checked AS int CHECK (VALUE > 0); CREATE DOMAIN over AS checked; ALTER TABLE scores ADD COLUMN w over': 'rewrite',
      'CREATE DOMAIN later AS int; ALTER DOMAIN later ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID; ALTER TABLE scores ADD COLUMN w later': 'rewrite',
      'CREATE DOMAIN checked AS int CONSTRAINT c CHECK (VALUE > 0); ALTER DOMAIN checked DROP CONSTRAINT c; ALTER TABLE scores ADD COLUMN w checked': 'no rewrite',
      'CREATE DOMAIN checked AS int CHECK (VALUE > 0); ALTER TABLE scores ADD COLUMN w checked[]': 'no rewrite',
      'CREATE DOMAIN required AS int NOT NULL DEFAULT 0; ALTER TABLE scores ADD COLUMN w required': 'rewrite',
      'CREATE DOMAIN required AS int NOT NULL; ALTER TABLE scores ADD COLUMN w required': 'fails: domain required does not allow null values',
      'CREATE DOMAIN required AS int NOT NULL; ALTER TABLE scores ADD COLUMN w required DEFAULT NULL': 'fails: domain required does not allow null values',
      'CREATE DOMAIN defaulted AS int DEFAULT 1; ALTER TABLE scores ADD COLUMN w defaulted NOT NULL': 'no rewrite',
      'CREATE DOMAIN rating AS int DEFAULT 5; ALTER TABLE scores ADD COLUMN w rating': 'no rewrite',
      'CREATE DOMAIN stamp AS timestamptz DEFAULT now(); ALTER TABLE scores ADD COLUMN w stamp': 'no rewrite',
      'CREATE DOMAIN public_id AS uuid DEFAULT gen_random_uuid(); ALTER TABLE scores ADD COLUMN w public_id': 'rewrite',
      'CREATE DOMAIN public_id AS uuid DEFAULT gen_random_uuid(); CREATE DOMAIN over AS public_id; ALTER TABLE scores ADD COLUMN w over': 'rewrite',
      'CREATE DOMAIN public_id AS uuid DEFAULT gen_random_uuid(); ALTER TABLE scores ADD COLUMN w public_id DEFAULT NULL': 'no rewrite',
      'CREATE DOMAIN public_id AS uuid DEFAULT gen_random_uuid(); ALTER TABLE scores ADD COLUMN w public_id DEFAULT NULL; ALTER TABLE scores ALTER COLUMN w DROP DEFAULT': 'no rewrite',
      'CREATE DOMAIN checked AS int CHECK (VALUE > 0); ALTER TABLE scores ALTER COLUMN id TYPE checked': 'rewrite',
      'ALTER TABLE scores ALTER COLUMN id TYPE posint': 'no rewrite',
      'CREATE DOMAIN over AS posint; ALTER TABLE scores ALTER COLUMN id TYPE over': 'no rewrite',
      'CREATE DOMAIN big AS bigint; ALTER TABLE scores ALTER COLUMN id TYPE big': 'rewrite',
      'ALTER TABLE scores ALTER COLUMN v TYPE int': 'no rewrite',
      // ALTER DOMAIN ADD CONSTRAINT checks the columns of domains over it too, and refuses arrays of it.
      'CREATE DOMAIN over AS posint; ALTER TABLE scores ADD COLUMN w over DEFAULT 0; ALTER DOMAIN posint ADD CONSTRAINT c CHECK (VALUE > 0)':
        'fails: column "w" of table "scores" contains values that violate the new constraint',
      'ALTER TABLE scores ADD COLUMN w posint[]; ALTER DOMAIN posint ADD CONSTRAINT c CHECK (VALUE > 0)': 'fails: cannot alter type "posint" because column "scores.w" uses it',
    };
    const measured = await onServers(async (c) => {
      const out: Record<string, string> = {};
      for (const sql of Object.keys(cases)) out[sql] = await outcome(c, sql);
      return out;
    });
    for (const outcomes of Object.values(measured)) expect(outcomes).toEqual(cases);
    // The way out the help gives: after DROP DEFAULT, new rows get the domain's default again.
    await client.query('BEGIN');
    try {
      await client.query('CREATE DOMAIN public_id AS uuid DEFAULT gen_random_uuid(); ALTER TABLE scores ADD COLUMN w public_id DEFAULT NULL; ALTER TABLE scores ALTER COLUMN w DROP DEFAULT');
      const { rows } = await client.query('INSERT INTO scores (id) VALUES (0) RETURNING w IS NOT NULL AS filled');
      expect(rows).toEqual([{ filled: true }]);
      expect((await client.query('SELECT count(*)::int AS n FROM scores WHERE w IS NULL')).rows).toEqual([{ n: 10000 }]);
    } finally {
      await client.query('ROLLBACK');
    }
  }, 120_000);
});
