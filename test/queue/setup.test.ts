import { describe, expect, it } from 'vitest';
import { freshDatabase, testServer } from '../support/db.js';
import { freePort, TEST_PASSWORD } from '../support/postgres.js';
import { cli, queue, sql } from './support.js';

describe('prisma-zd setup', () => {
  it('installs the bookkeeping schema once, owned by the role that ran it, closed to PUBLIC', async () => {
    const db = await freshDatabase();
    try {
      const first = await cli(['setup', '--url', db.url, '--json']);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ from: 0, to: 2, changed: true, owner: 'postgres', schema: 'prisma_zd' });
      const again = await cli(['setup', '--url', db.url]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already set up');
      expect(await sql(db.url, `SELECT key, value FROM prisma_zd.meta WHERE key = 'schema_version'`)).toEqual([
        { key: 'schema_version', value: '2' },
      ]);
      const acl = await sql<{ schema_usage: boolean; table_select: boolean; owner: string }>(
        db.url,
        `SELECT has_schema_privilege('public', 'prisma_zd', 'USAGE') AS schema_usage,
                has_table_privilege('public', 'prisma_zd.queue', 'SELECT') AS table_select,
                pg_get_userbyid(relowner) AS owner
           FROM pg_class WHERE oid = 'prisma_zd.queue'::regclass`,
      );
      expect(acl).toEqual([{ schema_usage: true, table_select: false, owner: 'postgres' }]);
      // Another role sees the database as managed but cannot touch the queue.
      const role = `zd_other_${Date.now()}`;
      await sql(db.url, `CREATE ROLE ${role} LOGIN PASSWORD 'other-pw'`);
      try {
        const u = new URL(db.url);
        u.username = role;
        u.password = 'other-pw';
        expect(await sql(u.toString(), `SELECT to_regclass('prisma_zd.queue') IS NOT NULL AS managed`)).toEqual([{ managed: true }]);
        await expect(sql(u.toString(), `SELECT * FROM prisma_zd.queue`)).rejects.toMatchObject({ code: '42501' });
      } finally {
        await sql(db.url, `DROP ROLE ${role}`);
      }
    } finally {
      await db.drop();
    }
  });

  it('upgrades a version 1 schema (before postponed NOT NULL): the queue commands ask for setup (exit 2); setup (or deploy) upgrades it in place, keeping the queue', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      // The schema as version 1 installed it, with an entry queued.
      await sql(
        db.url,
        `ALTER TABLE prisma_zd.queue DROP CONSTRAINT queue_kind_check, ADD CONSTRAINT queue_kind_check CHECK (kind IN ('index', 'validate', 'contract'));
         UPDATE prisma_zd.meta SET value = '1' WHERE key = 'schema_version';
         INSERT INTO prisma_zd.queue (kind, migration, table_name, object_name, statement) VALUES ('index', 'm1', 'T', 'T_idx', 'CREATE INDEX "T_idx" ON "T"("a")');`,
      );
      await expect(sql(db.url, `INSERT INTO prisma_zd.queue (kind, statement) VALUES ('not-null', 'x')`)).rejects.toMatchObject({ code: '23514' });
      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.code).toBe(2);
      expect(list.stderr).toContain('ZD_SCHEMA_OLD');
      expect(list.stderr).toContain('prisma-zd setup');
      const up = await cli(['setup', '--url', db.url, '--json']);
      expect(up.code, up.stderr).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ from: 1, to: 2, changed: true });
      expect(await sql(db.url, `SELECT kind, object_name FROM prisma_zd.queue`)).toEqual([{ kind: 'index', object_name: 'T_idx' }]);
      await sql(db.url, `INSERT INTO prisma_zd.queue (kind, migration, statement, status) VALUES ('not-null', 'm2', 'x', 'cancelled')`);
      expect((await cli(['postponed', 'list', '--url', db.url])).code).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('concurrent setups on a fresh database both succeed', async () => {
    const db = await freshDatabase();
    try {
      const [a, b] = await Promise.all([cli(['setup', '--url', db.url, '--json']), cli(['setup', '--url', db.url, '--json'])]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect([JSON.parse(a.stdout).changed, JSON.parse(b.stdout).changed].sort()).toEqual([false, true]);
    } finally {
      await db.drop();
    }
  });

  it('refuses a schema newer than it knows (exit 2), and so do the queue commands', async () => {
    const db = await freshDatabase();
    try {
      expect((await cli(['setup', '--url', db.url])).code).toBe(0);
      await sql(db.url, `UPDATE prisma_zd.meta SET value = '99' WHERE key = 'schema_version'`);
      const r = await cli(['setup', '--url', db.url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('ZD_SCHEMA_NEWER');
      expect(r.stderr).toContain('version 99');
      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.code).toBe(2);
      expect(list.stderr).toContain('ZD_SCHEMA_NEWER');
    } finally {
      await db.drop();
    }
  });

  it('bookkeeping changed by hand (queue table dropped, version row gone or garbled): ZD_SCHEMA_DAMAGED naming what is wrong, never "already set up" or a crash; the repair it names works', async () => {
    for (const [damage, repairHint] of [
      [`DROP TABLE prisma_zd.queue`, 'DROP SCHEMA prisma_zd CASCADE;'],
      [`DELETE FROM prisma_zd.meta WHERE key = 'schema_version'`, "INSERT INTO prisma_zd.meta (key, value) VALUES ('schema_version', '2')"],
      [`UPDATE prisma_zd.meta SET value = 'abc' WHERE key = 'schema_version'`, "INSERT INTO prisma_zd.meta (key, value) VALUES ('schema_version', '2')"],
    ] as const) {
      const db = await freshDatabase();
      try {
        expect((await cli(['setup', '--url', db.url])).code).toBe(0);
        await sql(db.url, damage);
        for (const args of [['setup'], ['postponed', 'list']]) {
          const r = await cli([...args, '--url', db.url]);
          expect(r.code, `${damage}: ${args.join(' ')}: ${r.stderr}`).toBe(2);
          expect(r.stderr).toContain('ZD_SCHEMA_DAMAGED');
          expect(r.stderr).toContain(repairHint);
          expect(r.stderr).not.toContain('hit a bug');
        }
        const hint = (await cli(['setup', '--url', db.url])).stderr;
        const repair = /hint: .*?((?:DROP SCHEMA|INSERT INTO) [^;]+;)/.exec(hint)![1]!;
        await sql(db.url, repair);
        expect((await cli(['setup', '--url', db.url])).code).toBe(0);
        expect((await cli(['postponed', 'list', '--url', db.url])).code).toBe(0);
      } finally {
        await db.drop();
      }
    }
  });

  it('on an unmanaged database: list says so (exit 0), run and contract exit 2, and migrations run inline', async () => {
    const db = await freshDatabase();
    try {
      const list = await cli(['postponed', 'list', '--url', db.url]);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain('prisma-zd is not set up on this database (nothing is queued): run `prisma-zd setup`');
      const json = await cli(['postponed', 'list', '--url', db.url, '--json']);
      expect(JSON.parse(json.stdout)).toEqual({ command: 'postponed list', setUp: false, entries: [] });
      for (const args of [['postponed', 'run'], ['contract']]) {
        const r = await cli([...args, '--url', db.url, '--migrations', '/nonexistent']);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('ZD_NOT_SET_UP');
        expect(r.stderr).toContain('prisma-zd setup');
      }
      // Unmanaged: the conditional block builds the index inline (I1).
      await sql(db.url, `CREATE TABLE "T" (a int)`);
      await queue(db.url, { table: 'T', object: 'T_a_idx', statement: 'CREATE INDEX "T_a_idx" ON "T"("a")', columns: ['a'] });
      expect(await sql(db.url, `SELECT to_regclass('"T_a_idx"') IS NOT NULL AS built`)).toEqual([{ built: true }]);
    } finally {
      await db.drop();
    }
  });

  it('maps connection failures to exit 6 without printing the password', async () => {
    const server = testServer();
    const port = await freePort();
    const unreachable = await cli(['postponed', 'list', '--url', `postgresql://postgres:${TEST_PASSWORD}@127.0.0.1:${port}/x`]);
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toContain('ZD_DB_UNREACHABLE');
    expect(unreachable.stderr).toContain(`127.0.0.1:${port}`);

    const bad = new URL(server.url());
    bad.password = 'wrong-Password-123';
    const auth = await cli(['setup', '--url', bad.toString()]);
    expect(auth.code).toBe(6);
    expect(auth.stderr).toContain('ZD_DB_AUTH');

    const missing = await cli(['postponed', 'list', '--url', server.url('no_such_db_zd')]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain('ZD_DB_MISSING');
    for (const r of [unreachable, auth, missing]) {
      expect(r.stdout + r.stderr).not.toContain(TEST_PASSWORD);
      expect(r.stdout + r.stderr).not.toContain('wrong-Password-123');
    }
  });
});
