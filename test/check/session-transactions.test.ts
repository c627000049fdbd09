/*
 * What a migration leaves set for the session, through its transaction statements, as
 * PostgreSQL does it: a ROLLBACK undoes the session-level SETs of its transaction (SET
 * ROLE too), a ROLLBACK TO those made after the savepoint, and a file run whole (one
 * simple query, as Prisma's native engine runs it) is one implicit transaction that a
 * ROLLBACK without BEGIN rolls back to its start or last COMMIT; run statement by
 * statement, each statement outside BEGIN commits on its own. Each case runs on the real
 * server in both execution modes, and `sessionLeft` (what check's rules and deploy's
 * refusal read) must say what the server kept, at the line that set it. The replay's
 * schema goes back the same way: what a rolled-back transaction created is not there after.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptySchemaState, initParser, parseSql, replayMigration, sessionLeft } from '@prisma-zd/core';
import { freshDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/postgres.js';

const ROLE = 'zd_tx_role';

interface Case {
  readonly sql: string;
  /** What each execution leaves: the search_path (undefined: the default) and the role, with the lines that set them. */
  readonly whole: Left;
  readonly perStatement: Left;
}

interface Left {
  readonly path?: [string, number];
  readonly role?: [string, number];
}

const both = (left: Left) => ({ whole: left, perStatement: left });

const CASES: Record<string, Case> = {
  'a SET rolled back with its transaction': { sql: 'BEGIN;\nSET search_path = app;\nROLLBACK;', ...both({}) },
  'a SET before BEGIN: statements one by one, it survives the ROLLBACK (at its own line); in a whole file BEGIN extends the implicit transaction back to the start': {
    sql: 'SET search_path = app;\nBEGIN;\nSET search_path = other;\nROLLBACK;',
    whole: {},
    perStatement: { path: ['app', 1] },
  },
  'a SET before BEGIN, after a COMMIT: it survives in both': {
    sql: 'SET search_path = app;\nCOMMIT;\nBEGIN;\nSET search_path = other;\nROLLBACK;',
    ...both({ path: ['app', 1] }),
  },
  'ROLLBACK TO a savepoint undoes what followed it': {
    sql: 'BEGIN;\nSET search_path = app;\nSAVEPOINT s;\nSET search_path = other;\nROLLBACK TO SAVEPOINT s;\nCOMMIT;',
    ...both({ path: ['app', 2] }),
  },
  'a released savepoint keeps what followed it': {
    sql: 'BEGIN;\nSAVEPOINT s;\nSET search_path = app;\nRELEASE SAVEPOINT s;\nCOMMIT;',
    ...both({ path: ['app', 3] }),
  },
  'savepoints of one name: the newest first': {
    sql: 'BEGIN;\nSET search_path = app;\nSAVEPOINT a;\nSET search_path = other;\nSAVEPOINT a;\nSET search_path = third;\nROLLBACK TO a;\nRELEASE a;\nROLLBACK TO a;\nCOMMIT;',
    ...both({ path: ['app', 2] }),
  },
  'ROLLBACK without BEGIN: the whole file rolls back to its start, statements one by one do not': {
    sql: 'SET search_path = app;\nROLLBACK;',
    whole: {},
    perStatement: { path: ['app', 1] },
  },
  'ROLLBACK without BEGIN after a COMMIT: back to the COMMIT': {
    sql: 'SET search_path = app;\nCOMMIT;\nSET search_path = other;\nROLLBACK;',
    whole: { path: ['app', 1] },
    perStatement: { path: ['other', 3] },
  },
  'SET ROLE rolled back; a RESET ROLE rolled back leaves the role': {
    sql: `BEGIN;\nSET ROLE ${ROLE};\nROLLBACK;\nBEGIN;\nSET ROLE ${ROLE};\nCOMMIT AND CHAIN;\nRESET ROLE;\nROLLBACK;`,
    ...both({ role: [ROLE, 5] }),
  },
  "set_config(…, false) is rolled back as SET is": {
    sql: `BEGIN;\nSELECT set_config('search_path', 'app', false);\nSELECT set_config('role', '${ROLE}', false);\nROLLBACK;`,
    ...both({}),
  },
};

describe('session settings through transactions: sessionLeft against PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    await initParser();
    db = await freshDatabase({ prefix: 'zd_session_tx' });
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} NOLOGIN; END IF; END $$;`);
    await c.query(`GRANT ${ROLE} TO CURRENT_USER`);
    await c.end();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  /** Run `sql` on a fresh session as Prisma would; what the session keeps after it. */
  async function onServer(sql: string, mode: 'whole' | 'perStatement'): Promise<{ path: string; role: string; user: string }> {
    const c = new pg.Client({ connectionString: db.url });
    c.on('notice', () => {}); // "there is no transaction in progress"
    await c.connect();
    try {
      const user = (await c.query<{ u: string }>('SELECT session_user AS u')).rows[0]!.u;
      if (mode === 'whole') await c.query(sql);
      else for (const s of parseSql(sql).statements) await c.query(s.text);
      const { rows } = await c.query<{ path: string; role: string }>('SELECT current_setting($1) AS path, current_user AS role', ['search_path']);
      return { ...rows[0]!, user };
    } finally {
      await c.end();
    }
  }

  for (const [name, k] of Object.entries(CASES)) {
    it(name, async () => {
      for (const mode of ['whole', 'perStatement'] as const) {
        const expected = k[mode];
        const server = await onServer(k.sql, mode);
        // The server first: the case says what PostgreSQL does.
        expect(server.path, `${mode}: server search_path`).toBe(expected.path ? expected.path[0] : '"$user", public');
        expect(server.role, `${mode}: server role`).toBe(expected.role ? expected.role[0] : server.user);
        const left = sessionLeft([{ name: 'm', sql: k.sql }], { execution: mode === 'whole' ? 'whole-file' : 'per-statement' }).get('m');
        expect(left?.searchPath ? [left.searchPath.path.join(', '), left.searchPath.line] : undefined, `${mode}: modelled search_path`).toEqual(expected.path);
        expect(left?.roles.map((r) => [r.role, r.line])[0], `${mode}: modelled role`).toEqual(expected.role);
        // An unknown execution is read as a whole file.
        if (mode === 'whole') expect(sessionLeft([{ name: 'm', sql: k.sql }]).get('m')).toEqual(left);
      }
    });
  }
});

/** Tables each case leaves, on the server and in the replay, under both executions. */
const SCHEMA_CASES: Record<string, { sql: string; whole: string[]; perStatement: string[] }> = {
  'a table created in a rolled-back transaction is not there': { sql: 'BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;\nCREATE TABLE b (id int);', whole: ['b'], perStatement: ['b'] },
  'ROLLBACK without BEGIN: the whole file rolls back to its start, statements one by one keep theirs': { sql: 'CREATE TABLE a (id int);\nROLLBACK;', whole: [], perStatement: ['a'] },
  'ROLLBACK TO a savepoint keeps what came before it': {
    sql: 'BEGIN;\nCREATE TABLE a (id int);\nSAVEPOINT s;\nCREATE TABLE b (id int);\nROLLBACK TO s;\nCOMMIT;',
    whole: ['a'],
    perStatement: ['a'],
  },
  'a DROP rolled back leaves the table': { sql: 'CREATE TABLE a (id int);\nCOMMIT;\nBEGIN;\nDROP TABLE a;\nROLLBACK;', whole: ['a'], perStatement: ['a'] },
};

describe('the schema through transactions: the replay against PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    await initParser();
    db = await freshDatabase({ prefix: 'zd_schema_tx' });
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  async function onServer(sql: string, mode: 'whole' | 'perStatement'): Promise<string[]> {
    const c = new pg.Client({ connectionString: db.url });
    c.on('notice', () => {});
    await c.connect();
    try {
      await c.query('DROP TABLE IF EXISTS a, b');
      if (mode === 'whole') await c.query(sql);
      else for (const s of parseSql(sql).statements) await c.query(s.text);
      const { rows } = await c.query<{ t: string }>("SELECT relname AS t FROM pg_class WHERE relname IN ('a', 'b') AND relkind = 'r' ORDER BY 1");
      return rows.map((r) => r.t);
    } finally {
      await c.end();
    }
  }

  for (const [name, k] of Object.entries(SCHEMA_CASES)) {
    it(name, async () => {
      for (const mode of ['whole', 'perStatement'] as const) {
        expect(await onServer(k.sql, mode), `${mode}: server`).toEqual(k[mode]);
        const facts = replayMigration(emptySchemaState(), { name: 'm', parsed: parseSql(k.sql) }, { execution: mode === 'whole' ? 'whole-file' : 'per-statement' });
        expect([...facts.after.tables.values()].map((t) => t.name).sort(), `${mode}: replay`).toEqual(k[mode]);
      }
    });
  }
});
